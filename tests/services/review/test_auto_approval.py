"""Automatic approval is the policy's decision, and a returned draft goes back to who returned it (#14 item 4)."""

from __future__ import annotations

import json

from sqlalchemy import select

from fixtures_workflow import CLEAN_TEXT, REVIEW_TEXT
from reviewer.audit import AuditEvent
from reviewer.drafting.services import revise_draft
from reviewer.review import services as review
from reviewer.review.submitting import submit_draft


def last_event(session, action: str) -> tuple[str, dict]:
    session.rollback()
    row = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())).first()
    assert row is not None, f"no {action} event"
    return row.actor_name, json.loads(row.data)


def test_a_passing_submission_is_recorded_as_approved_automatically_by_the_policy(
    db_session, make_draft, checker, audit_actions
) -> None:
    draft = make_draft("draft")
    submit_draft(db_session, draft.test_author, checker, draft)
    db_session.commit()
    assert draft.state == "approved"
    assert audit_actions()[-2:] == ["draft.submitted", "draft.auto_approved"]
    assert "draft.approved" not in audit_actions()  # nobody approved it: it does not read as self-approval
    _, data = last_event(db_session, "draft.auto_approved")
    policy = draft.current_version.verdict["policy"]
    assert data["policy"] == {"id": policy["id"], "version": policy["version"]}
    assert data["version"] == 1 and data["text_sha256"] == draft.current_version.text_sha256


def test_a_returned_draft_that_now_passes_goes_back_to_the_group_that_returned_it(
    db_session, make_draft, make_user, checker, audit_actions
) -> None:
    draft = make_draft("returned", text=REVIEW_TEXT)
    returner = draft.test_approver
    revise_draft(db_session, draft.test_author, checker, draft, CLEAN_TEXT)
    assert draft.decision == "pass"
    submit_draft(db_session, draft.test_author, checker, draft)
    db_session.commit()
    assert draft.state == "pending" and draft.routes == ["comms"] and draft.approvals_required == 1
    assert audit_actions()[-2:] == ["draft.submitted", "draft.routed"]
    _, routed = last_event(db_session, "draft.routed")
    assert routed["groups"] == ["comms"] and routed["returned_by"] == returner.username
    review.approve(db_session, returner, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved"
