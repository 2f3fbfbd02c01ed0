"""A submission the policy blocks leaves an audit trace (`draft.blocked`: rules and a hash, not the text),
counted in the compliance report and findable in the audit browser."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from fixtures_workflow import BLOCKED_TEXT
from reviewer.audit import AuditEvent, verify
from reviewer.audit.browse import AuditFilter, page
from reviewer.orm import utcnow
from reviewer.drafting.models import Draft
from reviewer.reports.data import build_report
from reviewer.review.submitting import record_blocked, submit_draft, submit_new_draft
from reviewer.review.workflow import SubmitRefused


def blocked_events(session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "draft.blocked").order_by(AuditEvent.seq)))


def test_a_blocked_new_draft_is_audited_without_its_text_and_counted(db_session, make_account, make_user, checker) -> None:
    account, staff = make_account(), make_user(roles=["staff"])
    db_session.commit()
    with pytest.raises(SubmitRefused) as refused:
        submit_new_draft(db_session, staff, checker, account, BLOCKED_TEXT)
    db_session.rollback()
    record_blocked(db_session, staff, refused.value)
    db_session.commit()

    assert db_session.scalars(select(Draft)).all() == []  # the blocked text is not kept
    [event] = blocked_events(db_session)
    assert event.subject == f"account:{account.id}" and event.actor_id == staff.id
    data = json.loads(event.data)
    assert data["decision"] == "block" and data["blocking_rules"] == ["pii.public"]
    assert set(data["blocking_rules"]) <= set(data["rules"])
    assert data["text_sha256"] == hashlib.sha256(BLOCKED_TEXT.encode()).hexdigest()
    assert "021 555 0199" not in event.data
    assert verify(db_session, db_session.info["audit_key"]).ok

    now = utcnow()
    report = build_report(db_session, since=now - timedelta(days=1), until=now + timedelta(minutes=1),
                          agency="Test", generated_by="test")
    assert report.summary.blocked_attempts == 1
    other = make_account()
    db_session.commit()
    report = build_report(db_session, since=now - timedelta(days=1), until=now + timedelta(minutes=1),
                          account_id=other.id, agency="Test", generated_by="test")
    assert report.summary.blocked_attempts == 0


def test_a_blocked_revision_of_a_stored_draft_is_audited_against_that_draft(db_session, make_draft, checker) -> None:
    from reviewer.drafting.services import revise_draft

    draft = make_draft("draft")
    author, draft_id = draft.test_author, draft.id
    revise_draft(db_session, author, checker, draft, BLOCKED_TEXT)
    with pytest.raises(SubmitRefused) as refused:
        submit_draft(db_session, author, checker, draft)
    db_session.rollback()
    record_blocked(db_session, author, refused.value, db_session.get(Draft, draft_id))
    db_session.commit()
    [event] = blocked_events(db_session)
    assert event.subject == f"draft:{draft_id}"
    assert len(db_session.get(Draft, draft_id).versions) == 1  # the blocked revision was rolled back
    for wanted in (AuditFilter(action="draft.blocked"), AuditFilter(decision="block", draft_id=draft_id)):
        assert [e.seq for e in page(db_session, wanted).events] == [event.seq]
