"""Rate limits on signing in and on the JSON API (Flask-Limiter), in the job queue's storage.

A cheap guard against floods, in front of the database-backed lockout of
`accounts.throttle` (which counts failed passwords per username and address):

- POST /login: RATELIMIT_LOGIN per client address (after TRUSTED_PROXIES).
- /api/v1/*: RATELIMIT_API per API token, keyed by the token's id (never the
  secret); requests without a valid token count per client address.

Counters live where the job queue lives, so every worker and instance sees
the same counts: Redis when REDIS_URL is set, else a table in the job
queue's SQLite file (`ratelimit_sqlite`); RATELIMIT_STORAGE_URI overrides.
A limited request gets 429 with Retry-After and X-RateLimit-Limit,
-Remaining and -Reset; with RATELIMIT_HEADERS_ENABLED (the default) every
answer of a limited route carries the X-RateLimit-* headers.

If the storage fails (Redis down, the disk full), requests are never refused
for it: a warning is logged and each worker counts in its own memory (the
same limits, per process) until the storage answers again (re-checked with
a back-off of up to about a minute). Nothing else is limited: /healthz,
static files and pages skip the limiter altogether.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.exc import SQLAlchemyError

from reviewer.web import ratelimit_sqlite
from reviewer.web.headers import put_headers

EXTENSION_KEY = "reviewer.ratelimit"
KEY_PREFIX = "reviewer"
# How long a token's id is remembered in each worker (its sha256 -> id), so most
# API requests pay no extra query for their key; a revoked token's requests
# keep counting against its own id for at most this long (they get 401 anyway).
TOKEN_ID_TTL_SECONDS = 60.0
TOKEN_ID_CACHE_SIZE = 4096
# A Redis that does not answer holds a request at most this long before the fallback.
REDIS_TIMEOUT_SECONDS = 1.0
API_PREFIX = "/api/"
# The strategies both Redis and ratelimit_sqlite support.
STRATEGY_NAMES = ("fixed-window", "moving-window")
log = logging.getLogger(__name__)


class RateLimitConfigError(click.ClickException):
    """A RATELIMIT_* setting cannot be used; the message names it and shows a valid value."""


def init_app(app: Flask) -> None:
    """Limit POST /login and /api/v1 when RATELIMIT_ENABLED; call after the blueprints are registered."""
    if not _flag(app.config.get("RATELIMIT_ENABLED", True)):
        return
    login_limit = _limit_setting(app, "RATELIMIT_LOGIN")
    api_limit = _limit_setting(app, "RATELIMIT_API")
    strategy = str(app.config.get("RATELIMIT_STRATEGY") or "fixed-window")
    if strategy not in STRATEGY_NAMES:
        raise RateLimitConfigError(f"RATELIMIT_STRATEGY {strategy!r} is not one of {', '.join(STRATEGY_NAMES)}")
    uri = storage_uri(app)
    app.after_request(_rate_limit_headers)  # registered before the limiter's hooks, so it runs after them
    limiter = Limiter(
        key_func=client_address,
        strategy=strategy,
        storage_uri=uri,
        storage_options=_storage_options(uri),
        headers_enabled=False,  # _rate_limit_headers writes them (Retry-After only on a 429)
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        key_prefix=KEY_PREFIX,
    )
    limiter.init_app(app)
    limiter.request_filter(_not_limited)
    state = _State(limiter, uri)
    app.extensions[EXTENSION_KEY] = state

    login_view = app.view_functions["accounts.login"]
    app.view_functions["accounts.login"] = limiter.shared_limit(
        login_limit, scope="login", methods=["POST"], key_func=lambda: f"addr:{client_address()}"
    )(login_view)
    limiter.shared_limit(api_limit, scope="api", key_func=state.api_client_key)(app.blueprints["api"])
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def storage_uri(app: Flask) -> str:
    """Where counters live: RATELIMIT_STORAGE_URI, else the job queue's Redis, else its SQLite file."""
    explicit = app.config.get("RATELIMIT_STORAGE_URI")
    if explicit:
        return str(explicit)
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        redis_url = str(redis_url)
        # huey (redis-py) writes a socket as unix://; limits calls that scheme redis+unix://.
        return "redis+" + redis_url if redis_url.startswith("unix://") else redis_url
    jobs = app.config.get("JOBS_DATABASE") or Path(app.instance_path) / "jobs.sqlite3"
    return ratelimit_sqlite.storage_uri(jobs)


def _storage_options(uri: str) -> dict[str, Any]:
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        return {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
    return {}


def limiter_of(app: Flask | None = None) -> Limiter | None:
    """The app's Limiter, or None when rate limits are off."""
    state = (app or current_app).extensions.get(EXTENSION_KEY)
    return state.limiter if state is not None else None


def _not_limited() -> bool:
    """True for every request but POST /login and /api/: /healthz, static files and pages skip
    Flask-Limiter's work and no default limit can reach them."""
    if request.path.startswith(API_PREFIX):
        return False
    return not (request.method == "POST" and request.endpoint == "accounts.login")


def client_address() -> str:
    """The client's address, as ProxyFix set it from TRUSTED_PROXIES' X-Forwarded-For."""
    return request.remote_addr or "unknown"


def retry_after_seconds() -> int | None:
    """Seconds until the limit this request broke lets it through again (None: none broken)."""
    limiter = limiter_of()
    current = limiter.current_limit if limiter is not None else None
    if current is None or not current.breached:
        return None
    try:
        return _seconds_until(current.window[0])
    except Exception:  # noqa: BLE001 -- the storage failed between the hit and now: say a minute
        log.warning("rate limit storage did not answer for Retry-After", exc_info=True)
        return 60


def describe_wait(seconds: int | None) -> str:
    """'12 seconds', '2 minutes': how long to wait, for messages."""
    seconds = seconds or 60
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


# --- answers -----------------------------------------------------------------------------


def too_many_requests(error: Exception):
    """429 as JSON under /api/, as the site's error page elsewhere (the login page shows its own form)."""
    from reviewer.api.errors import ApiError, error_response, is_api_request
    from reviewer.web.errors import render_error

    wait = retry_after_seconds()
    if is_api_request():
        broken = getattr(getattr(error, "limit", None), "limit", None)
        allowed = f": this API allows {broken} per token (per address without one)" if broken else ""
        message = f"Too many requests{allowed}. Try again in {describe_wait(wait)}."
        return error_response(ApiError(429, "rate_limited", message, retry_after=wait))
    return render_error(
        429, "Too many requests", f"This address has sent too many requests. Try again in {describe_wait(wait)}."
    )


def _rate_limit_headers(response: Response) -> Response:
    """X-RateLimit-* on every answer of a limited route (on a 429 only, without RATELIMIT_HEADERS_ENABLED);
    Retry-After only on a 429. From the request's own hit when the storage remembers it (the SQLite one);
    otherwise reading the window costs two storage reads."""
    limiter = limiter_of()
    current = limiter.current_limit if limiter is not None else None
    if current is None:
        return response
    if response.status_code != 429 and not _flag(current_app.config.get("RATELIMIT_HEADERS_ENABLED", True)):
        return response
    try:
        resets, remaining = _window(limiter, current)
    except Exception:  # noqa: BLE001 -- headers are a courtesy: never fail a request for them
        log.warning("rate limit storage did not answer; X-RateLimit headers left out", exc_info=True)
        return response
    pairs = [
        ("X-RateLimit-Limit", str(current.limit.amount)),
        ("X-RateLimit-Remaining", str(max(0, remaining))),
        ("X-RateLimit-Reset", str(math.ceil(resets))),  # when the window ends, in epoch seconds
    ]
    if response.status_code == 429:
        pairs.append(("Retry-After", str(_seconds_until(resets))))
    put_headers(response.headers, pairs, replace=True)
    return response


def _window(limiter: Limiter, current) -> tuple[float, int]:
    """(when the window resets, hits left in it) for the limit the request was counted against."""
    last_hit = getattr(limiter.storage, "last_hit", None)
    hit = last_hit(current.key) if last_hit is not None and not current.breached else None
    if hit is not None and isinstance(limiter.limiter, FixedWindowRateLimiter):
        count, expires_at = hit
        return expires_at, current.limit.amount - count
    return current.window


def _seconds_until(moment: float) -> int:
    return max(1, math.ceil(moment - time.time()))


# --- keys and settings -------------------------------------------------------------------


class _State:
    """One app's limiter, its storage URI, and the per-worker memory of token ids."""

    def __init__(self, limiter: Limiter, uri: str) -> None:
        self.limiter = limiter
        self.uri = uri
        self._token_ids: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def api_client_key(self) -> str:
        """`token:<id>` for a live API token, else `addr:<client address>`."""
        token_id = self._token_id(request.headers.get("Authorization", ""))
        return f"token:{token_id}" if token_id is not None else f"addr:{client_address()}"

    def _token_id(self, header: str) -> int | None:
        from reviewer.api.services import TOKEN_PATTERN, find_token, hash_token
        from reviewer.db import read_session

        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not TOKEN_PATTERN.match(secret):
            return None
        digest = hash_token(secret)
        now = time.monotonic()
        cached = self._token_ids.get(digest)
        if cached is not None and now - cached[1] < TOKEN_ID_TTL_SECONDS:
            return cached[0]
        try:
            with read_session() as session:
                match = find_token(session, secret)
        except SQLAlchemyError:  # the database is down: the request fails at authentication anyway
            log.warning("rate limit: could not look up the API token; counting by address", exc_info=True)
            return None
        if match is None:
            return None
        with self._lock:
            if len(self._token_ids) >= TOKEN_ID_CACHE_SIZE:
                self._token_ids.pop(next(iter(self._token_ids)))
            self._token_ids[digest] = (match.token_id, now)
        return match.token_id


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def _limit_setting(app: Flask, name: str) -> str:
    """The named limit, checked now so that a typo stops start-up rather than the first request."""
    value = app.config.get(name)
    try:
        if not isinstance(value, str) or not parse_many(value):
            raise ValueError(value)
    except ValueError:
        raise RateLimitConfigError(
            f"{name} (REVIEWER_{name}) {value!r} is not a rate limit: write e.g. '300 per minute', "
            "'20/second' or several separated by ';' ('300 per minute; 5000 per hour')"
        ) from None
    return value

