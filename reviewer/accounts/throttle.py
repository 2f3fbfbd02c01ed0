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
from reviewer.orm import utcnow

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


@dataclass(frozen=True)
class Verdict:
    """What `check_credentials` found: read-only, so no write lock is held while hashing."""

    username: str
    ip: str
    outcome: str  # success | failure | throttled
    user_id: int | None = None
    reason: str | None = None  # why a failure failed (for the audit trail only)
    locked_until: datetime | None = None
    new_hash: str | None = None  # the password re-hashed with today's parameters, when they changed


def check_credentials(session: Session, username: str, password: str, ip: str, settings: ThrottleSettings) -> Verdict:
    """Read phase of a sign-in: the lock, the user, the password. Writes nothing.

    Run it in a read transaction (on SQLite, one that does not take the
    write lock), end that transaction, then pass the verdict to
    `record_attempt`: the slow password hash never holds the database's
    write lock. Two attempts racing between the phases can each slip one
    try past the lock; the next attempt sees both.
    """
    username = normalise_username(username)[:256]
    ip = ip[:64] or "unknown"
    until = locked_until(session, username, ip, settings)
    if until is not None:
        return Verdict(username, ip, "throttled", locked_until=until)
    hasher = hasher_for(session)
    user = get_user_by_username(session, username)
    if user is None:
        verify(hasher, _dummy_hash(hasher), password)
        return Verdict(username, ip, "failure", reason="unknown user")
    if not verify(hasher, user.password_hash, password):
        return Verdict(username, ip, "failure", user.id, "wrong password")
    if not user.active:
        return Verdict(username, ip, "failure", user.id, "deactivated")
    if user.oidc_subject is not None:
        # Provisioned by single sign-on: only the provider signs them in, so removing them there ends their access.
        return Verdict(username, ip, "failure", user.id, "single sign-on account")
    new_hash = hasher.hash(password) if hasher.check_needs_rehash(user.password_hash) else None
    return Verdict(username, ip, "success", user.id, new_hash=new_hash)


def record_attempt(session: Session, verdict: Verdict, settings: ThrottleSettings) -> LoginResult:
    """Write phase of a sign-in: the attempt row, the audit event, the user's last sign-in."""
    now = utcnow()
    username, ip = verdict.username, verdict.ip
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS))
    user = session.get(User, verdict.user_id) if verdict.user_id is not None else None
    if verdict.outcome == "success" and (user is None or not user.active):
        # Deactivated (or deleted) between the two phases: refuse.
        verdict = Verdict(username, ip, "failure", verdict.user_id, "deactivated")
    session.add(LoginAttempt(username=username, ip=ip, outcome=verdict.outcome, at=now))
    session.flush()
    if verdict.outcome == "throttled":
        until = verdict.locked_until
        record(session, None, "auth.login_throttled", None, {"username": username, "ip": ip, "until": until.isoformat()})
        return LoginResult(None, until)
    if verdict.outcome == "failure":
        record(session, None, "auth.login_failed", None, {"username": username, "ip": ip, "reason": verdict.reason})
        return LoginResult(None, locked_until(session, username, ip, settings))
    assert user is not None
    if verdict.new_hash is not None:
        user.password_hash = verdict.new_hash
    user.last_login_at = now
    session.flush()
    record(session, user, "auth.login", f"user:{user.id}", {"ip": ip})
    return LoginResult(user)


def authenticate(session: Session, username: str, password: str, ip: str, settings: ThrottleSettings) -> LoginResult:
    """Check a username and password, throttled, in one transaction; audits every outcome.

    The web view runs the two phases in separate transactions instead (see
    `check_credentials`).
    """
    return record_attempt(session, check_credentials(session, username, password, ip, settings), settings)
