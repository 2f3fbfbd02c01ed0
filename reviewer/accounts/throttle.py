"""Sign-in with throttling: repeated failures lock a username (and an address) for a while.

Attempts are rows in the database, so the limit holds across workers and
restarts. While locked, the password is not even checked, and the attempt
is recorded as `throttled` (it does not extend the lock). The lock check
and the attempt's row are written together, one attempt at a time per
username and address (`begin_attempt`), so concurrent attempts cannot all
pass the check before any of them is counted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher

from sqlalchemy import delete, func, select, text
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


def _lock_end(session: Session, column, value: str, limit: int, settings: ThrottleSettings, now: datetime):
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
class Attempt:
    """A sign-in attempt begun by `begin_attempt`: its row (counted as a failure until the password
    is proved), or the lock it ran into."""

    username: str
    ip: str
    attempt_id: int | None = None
    locked_until: datetime | None = None  # set: throttled (recorded and audited already)


@dataclass(frozen=True)
class Verdict:
    """What `check_password` found: read-only, so no write lock is held while hashing."""

    outcome: str  # success | failure
    user_id: int | None = None
    reason: str | None = None  # why a failure failed (for the audit trail only)
    new_hash: str | None = None  # the password re-hashed with today's parameters, when they changed


def _serialise(session: Session, username: str, ip: str) -> None:
    """Make concurrent `begin_attempt`s on one username or address take turns.

    PostgreSQL (READ COMMITTED): transaction-scoped advisory locks on the
    username and the address, in a fixed order, so a second attempt's lock
    check waits until the first one's row is committed. SQLite: the write
    lock, taken by the first write of the transaction (a request's writing
    session begins IMMEDIATE and holds it from the start; see
    reviewer.audit.sqlite), so the DELETE below comes before any read.
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted({f"login-user:{username}", f"login-ip:{ip}"}):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - KEEP_ATTEMPTS))


def begin_attempt(session: Session, username: str, ip: str, settings: ThrottleSettings) -> Attempt:
    """First phase of a sign-in: the lock check and the attempt's row, atomically.

    Run it in a short writing transaction of its own and commit. The row is
    a failure until `finish_attempt` says otherwise, so attempts that are
    still hashing count against the limit: of many at once, only the first
    `max_failures` get their password checked. While locked, the attempt is
    recorded as `throttled` and audited, and the password is never checked.
    """
    username = normalise_username(username)[:256]
    ip = ip[:64] or "unknown"
    _serialise(session, username, ip)
    now = utcnow()
    until = locked_until(session, username, ip, settings)
    if until is not None:
        session.add(LoginAttempt(username=username, ip=ip, outcome="throttled", at=now))
        session.flush()
        record(session, None, "auth.login_throttled", None, {"username": username, "ip": ip, "until": until.isoformat()})
        return Attempt(username, ip, locked_until=until)
    row = LoginAttempt(username=username, ip=ip, outcome="failure", at=now)
    session.add(row)
    session.flush()
    return Attempt(username, ip, row.id)


def check_password(session: Session, attempt: Attempt, password: str) -> Verdict:
    """Second phase: the user and the password. Writes nothing.

    Run it in a read transaction (on SQLite, one that does not take the
    write lock): the slow password hash never holds the database's lock.
    """
    hasher = hasher_for(session)
    user = get_user_by_username(session, attempt.username)
    if user is None:
        verify(hasher, _dummy_hash(hasher), password)
        return Verdict("failure", reason="unknown user")
    if not verify(hasher, user.password_hash, password):
        return Verdict("failure", user.id, "wrong password")
    if not user.active:
        return Verdict("failure", user.id, "deactivated")
    if user.oidc_subject is not None:
        # Provisioned by single sign-on: only the provider signs them in, so removing them there ends their access.
        return Verdict("failure", user.id, "single sign-on account")
    new_hash = hasher.hash(password) if hasher.check_needs_rehash(user.password_hash) else None
    return Verdict("success", user.id, new_hash=new_hash)


def finish_attempt(session: Session, attempt: Attempt, verdict: Verdict, settings: ThrottleSettings) -> LoginResult:
    """Last phase: the attempt's outcome, the audit event, the user's last sign-in."""
    now = utcnow()
    username, ip = attempt.username, attempt.ip
    user = session.get(User, verdict.user_id) if verdict.user_id is not None else None
    if verdict.outcome == "success" and (user is None or not user.active):
        # Deactivated (or deleted) between the phases: refuse.
        verdict = Verdict("failure", verdict.user_id, "deactivated")
    row = session.get(LoginAttempt, attempt.attempt_id) if attempt.attempt_id is not None else None
    if row is None:  # never begun, or removed since: record it now
        row = LoginAttempt(username=username, ip=ip)
        session.add(row)
    row.outcome, row.at = verdict.outcome, now
    session.flush()
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

    The web view runs the three phases in separate transactions instead, so
    the hash holds no lock (see `begin_attempt`).
    """
    attempt = begin_attempt(session, username, ip, settings)
    if attempt.locked_until is not None:
        return LoginResult(None, attempt.locked_until)
    return finish_attempt(session, attempt, check_password(session, attempt, password), settings)
