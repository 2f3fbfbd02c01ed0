"""Bearer-token authentication for `/api/v1`, declared on each view like the site's access rules.

`token_required(*roles)` records a `TokenAccess` on the view (so the route
matrix test sees who may use it) and, on each request, finds the user from
`Authorization: Bearer <token>`. The sign-in cookie is never accepted here:
a request with only a cookie gets 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from reviewer.accounts.models import ROLES
from reviewer.accounts.principal import Principal
from reviewer.audit.sqlite import BEGIN_OPTION
from reviewer.api.errors import ApiError
from reviewer.api.models import ApiToken
from reviewer.api.services import find_token
from reviewer.db import get_database, get_session
from reviewer.orm import commit_keeping_loaded, utcnow
from reviewer.web.access import Access

View = TypeVar("View", bound=Callable[..., Any])

# last_used_at is written at most this often per token, so reads stay reads.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenAccess(Access):
    """Access declared by an API view: signed in means holding a valid token, not a cookie."""

    token: bool = True


def _presented_token() -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        hint = " The API does not accept the sign-in cookie." if request.cookies else ""
        raise ApiError(401, "missing_token", f"Send an API token in the header `Authorization: Bearer <token>`.{hint}")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "invalid_token", "The Authorization header must be `Bearer <token>`.")
    return secret.strip()


def authenticate_request() -> Principal:
    """The user whose live token the request presents; ApiError 401 otherwise.

    Reads in the request's session. On SQLite a writing endpoint's session
    starts LAZY here: authenticating and the endpoint's own reads (and its
    policy check) run outside any transaction and take no lock, and its
    first write begins the transaction with the write lock. A reading
    endpoint's session stays DEFERRED (one snapshot for all its reads).
    """
    secret = _presented_token()
    session = get_session()
    if not session.in_transaction():
        reader = session.get_bind().get_execution_options().get(BEGIN_OPTION) == "DEFERRED"
        session.connection(execution_options={BEGIN_OPTION: "DEFERRED" if reader else "LAZY"})
    match = find_token(session, secret)
    if match is None:
        raise ApiError(
            401, "invalid_token", "The API token is not valid: it is mistyped, revoked, or its user is deactivated."
        )
    if match.expired:
        raise ApiError(
            401,
            "expired_token",
            f"The API token expired on {match.expires_at:%Y-%m-%d %H:%M} UTC: create a new one on the API tokens page "
            "(or with `reviewer api-token create`).",
        )
    now = utcnow()
    if match.last_used_at is None or now - match.last_used_at >= TOUCH_INTERVAL:
        _touch(session, match.token_id, now)
    return match.user


def _touch(session: Session, token_id: int, now: datetime) -> None:
    """Record when the token was last used (at most once a TOUCH_INTERVAL, so most requests write nothing)."""
    touch = touch_statement(token_id, now)
    if holds_write_lock(session):
        session.execute(touch)  # e.g. a cookie was read first: a second writer would wait for this one
    else:
        with get_database().engine.begin() as connection:  # a short transaction of its own
            connection.execute(touch)


def touch_statement(token_id: int, now: datetime):
    """UPDATE the token's last use to `now` unless it was recorded within the last TOUCH_INTERVAL."""
    return (
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_INTERVAL))
        .values(last_used_at=now)
    )


def holds_write_lock(session: Session) -> bool:
    """Whether the session's transaction already holds SQLite's write lock (began IMMEDIATE, or LAZY and wrote)."""
    if not session.in_transaction():
        return False
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return False
    mode = str(connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")).upper()
    if mode == "LAZY":
        return connection.connection.dbapi_connection.in_transaction
    return mode != "DEFERRED"


def begin_writing(session: Session) -> None:
    """SQLite: end the read-only snapshot so the next statement begins a writing transaction (LAZY: nothing to end).

    That takes the write lock (BEGIN IMMEDIATE), where concurrent
    writers queue within the busy timeout; a deferred transaction that read
    and then wrote would fail at once after another writer committed. Loaded
    objects are kept (nothing was changed), so nothing is read twice.
    """
    if not session.in_transaction() or session.connection().dialect.name != "sqlite" or holds_write_lock(session):
        return  # other databases lock rows, not the file: the transaction simply goes on
    if session.connection().get_execution_options().get(BEGIN_OPTION) == "LAZY":
        return  # nothing read holds a snapshot; the first write begins with the lock
    commit_keeping_loaded(session)


def token_required(*roles: str) -> Callable[[View], View]:
    """Only a valid token's user may call this view; with `roles`, only holders of one of them.

    On SQLite a view that stores nothing (POST /check) takes no lock: its
    session is LAZY (see `authenticate_request`) and it never writes.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"token_required needs roles from {ROLES}, got {roles!r}")
    access = TokenAccess(roles=frozenset(roles) if roles else None)

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = authenticate_request()
            if access.roles is not None and not user.has_role(*access.roles):
                needed = " or ".join(sorted(access.roles))
                raise ApiError(403, "forbidden", f"This needs the {needed} role; {user.username} does not hold it.")
            g.api_user = user
            return view(*args, **kwargs)

        guarded.access = access  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def api_user() -> Principal:
    """Who the current API request authenticated as (read this request: roles and groups are current)."""
    return g.api_user
