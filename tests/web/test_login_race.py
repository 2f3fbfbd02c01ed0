"""Concurrent sign-ins on one username cannot race past the lock-out (issue 15, item 2).

The probe sent 100 attempts at once (99 wrong passwords, then the right
one): 18 passwords were checked against a limit of 5, and the right one
signed in. The lock check and the count were separate transactions with the
slow password hash between them. Here each password check is made slow (as
the production hash is) so that every attempt arrives while the others are
hashing; at most LOGIN_MAX_FAILURES passwords may be checked, on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

ATTEMPTS = 24
LIMIT = 5
HASH_SECONDS = 0.3  # what one production argon2 check costs, about


@pytest.fixture
def slow_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check sleeps HASH_SECONDS (the race window); returns the passwords checked."""
    from reviewer.accounts import throttle

    checked: list[str] = []
    real_verify = throttle.verify

    def slow_verify(hasher: Any, hashed: str, password: str) -> bool:
        checked.append(password)
        time.sleep(HASH_SECONDS)
        return real_verify(hasher, hashed, password)

    monkeypatch.setattr(throttle, "verify", slow_verify)
    return checked


def _race(app: Any, passwords: list[str]) -> dict[str, int]:
    """Every password tried for "sam" at the same moment, each from its own client; password -> status."""
    barrier = threading.Barrier(len(passwords))
    statuses: dict[str, int] = {}

    def sign_in(password: str) -> None:
        client = app.test_client()
        barrier.wait()
        statuses[password] = client.post("/login", data={"username": "sam", "password": password}).status_code

    threads = [threading.Thread(target=sign_in, args=(password,)) for password in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == len(passwords), statuses
    assert set(statuses.values()) <= {302, 401, 429}, statuses
    return statuses


def _outcomes(db_session: Any) -> dict[str, int]:
    from reviewer.accounts.models import LoginAttempt

    db_session.rollback()
    return dict(db_session.execute(
        select(LoginAttempt.outcome, func.count()).where(LoginAttempt.username == "sam").group_by(LoginAttempt.outcome)
    ).all())


def test_concurrent_wrong_passwords_check_at_most_the_limit(make_app, make_user, db_session, slow_checks) -> None:
    app = make_app(LOGIN_MAX_FAILURES=LIMIT, LOGIN_MAX_FAILURES_PER_IP=1000)
    make_user("sam")
    statuses = _race(app, [f"wrong-password-{n:03d}" for n in range(ATTEMPTS)])
    assert len(slow_checks) == LIMIT, f"{len(slow_checks)} passwords checked against a limit of {LIMIT}"
    assert list(statuses.values()).count(429) >= ATTEMPTS - LIMIT
    assert _outcomes(db_session) == {"failure": LIMIT, "throttled": ATTEMPTS - LIMIT}


def test_the_right_password_among_many_wrong_ones_signs_in_only_within_the_limit(make_app, make_user, db_session, slow_checks) -> None:
    """The probe's case. A sign-in clears the failures before it (as one after a lock-out would), so
    after it up to LIMIT more wrong passwords may be checked; never more."""
    app = make_app(LOGIN_MAX_FAILURES=LIMIT, LOGIN_MAX_FAILURES_PER_IP=1000)
    user = make_user("sam")
    statuses = _race(app, [f"wrong-password-{n:03d}" for n in range(ATTEMPTS - 1)] + [user.test_password])
    signed_in = statuses[user.test_password] == 302
    assert signed_in == (user.test_password in slow_checks)  # it signs in only if its password was checked
    assert len(slow_checks) <= (2 * LIMIT if signed_in else LIMIT), f"{len(slow_checks)} passwords checked, limit {LIMIT}"
    outcomes = _outcomes(db_session)
    assert outcomes.get("failure", 0) + outcomes.get("success", 0) == len(slow_checks), outcomes
    assert outcomes.get("throttled", 0) == ATTEMPTS - len(slow_checks), outcomes
