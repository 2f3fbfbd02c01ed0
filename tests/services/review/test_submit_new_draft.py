"""`submit_new_draft` (the API's POST /drafts) stores what `create_draft` + `submit_draft` store, in fewer statements.

The same draft, version, history step and answered post, and the same four
audit events in the same order with the same data; only the draft's
lock_version differs (1: it was written once, not twice).
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, inspect, select

from fixtures_workflow import CLEAN_TEXT, REVIEW_TEXT
from reviewer.audit import AuditEvent
from reviewer.db import get_database
from reviewer.drafting import services as drafting
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.review.models import ReviewAction
from reviewer.review.submitting import submit_draft, submit_new_draft
from reviewer.review.workflow import NotAllowed, SubmitRefused

_MOMENTS = {"id", "created_at", "updated_at", "submitted_at", "approved_at", "lock_version", "draft_id", "answered_at"}


def _columns(obj: object) -> dict:
    return {a.key: getattr(obj, a.key) for a in inspect(type(obj)).column_attrs if a.key not in _MOMENTS}


def _stored(session, draft_id: int) -> dict:
    """Everything stored about a draft, with its id and moments left out so two drafts compare."""
    draft = session.get(Draft, draft_id)
    subject = f"draft:{draft_id}"
    events = session.scalars(select(AuditEvent).where(AuditEvent.subject == subject).order_by(AuditEvent.seq)).all()
    return {
        "draft": _columns(draft),
        "versions": [_columns(v) for v in session.scalars(select(DraftVersion).where(DraftVersion.draft_id == draft_id))],
        "steps": session.scalars(select(ReviewAction.action).where(ReviewAction.draft_id == draft_id)).all(),
        "events": [(e.action, e.actor_id, e.data) for e in events],
        "answered": draft.inbound is not None and draft.inbound.answered_at is not None,
    }


def _both_ways(app, db_session, account, staff, post, checker, text: str) -> tuple[dict, dict, Draft]:
    ids = []
    for one_step in (False, True):
        if one_step and post is not None:  # the second way answers a fresh post, as the first did
            with get_database(app).sessions() as session:
                session.get(InboundPost, post.id).answered_at = None
                session.commit()
        with get_database(app).sessions() as session:
            actor, acct = session.merge(staff), session.merge(account)
            inbound = session.merge(post) if post is not None else None
            if one_step:
                draft = submit_new_draft(session, actor, checker, acct, text, inbound=inbound)
            else:
                draft = drafting.create_draft(session, actor, checker, acct, text, inbound=inbound)
                submit_draft(session, actor, checker, draft)
            assert not session.is_modified(draft)
            ids.append(draft.id)
            session.commit()
    db_session.rollback()
    db_session.expire_all()
    two_steps, one_step = (_stored(db_session, i) for i in ids)
    return two_steps, one_step, db_session.get(Draft, ids[1])


@pytest.mark.parametrize("text, state", [(CLEAN_TEXT, "approved"), (REVIEW_TEXT, "pending")])
def test_one_step_stores_what_two_steps_store(app, db_session, make_account, make_user, make_inbound, checker,
                                              text, state) -> None:
    account, staff = make_account(), make_user(roles=["staff"])
    two_steps, one_step, draft = _both_ways(app, db_session, account, staff, make_inbound(account), checker, text)
    assert one_step == two_steps
    assert one_step["draft"]["state"] == state and one_step["steps"] == ["submit"]
    assert [e[0] for e in one_step["events"]] == [
        "draft.created", "draft.checked", "draft.submitted", "draft.auto_approved" if state == "approved" else "draft.routed"
    ]
    assert one_step["answered"] is (state == "approved")
    assert draft.lock_version == 1 and draft.submitted_at is not None
    assert (draft.approved_at is not None) is (state == "approved")
    assert draft.created_at == draft.submitted_at == draft.updated_at


def test_a_standalone_post_too(app, db_session, make_account, make_user, checker) -> None:
    account, staff = make_account(), make_user(roles=["staff"])
    two_steps, one_step, _ = _both_ways(app, db_session, account, staff, None, checker, REVIEW_TEXT)
    assert one_step == two_steps


def test_a_blocked_text_writes_nothing(app, db_session, make_account, make_user, routing_checker) -> None:
    account, staff = make_account(), make_user(roles=["staff"])
    before = db_session.scalar(select(func.count()).select_from(AuditEvent))
    with get_database(app).sessions() as session:
        with pytest.raises(SubmitRefused) as refused:
            submit_new_draft(session, session.merge(staff), routing_checker, session.merge(account),
                                    "The password is hunter2.")
        assert refused.value.verdict.decision == "block"
        assert not session.new
        session.rollback()
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert db_session.scalar(select(func.count()).select_from(Draft).where(Draft.account_id == account.id)) == 0


def test_only_staff_of_the_account_may(app, make_account, make_user, checker) -> None:
    account, approver = make_account(), make_user(roles=["approver"])
    with get_database(app).sessions() as session:
        with pytest.raises(NotAllowed):
            submit_new_draft(session, session.merge(approver), checker, session.merge(account), CLEAN_TEXT)
        session.rollback()


def test_seven_writes_and_no_select_once_the_lock_is_held(app, make_account, make_user, checker) -> None:
    """drafts, version, history step, then the audit: claim the head, the events, their references, the head."""
    account, staff = make_account(), make_user(roles=["staff"])
    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    engine = get_database(app).engine
    with get_database(app).sessions() as session:
        staff, account = session.merge(staff), session.merge(account)
        account.drafting_groups, staff.role_rows, staff.groups  # noqa: B018 -- loaded before counting, as the API view has them
        session.connection()
        event.listen(engine, "before_cursor_execute", listen)
        try:
            submit_new_draft(session, staff, checker, account, CLEAN_TEXT)
            session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", listen)
    writes = [s for s in seen if not s.startswith(("BEGIN", "COMMIT"))]
    assert not [s for s in writes if s.startswith("SELECT")], writes
    assert writes.count("INSERT INTO AUDIT_EVENTS") == 1 and writes.count("INSERT INTO AUDIT_REFS") == 1
    assert len(writes) == 7, writes
