"""Logs an operator can search: request ids, one access line per request, JSON or text.

Every record written inside a request carries the request's id, user,
route, method and client address; `init_app` adds an access line per
request (status, duration) and the `X-Request-ID` response header. The id
comes from the proxy's `X-Request-ID` header when the app trusts a proxy
(TRUSTED_PROXIES > 0) and the value is short and safe, else it is generated.
LOG_FORMAT picks `json` (one object per line, the traceback as a field) or
`text`; `reviewer serve` makes json the default.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
ACCESS_LOGGER = "reviewer.access"
# Fields a record may carry, in the order a JSON line shows them after time, level, logger, message.
CONTEXT_FIELDS = ("request_id", "user_id", "route", "method", "path", "status", "duration_ms", "remote_addr")
_MARK = "_reviewer_log_handler"

_default_format = "text"


def set_default_format(log_format: str) -> None:
    """The format used when LOG_FORMAT is unset (`reviewer serve` sets json for its process)."""
    global _default_format
    _default_format = log_format


# --- Formatting ------------------------------------------------------------------


class RequestContextFilter(logging.Filter):
    """Adds the current request's fields to every record made inside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            for name, value in request_fields().items():
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, context fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["traceback"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger [request id] message key=value ...`, then any traceback."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s %(message)s%(extras)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.rid = f" [{request_id}]" if request_id else ""
        extras = [f"{name}={getattr(record, name)}" for name in ("duration_ms", "user_id") if getattr(record, name, None) is not None]
        record.extras = f" ({' '.join(extras)})" if extras else ""
        return super().format(record)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def make_handler(log_format: str) -> logging.Handler:
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestContextFilter())
    setattr(handler, _MARK, True)
    return handler


def configure_logging(log_format: str, level: str, logger_name: str = "reviewer") -> None:
    """Send `logger_name`'s records (the root logger: "") to stderr in `log_format`, at `level`.

    Idempotent: a handler this function installed earlier is replaced, so
    building several apps in one process never duplicates lines.
    """
    from flask.logging import default_handler

    logger = logging.getLogger(logger_name)
    for handler in list(logger.handlers):
        if getattr(handler, _MARK, False) or handler is default_handler:
            logger.removeHandler(handler)
    logger.addHandler(make_handler(log_format))
    logger.setLevel(level)


def configure_process_logging(log_format: str, level: str) -> None:
    """Own the whole process's logging (`reviewer serve`): every logger writes through the root's handler."""
    configure_logging(log_format, level, logger_name="")
    _drop_app_handler(level)


def _drop_app_handler(level: str) -> None:
    logger = logging.getLogger("reviewer")
    for handler in list(logger.handlers):
        if getattr(handler, _MARK, False):
            logger.removeHandler(handler)
    logger.setLevel(level)


def _root_is_configured() -> bool:
    return any(getattr(handler, _MARK, False) for handler in logging.getLogger().handlers)


# --- Requests --------------------------------------------------------------------


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def _incoming_request_id() -> str | None:
    if not current_app.config.get("TRUSTED_PROXIES"):
        return None  # without a proxy we trust, anyone could pick the id a log line carries
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if _SAFE_REQUEST_ID.fullmatch(value) else None


def request_fields() -> dict[str, Any]:
    """What a log record made in this request should carry (never loads anything from the database)."""
    fields: dict[str, Any] = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": request.path,
        "remote_addr": request.remote_addr,
    }
    if request.url_rule is not None:
        fields["route"] = request.url_rule.rule
    fields["user_id"] = _user_id()
    return fields


def _user_id() -> int | None:
    """The signed-in user's (or API token holder's) id, if this request already loaded one."""
    from sqlalchemy import inspect

    principal = g.get("api_user")
    if principal is not None:
        return principal.id  # a plain snapshot: nothing to load
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        identity = inspect(user).identity  # the primary key as loaded: no query, even after a rollback
    except Exception:  # noqa: BLE001 -- a log line must never fail the request
        return None
    return identity[0] if identity else None


def _start_request() -> None:
    g.request_id = _incoming_request_id() or uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
    if current_app.config.get("ACCESS_LOG", True):
        _log_access(response)
    return response


def _log_access(response: Response) -> None:
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
    # A load balancer polls /healthz every few seconds: only its failures are worth a line at INFO.
    quiet = request.endpoint == "health.healthz" and response.status_code < 400
    logging.getLogger(ACCESS_LOGGER).log(
        logging.DEBUG if quiet else logging.INFO,
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={"status": response.status_code, "duration_ms": duration_ms},
    )


class _DevServerRequestLines(logging.Filter):
    """Drops the development server's own line per request (werkzeug's `"GET / HTTP/1.1" 200 -`).

    `flask run` (make run) would otherwise log every request twice: once
    here as reviewer.access, with the request id and duration, and once by
    werkzeug. Its other lines (the address it serves on, errors) stay.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and " - - [" in record.msg and record.levelno == logging.INFO)


_DEV_SERVER_FILTER = _DevServerRequestLines()


def init_app(app: Flask) -> None:
    """Configure logging from LOG_FORMAT and LOG_LEVEL; add request ids and access lines."""
    log_format = str(app.config.get("LOG_FORMAT") or _default_format).lower()
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    if _root_is_configured():  # `reviewer serve` owns the process's logging: just follow the level
        _drop_app_handler(level)
    else:
        configure_logging(log_format, level)
    app.before_request(_start_request)
    app.after_request(_finish_request)
    if app.config.get("ACCESS_LOG", True):
        logging.getLogger("werkzeug").addFilter(_DEV_SERVER_FILTER)  # one filter object: adding it again is a no-op
