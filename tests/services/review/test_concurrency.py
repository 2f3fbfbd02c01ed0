"""Two approvers at the same moment: exactly one decision wins, the other gets ConflictError, nothing is lost.

Each thread has its own Session from the app's sessionmaker, as two web
requests would (SQLite file with BEGIN IMMEDIATE, or PostgreSQL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from reviewer.audit import AuditEvent, verify
from reviewer.db import get_database
from reviewer.drafting.models import Draft
from reviewer.review import services as review
from reviewer.review.models import Approval, ReviewAction
from reviewer.review.workflow import ConflictError

THREAD_TIMEOUT = 60


def run_together(app, jobs: list[Callable]) -> list[object]:
    """Run each job(session) in its own thread and session, released at once; returns results or exceptions."""
    database = get_database(app)
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(index: int, job: Callable) -> None:
        barrier.wait(timeout=THREAD_TIMEOUT)
        with database.sessions() as session:
            try:
                results[index] = job(session)
                session.commit()
            except Exception as error:  # noqa: BLE001 -- the test inspects what each thread got
                session.rollback()
                results[index] = error

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
        assert not thread.is_alive(), "a thread hung: a lock was never released"
    return results


def decide(draft_id: int, user_id: int, version: int, action: str) -> Callable:
    def job(session):
        from reviewer.accounts.models import User

        draft = session.get(Draft, draft_id)
        user = session.get(User, user_id)
        if action == "approve":
            review.approve(session, user, draft, expected_version=version)
        elif action == "reject":
            review.reject(session, user, draft, "No.", expected_version=version)
        else:
            review.return_for_changes(session, user, draft, "Change it.", expected_version=version)
        return draft.state

    return job


def chain_ok(app, session) -> None:
    session.rollback()
    result = verify(session, session.info["audit_key"])
    assert result.ok, result


@pytest.mark.parametrize("second", ["approve", "reject", "return"])
def test_two_approvers_at_once_exactly_one_wins(app, db_session, make_draft, make_user, second) -> None:
    draft = make_draft("pending")
    first_user = make_user(roles=["approver"], groups=["comms"])
    second_user = make_user(roles=["approver"], groups=["comms"])
    version = draft.lock_version
    events_before = db_session.scalar(select(func.count()).select_from(AuditEvent))
    db_session.commit()

    results = run_together(
        app, [decide(draft.id, first_user.id, version, "approve"), decide(draft.id, second_user.id, version, second)]
    )
    wins = [r for r in results if isinstance(r, str)]
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert "reload" in conflicts[0].message

    db_session.rollback()
    db_session.expire_all()
    stored = db_session.get(Draft, draft.id)
    assert stored.state == wins[0]
    assert stored.lock_version == version + 1
    approvals = db_session.scalar(select(func.count()).select_from(Approval).where(Approval.draft_id == draft.id))
    steps = db_session.scalars(select(ReviewAction.action).where(ReviewAction.draft_id == draft.id)).all()
    assert approvals == (1 if wins[0] == "approved" else 0)
    assert len(steps) == 2  # submit + the winner's decision
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1
    chain_ok(app, db_session)


def test_many_approvers_on_many_drafts_lose_nothing(app, db_session, make_draft, make_user) -> None:
    drafts = [make_draft("pending") for _ in range(4)]
    approvers = [make_user(roles=["approver"], groups=["comms"]) for _ in range(4)]
    jobs = [decide(d.id, a.id, d.lock_version, "approve") for d, a in zip(drafts, approvers)]
    # Two more approvers race for the first draft.
    jobs += [decide(drafts[0].id, make_user(roles=["approver"], groups=["comms"]).id, drafts[0].lock_version, "approve") for _ in range(2)]
    db_session.commit()
    results = run_together(app, jobs)
    assert results[1:4] == ["approved"] * 3
    first = [results[0], *results[4:]]
    assert sum(r == "approved" for r in first) == 1 and sum(isinstance(r, ConflictError) for r in first) == 2, results
    db_session.rollback()
    for draft in drafts:
        count = db_session.scalar(select(func.count()).select_from(Approval).where(Approval.draft_id == draft.id))
        assert count == 1
    chain_ok(app, db_session)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_stale_read_loses_on_postgres(app, make_draft, make_user) -> None:
    """PostgreSQL lets both read at once; the row-locked version check decides who lost.

    (SQLite serialises writing transactions from BEGIN IMMEDIATE, so two cannot both read first there.)
    """
    from reviewer.accounts.models import User

    draft = make_draft("pending")
    users = [make_user(roles=["approver"], groups=["comms"]) for _ in range(2)]
    database = get_database(app)
    with database.sessions() as first, database.sessions() as second:
        mine, theirs = first.get(Draft, draft.id), second.get(Draft, draft.id)
        assert mine.lock_version == theirs.lock_version
        review.approve(first, first.get(User, users[0].id), mine, expected_version=mine.lock_version)
        first.commit()
        with pytest.raises(ConflictError):
            review.approve(second, second.get(User, users[1].id), theirs, expected_version=theirs.lock_version)
        second.rollback()
