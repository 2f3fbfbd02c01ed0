"""JSON errors for `/api/v1`: `{"error": {"code", "message", "stored", "field"?}}`, never an HTML page or a traceback.

Views raise `ApiError`; HTTP errors raised anywhere under `/api/` (an
unknown URL, a wrong method, a body too large, a crash) are answered in the
same shape. Other paths keep the site's HTML error pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

API_PATH = "/api/"

# HTTP status -> default machine-readable code and message.
DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Send a valid API token in the header `Authorization: Bearer <token>`."),
    403: ("forbidden", "Your account may not do this."),
    404: ("not_found", "There is nothing at this address. See /api/v1/openapi.json for the endpoints."),
    405: ("method_not_allowed", "This endpoint does not accept that method."),
    409: ("conflict", "Someone else changed this first; reload it and try again."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."),
    422: ("invalid", "The request was understood but its content is not acceptable."),
    429: ("rate_limited", "Too many requests; wait for the seconds the Retry-After header says, then try again."),
    500: ("server_error", "The server could not finish this request; nothing was changed. Try again."),
}


#: `error.stored` of every error: whether the change asked for was stored. "no" for every refusal;
#: a database outage after the commit says "yes" (do not send it again), one whose commit went
#: unanswered "unknown" (look before sending it again).
STORED = ("no", "yes", "unknown")


def outage_outcome(saved: bool, in_doubt: bool) -> dict[str, Any]:
    """`stored` (always sent) and the older `saved` (true, null, or absent) of a database-outage 503."""
    if in_doubt:
        return {"stored": "unknown", "saved": None}
    return {"stored": "yes", "saved": True} if saved else {"stored": "no"}


class ApiError(Exception):
    """An error the API answers with `status` and a JSON body a client can act on."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        field: str | None = None,
        *,
        stored: str = "no",
        **extra: Any,
    ) -> None:
        default_code, default_message = DEFAULTS.get(status, DEFAULTS[500])
        super().__init__(message or default_message)
        if stored not in STORED:
            raise ValueError(f"stored must be one of {STORED}, got {stored!r}")
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.field = field
        self.stored = stored
        self.extra = extra

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "stored": self.stored}
        if self.field is not None:
            error["field"] = self.field
        error.update(self.extra)
        return {"error": error}


def error_response(error: ApiError):
    response = jsonify(error.body())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="reviewer"'
    return response


def _from_http(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        original = error.original_exception if isinstance(error, InternalServerError) else None
        current_app.logger.error("API request %s %s failed", request.method, request.path, exc_info=original)
    response = error_response(ApiError(status))
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def is_api_request() -> bool:
    return request.path.startswith(API_PATH)


def _wrap(app: Flask, exc_class: type[HTTPException]) -> None:
    """Answer `exc_class` with JSON under /api/, and with the site's own handler elsewhere."""
    exc_class, code = app._get_exc_class_and_code(exc_class)  # Flask files handlers under their status code
    site_handler: Callable[[Any], Any] | None = app.error_handler_spec[None][code].get(exc_class)

    def handle(error: HTTPException):
        if is_api_request():
            return _from_http(error)
        return site_handler(error) if site_handler is not None else error

    app.register_error_handler(exc_class, handle)


def init_app(app: Flask) -> None:
    """Install the JSON handlers; run after the site's HTML error handlers are registered."""
    app.register_error_handler(ApiError, error_response)
    _wrap(app, InternalServerError)
    _wrap(app, HTTPException)
