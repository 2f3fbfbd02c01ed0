"""Error pages in the site layout, never a traceback; a clear 503 while the database cannot do the work."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask, current_app, jsonify, render_template, request
from markupsafe import escape
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from reviewer.api.errors import ApiError, error_response, is_api_request, outage_outcome
from reviewer.db import close_request_session, request_commit_unanswered, request_session_committed
from reviewer.web.body_limits import too_large
from reviewer.web.outages import (
    SAVED_FIRST,
    UNANSWERED_COMMIT,
    Outage,
    classify,
    describe_cause,
    lost_the_line,
    resubmittable_fields,
)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "Your account does not have access to this page. Ask an administrator if you need it."),
    404: ("Page not found", "There is no page at this address. Check the link, or start again from the home page."),
    405: ("Method not allowed", "This page cannot be used that way. Go back and use the page's own buttons."),
    500: ("Something went wrong", "The server could not finish this request. Nothing was changed; try again."),
}


def render_error(code: int, title: str | None = None, message: str | None = None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    title, message = title or default_title, message or default_message
    try:
        html = render_template("errors/error.html", code=code, title=title, message=message)
    except Exception:  # the layout itself failed (e.g. the database is down): plain page, still no traceback
        current_app.logger.exception("error page %s could not be rendered in the layout", code)
        html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
    return html, code


def _http_error(error: HTTPException):
    code = error.code or 500
    if code == 413:
        return too_large(error)
    response = render_error(code)
    if code == 405 and error.valid_methods:
        return response[0], code, {"Allow": ", ".join(error.valid_methods)}
    return response


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        "This form has expired",
        "The form was not accepted because its security token was missing or out of date. "
        "This happens when a page was left open for a long time or came from another site. "
        "Go back, reload the page and try again.",
    )


def _server_error(error: InternalServerError):
    return render_error(500)


def _database_error(error: DBAPIError | PoolTimeoutError):
    """503 while the database is down, full, read-only or busy; any other database error is a bug (500)."""
    outage = classify(error)
    if outage is None:
        raise error  # not an outage: Flask's 500 handling logs the traceback and shows the 500 page
    # A commit that went through before the failure (reading back for the page) was saved: say so,
    # and offer nothing to send again, or the person would do it twice. A COMMIT the server never
    # answered may have gone through: say that, and keep what was typed for if it did not.
    in_doubt = request_commit_unanswered() and lost_the_line(error)
    saved = not in_doubt and request_session_committed()
    if in_doubt:
        outage = replace(outage, message=UNANSWERED_COMMIT)
    elif saved:
        outage = replace(outage, message=SAVED_FIRST)
    # The session's transaction is dead: drop it now, so nothing later in this request reuses it
    # (the page below needs no database) and the next request starts on a fresh one.
    close_request_session()
    current_app.logger.warning(
        "database %s: %s %s answered 503%s (%s)", outage.kind, request.method, request.path,
        " after its commit" if saved else " with its commit unanswered" if in_doubt else "", describe_cause(error),
    )
    code = f"database_{outage.kind}"
    if is_api_request():
        response = error_response(ApiError(503, code, outage.message, **outage_outcome(saved, in_doubt)))
    elif request.is_json or request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify({"error": outage.message, "code": code})
        response.status_code = 503
    else:
        page = _unavailable_page(outage, offer_resend=not saved, in_doubt=in_doubt)
        response = current_app.response_class(page, 503, mimetype="text/html")
    response.headers["Retry-After"] = str(outage.retry_after)
    return response


def _unavailable_page(outage: Outage, offer_resend: bool, in_doubt: bool) -> str:
    """The 503 page: what happened, and (for a form) what the person typed, ready to send again.

    It is rendered without the site layout and without the context processors: both read the
    signed-in user from the database, which is what is not answering.
    """
    resend = offer_resend and request.method == "POST"
    fields, dropped_secret = resubmittable_fields(request.form) if resend else ([], False)
    try:
        return current_app.jinja_env.get_template("errors/unavailable.html").render(
            outage=outage,
            fields=fields,
            dropped_secret=dropped_secret,
            dropped_files=resend and any(f.filename for f in request.files.values()),
            action=request.full_path.rstrip("?"),
            in_doubt=in_doubt,
        )
    except Exception:  # never a traceback to the person, even if the template fails
        current_app.logger.exception("the database-unavailable page could not be rendered")
        return f"<!doctype html><title>{escape(outage.title)}</title><h1>{escape(outage.title)}</h1><p>{escape(outage.message)}</p>"


def init_app(app: Flask) -> None:
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeoutError, _database_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
