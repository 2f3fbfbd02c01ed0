"""Login throttling: per username and per address, stored in the database."""

from __future__ import annotations

import json
from datetime import timedelta

from reviewer.accounts.models import LoginAttempt
from reviewer.accounts.throttle import ThrottleSettings, authenticate, locked_until
from reviewer.orm import utcnow

SETTINGS = ThrottleSettings(max_failures=3, max_failures_per_ip=5)


def fail(session, username: str, ip: str = "10.0.0.1"):
    result = authenticate(session, username, "wrong-password-here", ip, SETTINGS)
    session.commit()
    return result


def test_right_password_signs_in_and_is_audited(db_session, make_user, audit_actions) -> None:
    user = make_user("sam")
    result = authenticate(db_session, "SAM", user.test_password, "10.0.0.1", SETTINGS)
    db_session.commit()
    assert result.ok and result.user is user and user.last_login_at is not None
    assert audit_actions()[-1] == "auth.login"


def test_failures_are_audited_with_the_username_tried(db_session, make_user, audit_actions) -> None:
    from sqlalchemy import select

    from reviewer.audit import AuditEvent

    make_user("sam")
    assert not fail(db_session, "nobody").ok
    assert not fail(db_session, "sam").ok
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert [e.actor_name for e in events] == [None, None]
    assert json.loads(events[0].data)["username"] == "nobody"
    assert json.loads(events[1].data) == {"ip": "10.0.0.1", "reason": "wrong password", "username": "sam"}


def test_repeated_failures_lock_the_username_even_for_the_right_password(db_session, make_user, audit_actions) -> None:
    user = make_user("sam")
    assert fail(db_session, "sam").locked_until is None
    assert fail(db_session, "sam").locked_until is None
    third = fail(db_session, "sam")
    assert third.locked_until is not None
    assert timedelta(minutes=14) < third.locked_until - utcnow() <= timedelta(minutes=15)
    result = authenticate(db_session, "sam", user.test_password, "10.9.9.9", SETTINGS)
    db_session.commit()
    assert not result.ok and result.locked_until == third.locked_until
    assert audit_actions()[-1] == "auth.login_throttled"
    # Another username from the same address is not locked (3 < 5 per address).
    other = make_user("jo")
    assert authenticate(db_session, "jo", other.test_password, "10.0.0.1", SETTINGS).ok


def test_the_lock_ends_after_the_lockout(db_session, make_user) -> None:
    user = make_user("sam")
    long_ago = utcnow() - timedelta(minutes=16)
    db_session.add_all(
        LoginAttempt(username="sam", ip="10.0.0.1", outcome="failure", at=long_ago + timedelta(seconds=i)) for i in range(3)
    )
    db_session.commit()
    assert locked_until(db_session, "sam", "10.0.0.1", SETTINGS) is None
    assert authenticate(db_session, "sam", user.test_password, "10.0.0.1", SETTINGS).ok


def test_failures_spread_wider_than_the_window_do_not_lock(db_session, make_user) -> None:
    make_user("sam")
    now = utcnow()
    db_session.add_all(
        LoginAttempt(username="sam", ip="10.0.0.1", outcome="failure", at=now - timedelta(minutes=m)) for m in (29, 14)
    )
    db_session.commit()
    assert fail(db_session, "sam").locked_until is None


def test_a_success_clears_earlier_failures(db_session, make_user) -> None:
    user = make_user("sam")
    fail(db_session, "sam")
    fail(db_session, "sam")
    assert authenticate(db_session, "sam", user.test_password, "10.0.0.1", SETTINGS).ok
    db_session.commit()
    assert fail(db_session, "sam").locked_until is None


def test_many_usernames_from_one_address_lock_the_address(db_session, make_user) -> None:
    user = make_user("victim")
    for n in range(5):
        fail(db_session, f"guess{n}", ip="203.0.113.7")
    result = authenticate(db_session, "victim", user.test_password, "203.0.113.7", SETTINGS)
    assert not result.ok and result.locked_until is not None
    assert authenticate(db_session, "victim", user.test_password, "198.51.100.1", SETTINGS).ok


def test_a_deactivated_user_cannot_sign_in(db_session, make_user) -> None:
    from reviewer.accounts.services import deactivate_user

    user = make_user("leaver")
    deactivate_user(db_session, None, user)
    db_session.commit()
    assert not authenticate(db_session, "leaver", user.test_password, "10.0.0.1", SETTINGS).ok


def test_the_check_phase_writes_nothing_and_a_deactivation_in_between_wins(db_session, make_user) -> None:
    from sqlalchemy import func, select

    from reviewer.accounts.services import deactivate_user
    from reviewer.accounts.throttle import begin_attempt, check_password, finish_attempt
    from reviewer.audit import AuditEvent

    user = make_user("sam")
    attempt = begin_attempt(db_session, "sam", "10.0.0.1", SETTINGS)
    db_session.commit()
    assert db_session.scalars(select(LoginAttempt.outcome)).all() == ["failure"]  # counted before the check
    events = db_session.scalar(select(func.count()).select_from(AuditEvent))
    verdict = check_password(db_session, attempt, user.test_password)
    assert verdict.outcome == "success" and verdict.user_id == user.id
    assert not db_session.new and not db_session.dirty
    deactivate_user(db_session, None, user)
    db_session.commit()
    events_after_deactivation = db_session.scalar(select(func.count()).select_from(AuditEvent))
    assert events_after_deactivation == events + 1
    result = finish_attempt(db_session, attempt, verdict, SETTINGS)
    db_session.commit()
    assert not result.ok
    assert db_session.scalars(select(LoginAttempt.outcome)).all() == ["failure"]


def test_an_attempt_still_being_checked_counts_against_the_limit(db_session, make_user) -> None:
    from reviewer.accounts.throttle import begin_attempt, check_password, finish_attempt

    user = make_user("sam")
    begun = [begin_attempt(db_session, "sam", "10.0.0.1", SETTINGS) for _ in range(SETTINGS.max_failures)]
    db_session.commit()
    assert all(attempt.locked_until is None for attempt in begun)
    assert begin_attempt(db_session, "sam", "10.0.0.1", SETTINGS).locked_until is not None  # the others are hashing
    db_session.commit()
    last = begun[-1]
    assert finish_attempt(db_session, last, check_password(db_session, last, user.test_password), SETTINGS).ok
    db_session.commit()
    assert begin_attempt(db_session, "sam", "10.0.0.1", SETTINGS).locked_until is None  # a success clears the count
