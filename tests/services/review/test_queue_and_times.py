"""Approver queues (filters, oldest first) and response times (per account and group, breaches)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fixtures_workflow import LEGAL_TEXT, REVIEW_TEXT
from reviewer.review import services as review
from reviewer.review.queue import queue
from reviewer.review.stats import Durations, response_times
from reviewer.review.workflow import InvalidInput, NotAllowed


def submitted_at(session, draft, when: datetime) -> None:
    draft.submitted_at = when
    session.commit()


def test_queue_is_per_group_oldest_first_with_filters(db_session, make_draft, make_account) -> None:
    now = datetime.now(timezone.utc)
    account = make_account()
    old = make_draft("pending", account=account)
    submitted_at(db_session, old, now - timedelta(days=2))
    new = make_draft("pending")
    legal = make_draft("pending", text=LEGAL_TEXT)
    make_draft("approved")

    comms = queue(db_session, "comms", now=now)
    assert [i.draft.id for i in comms] == [old.id, new.id]
    assert comms[0].waiting >= timedelta(days=2) and comms[0].waiting_minutes >= 2880
    assert comms[0].outstanding_groups == ("comms",) and comms[0].approvers_missing == 1
    assert comms[0].version.number == 1 and comms[0].inbound is None
    assert [i.draft.id for i in queue(db_session, "legal")] == [legal.id]
    assert queue(db_session, "press") == []

    assert [i.draft.id for i in queue(db_session, "comms", account_id=account.id)] == [old.id]
    assert [i.draft.id for i in queue(db_session, "comms", older_than=timedelta(days=1), now=now)] == [old.id]
    assert [i.draft.id for i in queue(db_session, "comms", rule="commitments.promises")] == [old.id, new.id]
    assert queue(db_session, "comms", rule="legal.sub_judice") == []
    assert len(queue(db_session, "comms", decision="review")) == 2
    assert queue(db_session, "comms", decision="pass") == []
    with pytest.raises(InvalidInput) as bad:
        queue(db_session, "comms", decision="maybe")
    assert bad.value.field == "decision"


def test_a_draft_leaves_the_queue_once_approved(db_session, make_draft, make_user) -> None:
    draft = make_draft("pending")
    review.approve(db_session, make_user(roles=["approver"], groups=["comms"]), draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.id not in [i.draft.id for i in queue(db_session, "comms")]


def test_durations_use_nearest_rank() -> None:
    assert Durations.of([]) == Durations(0, None, None, None)
    summary = Durations.of([float(m) for m in range(1, 11)])
    assert (summary.count, summary.median_minutes, summary.p90_minutes, summary.max_minutes) == (10, 5.5, 9.0, 10.0)


def test_response_times_per_account_and_group_with_breaches(db_session, make_account, make_inbound, make_user, make_draft) -> None:
    now = datetime.now(timezone.utc)
    fast = make_account(name="Fast")
    slow = make_account(name="Slow")
    slow.response_target_minutes = 60
    db_session.commit()

    quick = make_inbound(fast, received_at=now - timedelta(minutes=30))
    make_draft("approved", inbound=quick)  # answered within minutes
    late = make_inbound(slow, received_at=now - timedelta(hours=5))
    draft = make_draft("pending", inbound=late)
    submitted_at(db_session, draft, now - timedelta(hours=3))
    review.approve(db_session, make_user(roles=["approver"], groups=["comms"]), draft, expected_version=draft.lock_version)
    db_session.commit()
    waiting = make_inbound(slow, received_at=now - timedelta(hours=2))
    make_inbound(slow, received_at=now - timedelta(days=30))  # outside the period

    report = response_times(db_session, since=now - timedelta(days=1), until=now + timedelta(minutes=1), now=now + timedelta(seconds=5))
    by_label = {a.label.split(" (")[0]: a for a in report.accounts}
    assert by_label["Fast"].received == 1 and by_label["Fast"].answered == 1
    assert by_label["Fast"].within_target == 1 and by_label["Fast"].breaches == 0
    assert by_label["Fast"].response.median_minutes < 31
    slow_row = by_label["Slow"]
    assert (slow_row.target_minutes, slow_row.received, slow_row.answered, slow_row.unanswered) == (60, 2, 1, 1)
    assert slow_row.breaches == 2 and slow_row.within_target == 0
    assert [b.post_id for b in report.breaches] == [late.id, waiting.id]
    assert report.breaches[0].answered_at is not None and report.breaches[1].answered_at is None
    assert 299 < report.breaches[0].minutes < 302
    [comms] = [g for g in report.groups if g.group == "comms"]
    assert comms.submitted == 1 and comms.approved == 1 and comms.waiting_now == 0
    assert 179 < comms.wait.median_minutes < 182
    data = report.to_dict()
    assert isinstance(data["since"], str) and isinstance(data["breaches"][0]["received_at"], str)

    only_fast = response_times(db_session, since=now - timedelta(days=1), until=now + timedelta(minutes=1), account_id=fast.id)
    assert [a.account_id for a in only_fast.accounts] == [fast.id] and only_fast.breaches == []


def test_pending_drafts_count_as_waiting(db_session, make_draft) -> None:
    now = datetime.now(timezone.utc)
    make_draft("pending", text=REVIEW_TEXT)
    report = response_times(db_session, since=now - timedelta(hours=1), until=now + timedelta(hours=1))
    [comms] = report.groups
    assert (comms.submitted, comms.waiting_now, comms.approved, comms.wait.count) == (1, 1, 0, 0)


def test_response_times_want_an_aware_period(db_session) -> None:
    now = datetime.now(timezone.utc)
    with pytest.raises(ValueError, match="timezone-aware"):
        response_times(db_session, since=datetime(2026, 1, 1), until=now)
    with pytest.raises(ValueError, match="must be after"):
        response_times(db_session, since=now, until=now - timedelta(days=1))


def test_queue_limit_keeps_the_oldest(db_session, make_draft) -> None:
    first = make_draft("pending")
    make_draft("pending")
    assert [i.draft.id for i in queue(db_session, "comms", limit=1)] == [first.id]


def test_response_targets_are_set_by_administrators(db_session, make_account, make_user, audit_actions) -> None:
    account = make_account()
    assert account.response_target_minutes == 1440
    with pytest.raises(NotAllowed):
        review.set_response_target(db_session, make_user(roles=["approver"]), account, 60)
    admin = make_user(roles=["admin"])
    for bad in (0, 4, -5, 30 * 24 * 60 + 1, "60", True):
        with pytest.raises(InvalidInput) as error:
            review.set_response_target(db_session, admin, account, bad)
        assert error.value.field == "response_target_minutes"
    assert review.set_response_target(db_session, admin, account, 480)
    db_session.commit()
    assert account.response_target_minutes == 480 and audit_actions()[-1] == "account.changed"
    assert not review.set_response_target(db_session, admin, account, 480)
