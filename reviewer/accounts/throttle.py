"""Sign-in with throttling: repeated failures lock a username (and an address) for a while.

Attempts are rows in the database, so the limit holds across workers and
restarts. While locked, the password is not even checked, and the attempt
is recorded as `throttled` (it does not extend the lock).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from reviewer.accounts.models import LoginAttempt, User
from reviewer.accounts.passwords import hasher_for, verify
from reviewer.accounts.services import get_user_by_username, normalise_username
from reviewer.audit import record
from reviewer.db import utcnow

# Attempts older than this are deleted as new ones arrive.
KEEP_ATTEMPTS = timedelta(days=7)


@dataclass(frozen=True)
class ThrottleSettings:
    max_failures: int = 5
    max_failures_per_ip: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def _lock_end(session: Session, column, value: str, limit: int, settings: ThrottleSettings, now: datetime):  # noqa: ANN001
    """When the lock on this username/address ends, or None when it is not locked."""
    since = now - settings.window - settings.lockout
    if column is LoginAttempt.username:
        last_success = session.scalar(
            select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.outcome == "success")
        )
        if last_success is not None and last_success > since:
            since = last_success
    failures = list(
        session.scalars(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.outcome == "failure", LoginAttempt.at > since)
            .order_by(LoginAttempt.at)
        )
    )
    # Locked when `limit` failures fall within one window; the lock runs from the last of them.
    for index in range(len(failures) - limit, -1, -1):
        first, last = failures[index], failures[index + limit - 1]
        if last - first <= settings.window:
            end = last + settings.lockout
            return end if end > now else None
    return None


def locked_until(session: Session, username: str, ip: str, settings: ThrottleSettings) -> datetime | None:
    now = utcnow()
    ends = [
        _lock_end(session, LoginAttempt.username, normalise_username(username), settings.max_failures, settings, now),
        _lock_end(session, LoginAttempt.ip, ip, settings.max_failures_per_ip, settings, now),
    ]
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


@lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the username is unknown, so that a wrong username
    takes as long as a wrong password."""
    return hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str, ip: str, settings: ThrottleSettings) -> LoginResult:
    """Check a username and password, throttled; audits every outcome."""
    username = normalise_username(username)[:256]
    ip = ip[:64] or "unknown"
    now = utcnow()
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS))
    until = locked_until(session, username, ip, settings)
    if until is not None:
        session.add(LoginAttempt(username=username, ip=ip, outcome="throttled", at=now))
        record(session, None, "auth.login_throttled", None, {"username": username, "ip": ip, "until": until.isoformat()})
        session.flush()
        return LoginResult(None, until)

    hasher = hasher_for(session)
    user = get_user_by_username(session, username)
    if user is None:
        verify(hasher, _dummy_hash(hasher), password)
        ok = False
    else:
        ok = verify(hasher, user.password_hash, password) and user.active
    if not ok:
        session.add(LoginAttempt(username=username, ip=ip, outcome="failure", at=now))
        session.flush()
        reason = "unknown user" if user is None else ("deactivated" if not user.active else "wrong password")
        record(session, None, "auth.login_failed", None, {"username": username, "ip": ip, "reason": reason})
        return LoginResult(None, locked_until(session, username, ip, settings))

    assert user is not None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = now
    session.add(LoginAttempt(username=username, ip=ip, outcome="success", at=now))
    session.flush()
    record(session, user, "auth.login", f"user:{user.id}", {"ip": ip})
    return LoginResult(user)
