"""Request-body limits: app-wide MAX_CONTENT_LENGTH, a larger one for the routes that take files, and the 413 answer.

Werkzeug (3.1) refuses a body over `request.max_content_length` before
reading it when it comes with a Content-Length. A chunked body (no length)
is read through a stream that stops at the limit: a form parser then raises
413, but `request.get_data()` returned the first MAX_CONTENT_LENGTH bytes as
if they were the whole body (a truncated JSON answered 400).
`LimitedRequest` raises 413 there too.

The per-route limit is set in a before_request hook registered before
CSRFProtect's, because CSRF checking reads the form (and so the body)
before any view or blueprint hook runs.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

#: Endpoints whose body may be bigger than MAX_CONTENT_LENGTH -> the config key of their limit.
LARGER_BODIES = {"drafting.upload": "UPLOAD_MAX_CONTENT_LENGTH"}


class LimitedRequest(Request):
    """A request whose `get_data()` raises 413 when a chunked body was cut at the limit."""

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False) -> Any:
        already_read = getattr(self, "_cached_data", None) is not None
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        limit = self.max_content_length
        if not already_read and self.content_length is None and limit is not None and len(data) >= limit:
            raise RequestEntityTooLarge()  # the stream stopped at the limit: there was more (or exactly that much)
        return data.decode(errors="replace") if as_text else data


def _route_limit() -> None:
    key = LARGER_BODIES.get(request.endpoint or "")
    if key is not None:
        request.max_content_length = int(current_app.config[key])


def describe_bytes(count: int) -> str:
    """1048576 -> "1 MB" (whole MiB, rounded down, shown as MB as the forms say), else KB."""
    mib = count // (1024 * 1024)
    return f"{mib} MB" if mib else f"{max(1, count // 1024)} KB"


def too_large_message() -> str:
    limit = request.max_content_length
    what = f"at most {describe_bytes(limit)}" if limit else "less"
    return f"The request body is too large: this page accepts {what}. Send less (split a file into parts)."


def too_large(error: RequestEntityTooLarge):
    """413 outside /api/v1 (which answers in its own JSON shape): JSON for JSON callers (the live
    check), else the error page in the layout."""
    from reviewer.web.errors import render_error

    message = too_large_message()
    if request.is_json or request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify({"error": message, "field": None}), 413
    return render_error(413, "Too large", message)


def init_app(app: Flask) -> None:
    """Call before CSRFProtect(app): its hook reads the body."""
    app.request_class = LimitedRequest
    app.before_request(_route_limit)
