"""Create, list, revoke and look up API tokens.

A token is `rvw_` followed by 43 random URL-safe characters (256 bits). It is
shown once, when created; the database keeps only its sha256 and its first
12 characters (the prefix, to tell tokens apart). A token expires
`lifetime_days` after creation (API_TOKEN_LIFETIME_DAYS, 90 by default), and
a password reset or change revokes all of its user's tokens. Services take
`(session, actor, ...)`, flush but never commit, and audit every change.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from reviewer.accounts.models import ApproverGroup, User, UserRole, user_groups
from reviewer.accounts.principal import Principal
from reviewer.api.models import ApiToken
from reviewer.audit import record
from reviewer.orm import utcnow

TOKEN_PREFIX = "rvw_"
PREFIX_LENGTH = 12  # "rvw_" and 8 random characters
MAX_NAME_LENGTH = 80
TOKEN_PATTERN = re.compile(r"^rvw_[A-Za-z0-9_-]{43}$")
DEFAULT_LIFETIME_DAYS = 90  # API_TOKEN_LIFETIME_DAYS


class TokenError(ValueError):
    """A token request the rules refuse; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class NewToken:
    """A token just made: the row, and the secret to show once."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise TokenError("Give the token a name that says what uses it (e.g. 'Hootsuite integration').", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"A token name is at most {MAX_NAME_LENGTH} characters; this one has {len(name)}.", "name")
    return name


def create_token(
    session: Session, actor: User | None, user: User, name: str | None, lifetime_days: int = DEFAULT_LIFETIME_DAYS
) -> NewToken:
    """Make a token for `user` (an active account), valid `lifetime_days`; audit `api_token.created` without the secret."""
    if not user.active:
        raise TokenError(f"{user.username} is deactivated: reactivate the account before giving it a token.")
    name = _clean_name(name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_sha256=hash_token(secret),
        prefix=secret[:PREFIX_LENGTH],
        expires_at=utcnow() + timedelta(days=lifetime_days),
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        "api_token.created",
        f"api_token:{token.id}",
        {"user": user.username, "name": name, "prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
    )
    return NewToken(token, secret)


def revoke_token(session: Session, actor: User | None, token: ApiToken, reason: str = "revoked") -> ApiToken:
    """Stop a token working at once; audit `api_token.revoked` with `reason`. The row is kept for the record."""
    if token.revoked_at is not None:
        raise TokenError(f"The token {token.prefix}… ({token.name}) is already revoked.")
    token.revoked_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "api_token.revoked",
        f"api_token:{token.id}",
        {"user": token.user.username, "name": token.name, "prefix": token.prefix, "reason": reason},
    )
    return token


def revoke_user_tokens(session: Session, actor: User | None, user: User, reason: str) -> int:
    """Revoke every live token of `user` (e.g. `reason="password_reset"`), each audited; how many were revoked."""
    live = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for token in live:
        revoke_token(session, actor, token, reason)
    return len(live)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """A user's tokens, newest first (revoked ones included)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    return list(session.scalars(query))


def get_user_token(session: Session, user: User, token_id: int) -> ApiToken | None:
    """The user's own token with this id, or None (another user's token is not found, not forbidden)."""
    token = session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


@dataclass(frozen=True)
class TokenMatch:
    """Who a presented token belongs to (with roles and groups), when the token was last used and when it expires."""

    user: Principal
    token_id: int
    last_used_at: datetime | None
    expires_at: datetime

    @property
    def expired(self) -> bool:
        return self.expires_at <= utcnow()


# Built once: this runs on every API request, and building the statement costs more than running it.
# Plain rows, not ORM objects: one per (role, group) pair of the token's user, a handful at most.
_FIND_TOKEN = (
    select(
        ApiToken.id, ApiToken.last_used_at, ApiToken.expires_at, User.id, User.username, User.display_name,
        UserRole.role, ApproverGroup.id, ApproverGroup.name,
    )
    .select_from(ApiToken)
    .join(User, ApiToken.user_id == User.id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(user_groups, user_groups.c.user_id == User.id)
    .outerjoin(ApproverGroup, ApproverGroup.id == user_groups.c.group_id)
    .where(ApiToken.token_sha256 == bindparam("token_sha256"), ApiToken.revoked_at.is_(None), User.active)
)


def find_token(session: Session, secret: str) -> TokenMatch | None:
    """The token `secret` names (not revoked, its user active), or None; one query. It may have expired.

    Looked up by sha256, so the comparison never touches the secret itself.
    """
    if not TOKEN_PATTERN.match(secret):
        return None
    rows = session.connection().execute(_FIND_TOKEN, {"token_sha256": hash_token(secret)}).all()
    if not rows:
        return None
    token_id, last_used_at, expires_at = rows[0][:3]
    return TokenMatch(Principal.from_rows(row[3:] for row in rows), token_id, last_used_at, expires_at)
