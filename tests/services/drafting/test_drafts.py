"""Drafts and their versions: created and revised through the real checker, audited, permissioned."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fixtures_workflow import BLOCKED_TEXT, CLEAN_TEXT, REVIEW_TEXT
from reviewer.audit import AuditEvent
from reviewer.checking import Checker
from reviewer.drafting.common import CheckUnavailable, text_sha256
from reviewer.drafting.services import create_draft, revise_draft
from reviewer.review.workflow import ConflictError, InvalidInput, NotAllowed


def last_event(session, action: str) -> dict:
    session.rollback()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())).first()
    return json.loads(event.data)


def test_create_draft_keeps_version_one_with_its_verdict(db_session, make_account, make_user, make_inbound, checker, audit_actions) -> None:
    account = make_account()
    staff = make_user(roles=["staff"])
    post = make_inbound(account)
    text = "  " + REVIEW_TEXT  # kept exactly as typed: spans point into it
    draft = create_draft(db_session, staff, checker, account, text, inbound=post)
    db_session.commit()
    version = draft.current_version
    assert (draft.state, draft.decision, draft.routes, draft.approvals_required) == ("draft", "review", ["comms"], 1)
    assert (version.number, version.text, version.author_id) == (1, text, staff.id)
    assert version.text_sha256 == text_sha256(text)
    assert version.verdict["decision"] == "review"
    assert version.policy_sha256 == version.verdict["policy"]["sha256"]
    assert version.scorer_version.startswith(checker.scorer.name)
    finding = next(f for f in version.verdict["findings"] if f["rule"] == "commitments.promises")
    start, end = finding["spans"][0]
    assert text[start:end].lower() == "we promise"  # offsets into the text as typed, leading spaces included
    assert draft.inbound is post and draft.lock_version == 1
    assert audit_actions()[-2:] == ["draft.created", "draft.checked"]
    checked = last_event(db_session, "draft.checked")
    assert checked["decision"] == "review" and "commitments.promises" in checked["rules"]
    assert checked["policy"]["sha256"] == version.policy_sha256


def test_a_standalone_post_has_no_inbound(db_session, make_account, make_user, checker) -> None:
    draft = create_draft(db_session, make_user(roles=["staff"]), checker, make_account(), CLEAN_TEXT)
    assert draft.inbound_post_id is None and draft.decision == "pass" and draft.routes == []


def test_drafting_needs_staff_of_the_account(db_session, make_account, make_user, checker) -> None:
    team_account = make_account(groups=["press"])
    with pytest.raises(NotAllowed, match="You do not draft for"):
        create_draft(db_session, make_user(roles=["staff"]), checker, team_account, CLEAN_TEXT)
    with pytest.raises(NotAllowed):
        create_draft(db_session, make_user(roles=["approver"], groups=["comms"]), checker, make_account(), CLEAN_TEXT)
    with pytest.raises(NotAllowed, match="inactive"):
        create_draft(db_session, make_user(roles=["staff"]), checker, make_account(active=False), CLEAN_TEXT)
    member = make_user(roles=["staff"], groups=["press"])
    assert create_draft(db_session, member, checker, team_account, CLEAN_TEXT).id


def test_bad_text_and_foreign_posts_are_refused(db_session, make_account, make_user, make_inbound, checker) -> None:
    staff = make_user(roles=["staff"])
    account = make_account()
    for text in ("", "   ", "x" * 20_001):
        with pytest.raises(InvalidInput) as bad:
            create_draft(db_session, staff, checker, account, text)
        assert bad.value.field == "text"
    with pytest.raises(InvalidInput) as bad:
        create_draft(db_session, staff, checker, account, CLEAN_TEXT, inbound=make_inbound(make_account()))
    assert bad.value.field == "inbound"


def test_an_unloadable_policy_says_ask_an_administrator(db_session, make_account, make_user, tmp_path) -> None:
    (tmp_path / "city-council.yaml").write_text("id: broken\nrules: [\n", encoding="utf-8")
    broken = Checker(tmp_path, None)
    with pytest.raises(CheckUnavailable, match="ask an administrator|Ask an administrator"):
        create_draft(db_session, make_user(roles=["staff"]), broken, make_account(), CLEAN_TEXT)


def test_revise_adds_a_checked_version(db_session, make_draft, checker, audit_actions) -> None:
    draft = make_draft("draft", text=BLOCKED_TEXT)
    assert draft.decision == "block"
    revise_draft(db_session, draft.test_author, checker, draft, CLEAN_TEXT, expected_version=draft.lock_version)
    db_session.commit()
    assert [v.number for v in draft.versions] == [1, 2]
    assert [v.decision for v in draft.versions] == ["block", "pass"]
    assert draft.decision == "pass" and draft.routes == [] and draft.state == "draft"
    assert audit_actions()[-2:] == ["draft.revised", "draft.checked"]


def test_revising_with_the_same_text_adds_nothing(db_session, make_draft, checker, audit_actions) -> None:
    draft = make_draft("draft")
    before = audit_actions()
    revise_draft(db_session, draft.test_author, checker, draft, draft.text)
    assert len(draft.versions) == 1
    assert audit_actions() == before


def test_a_returned_draft_is_revised_back_to_draft(db_session, make_draft, checker) -> None:
    draft = make_draft("returned")
    revise_draft(db_session, draft.test_author, checker, draft, CLEAN_TEXT)
    db_session.commit()
    assert draft.state == "draft" and len(draft.versions) == 2


def test_a_returned_draft_with_unchanged_text_goes_back_to_draft(db_session, make_draft, checker) -> None:
    draft = make_draft("returned")
    revise_draft(db_session, draft.test_author, checker, draft, draft.text)
    assert draft.state == "draft" and len(draft.versions) == 1


@pytest.mark.parametrize("state", ["pending", "approved", "rejected", "posted"])
def test_only_drafts_and_returned_drafts_are_revised(db_session, make_draft, checker, state) -> None:
    draft = make_draft(state)
    with pytest.raises(NotAllowed) as refused:
        revise_draft(db_session, draft.test_author, checker, draft, CLEAN_TEXT + " Thanks.")
    assert refused.value.reason == "state"


def test_any_staff_of_the_account_may_revise_but_others_not(db_session, make_draft, make_user, checker) -> None:
    draft = make_draft("draft")
    revise_draft(db_session, make_user(roles=["staff"]), checker, draft, CLEAN_TEXT + " Cheers.")
    with pytest.raises(NotAllowed):
        revise_draft(db_session, make_user(roles=["auditor"]), checker, draft, CLEAN_TEXT)


def test_a_stale_expected_version_is_a_conflict(db_session, make_draft, checker) -> None:
    draft = make_draft("draft")
    with pytest.raises(ConflictError, match="reload"):
        revise_draft(db_session, draft.test_author, checker, draft, CLEAN_TEXT + " Hi.", expected_version=draft.lock_version - 1)
    with pytest.raises(InvalidInput):
        revise_draft(db_session, draft.test_author, checker, draft, CLEAN_TEXT, expected_version="1")
