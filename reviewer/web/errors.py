"""Error pages in the site layout, never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, render_template
from markupsafe import escape
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your account does not have access to this page. Ask an administrator if you need it."),
    404: ("Page not found", "There is no page at this address. Check the link, or start again from the home page."),
    405: ("Method not allowed", "This page cannot be used that way. Go back and use the page's own buttons."),
    500: ("Something went wrong", "The server could not finish this request. Nothing was changed; try again."),
}


def render_error(code: int, title: str | None = None, message: str | None = None):  # noqa: ANN201
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    title, message = title or default_title, message or default_message
    try:
        html = render_template("errors/error.html", code=code, title=title, message=message)
    except Exception:  # the layout itself failed (e.g. the database is down): plain page, still no traceback
        current_app.logger.exception("error page %s could not be rendered in the layout", code)
        html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
    return html, code


def _http_error(error: HTTPException):  # noqa: ANN202
    code = error.code or 500
    response = render_error(code)
    if code == 405 and error.valid_methods:
        return response[0], code, {"Allow": ", ".join(error.valid_methods)}
    return response


def _csrf_error(error: CSRFError):  # noqa: ANN202
    return render_error(
        400,
        "This form has expired",
        "The form was not accepted because its security token was missing or out of date. "
        "This happens when a page was left open for a long time or came from another site. "
        "Go back, reload the page and try again.",
    )


def _server_error(error: InternalServerError):  # noqa: ANN202
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
