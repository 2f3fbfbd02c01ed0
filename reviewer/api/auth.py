"""Bearer-token authentication for `/api/v1`, declared on each view like the site's access rules.

`token_required(*roles)` records a `TokenAccess` on the view (so the route
matrix test sees who may use it) and, on each request, finds the user from
`Authorization: Bearer <token>`. The sign-in cookie is never accepted here:
a request with only a cookie gets 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy import or_, update

from reviewer.accounts.models import ROLES, User
from reviewer.api.errors import ApiError
from reviewer.api.models import ApiToken
from reviewer.api.services import find_token
from reviewer.db import get_database, get_session, utcnow
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


def authenticate_request() -> User:
    """The user whose live token the request presents; ApiError 401 otherwise."""
    secret = _presented_token()
    database = get_database()
    with database.sessions(bind=database.readonly_engine) as lookup:
        match = find_token(lookup, secret)
    if match is None:
        raise ApiError(
            401, "invalid_token", "The API token is not valid: it is mistyped, revoked, or its user is deactivated."
        )
    now = utcnow()
    if match.last_used_at is None or now - match.last_used_at >= TOUCH_INTERVAL:
        touch = (
            update(ApiToken)
            .where(ApiToken.id == match.token_id)
            .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_INTERVAL))
            .values(last_used_at=now)
        )
        current = g.get("db_session")
        if current is not None and current.in_transaction() and current.get_bind() is database.engine:
            # This request already holds the write lock (e.g. a cookie was read first): write in it.
            current.execute(touch)
        else:
            with database.engine.begin() as connection:  # short, before the request's own transaction
                connection.execute(touch)
    user = get_session().get(User, match.user_id)
    if user is None or not user.active:
        raise ApiError(401, "invalid_token", "The API token's user no longer exists or is deactivated.")
    return user


def use_read_only_session() -> None:
    """Make this request's session a reader (no SQLite write lock), for endpoints that store nothing."""
    if "db_session" not in g:
        database = get_database()
        g.db_session = database.sessions(bind=database.readonly_engine)


def token_required(*roles: str, read_only: bool = False) -> Callable[[View], View]:
    """Only a valid token's user may call this view; with `roles`, only holders of one of them.

    `read_only`: the view stores nothing, so its session never takes the write lock.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"token_required needs roles from {ROLES}, got {roles!r}")
    access = TokenAccess(roles=frozenset(roles) if roles else None)

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if read_only:
                use_read_only_session()
            user = authenticate_request()
            if access.roles is not None and not user.has_role(*access.roles):
                needed = " or ".join(sorted(access.roles))
                raise ApiError(403, "forbidden", f"This needs the {needed} role; {user.username} does not hold it.")
            g.api_user = user
            return view(*args, **kwargs)

        guarded.access = access  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def api_user() -> User:
    """The user the current API request authenticated as."""
    return g.api_user
