"""Submitting and deciding on drafts through the real services: states, routing, separation of duties."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fixtures_workflow import BLOCKED_TEXT, CLEAN_TEXT, REVIEW_TEXT
from reviewer.audit import AuditEvent
from reviewer.drafting.services import create_draft, revise_draft
from reviewer.review import services as review
from reviewer.review.queue import queue
from reviewer.review.refusals import refused_approvals
from reviewer.review.submitting import submit_draft
from reviewer.review.workflow import ConflictError, InvalidInput, NotAllowed, SubmitRefused


def events(session, action: str) -> list[dict]:
    session.rollback()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
    return [json.loads(row.data) for row in rows]


# --- Submit ---------------------------------------------------------------------------------


def test_a_passing_draft_is_approved_on_submit(db_session, make_draft, make_inbound, checker, audit_actions) -> None:
    post = make_inbound()
    draft = make_draft("draft", inbound=post)
    submit_draft(db_session, draft.test_author, checker, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved"
    assert draft.approved_at == draft.submitted_at
    assert post.answered_at == draft.approved_at
    assert audit_actions()[-2:] == ["draft.submitted", "draft.auto_approved"]
    assert events(db_session, "draft.auto_approved")[-1]["by"] == "policy"
    assert [a.action for a in review.history(db_session, draft)] == ["submit"]


def test_a_risky_draft_is_routed(db_session, make_draft, checker, audit_actions) -> None:
    draft = make_draft("draft", text=REVIEW_TEXT)
    submit_draft(db_session, draft.test_author, checker, draft)
    db_session.commit()
    assert draft.state == "pending" and draft.routes == ["comms"] and draft.approved_at is None
    assert audit_actions()[-2:] == ["draft.submitted", "draft.routed"]
    assert events(db_session, "draft.routed")[-1]["groups"] == ["comms"]


def test_a_blocked_draft_cannot_be_submitted(db_session, make_draft, checker) -> None:
    draft = make_draft("draft", text=BLOCKED_TEXT)
    with pytest.raises(SubmitRefused) as refused:
        submit_draft(db_session, draft.test_author, checker, draft)
    assert refused.value.verdict.decision == "block"
    assert "pii.public" in [f.rule for f in refused.value.verdict.findings]
    db_session.rollback()
    db_session.refresh(draft)
    assert draft.state == "draft"


def test_submit_rechecks_with_the_current_policy(db_session, make_user, make_account, checker, routing_checker) -> None:
    """Written under one policy, submitted under another: the new verdict is kept as a new version."""
    staff = make_user(roles=["staff"])
    draft = create_draft(db_session, staff, routing_checker, make_account(), "We are sorry about the bins.")
    db_session.commit()
    assert draft.decision == "review"
    db_session.expire_all()  # a later request: nothing remembered from the check above
    submit_draft(db_session, staff, checker, draft)  # the shipped policy has no 'sorry' rule
    db_session.commit()
    assert draft.state == "approved"
    assert [v.decision for v in draft.versions] == ["review", "pass"]
    assert draft.versions[0].text_sha256 == draft.versions[1].text_sha256


def test_only_staff_of_the_account_submit(db_session, make_draft, make_user, checker) -> None:
    draft = make_draft("draft")
    with pytest.raises(NotAllowed):
        submit_draft(db_session, make_user(roles=["approver"], groups=["comms"]), checker, draft)


@pytest.mark.parametrize("state", ["pending", "approved", "rejected", "returned", "posted"])
def test_only_a_draft_is_submitted(db_session, make_draft, checker, state) -> None:
    draft = make_draft(state)
    with pytest.raises(NotAllowed) as refused:
        submit_draft(db_session, draft.test_author, checker, draft)
    assert refused.value.reason == "state"


# --- Approve and separation of duties --------------------------------------------------------------


def test_an_approver_in_the_group_approves(db_session, make_draft, make_user, make_inbound, audit_actions) -> None:
    post = make_inbound()
    draft = make_draft("pending", inbound=post)
    approver = make_user(roles=["approver"], groups=["comms"])
    review.approve(db_session, approver, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved" and draft.approved_at is not None
    assert post.answered_at == draft.approved_at
    [approval] = review.approvals_of(db_session, draft)
    assert (approval.group, approval.approver_id) == ("comms", approver.id)
    assert approval.text_sha256 == draft.current_version.text_sha256
    assert audit_actions()[-1] == "draft.approved"
    assert events(db_session, "draft.approved")[-1]["group"] == "comms"


def test_self_approval_is_refused_and_recorded(db_session, make_account, make_user, checker, audit_actions) -> None:
    both = make_user(roles=["staff", "approver"], groups=["comms"])
    draft = create_draft(db_session, both, checker, make_account(), REVIEW_TEXT)
    submit_draft(db_session, both, checker, draft)
    db_session.commit()
    with pytest.raises(NotAllowed) as refused:
        review.approve(db_session, both, draft, expected_version=draft.lock_version)
    assert refused.value.self_approval and refused.value.reason == "own_draft"
    db_session.commit()  # as the view does: the refusal is evidence
    assert audit_actions()[-1] == "approval.refused"
    assert events(db_session, "approval.refused")[-1]["reason"] == "own_draft"
    db_session.refresh(draft)
    assert draft.state == "pending" and review.approvals_of(db_session, draft) == []
    [refusal] = refused_approvals(db_session, draft)
    assert (refusal.actor, refusal.actor_name, refusal.reason, refusal.version) == (both, both.username, "own_draft", 1)
    assert refusal.at.tzinfo is not None
    other = create_draft(db_session, both, checker, draft.account, REVIEW_TEXT)
    assert refused_approvals(db_session, other) == []  # only the events about this draft


def test_other_refusals_record_nothing(db_session, make_draft, make_user, audit_actions) -> None:
    draft = make_draft("pending")
    actors = (make_user(roles=["approver"], groups=["legal"]), make_user(roles=["staff"]))
    before = audit_actions()
    for actor in actors:
        with pytest.raises(NotAllowed) as refused:
            review.approve(db_session, actor, draft, expected_version=draft.lock_version)
        assert not refused.value.self_approval
    assert audit_actions() == before


def test_a_stale_page_cannot_approve(db_session, make_draft, make_user) -> None:
    draft = make_draft("pending")
    with pytest.raises(ConflictError):
        review.approve(db_session, make_user(roles=["approver"], groups=["comms"]), draft, expected_version=draft.lock_version + 1)


# --- Reject, return, revise, resubmit ---------------------------------------------------------------


def test_reject_needs_a_reason_and_ends_the_draft(db_session, make_draft, make_user, checker, audit_actions) -> None:
    draft = make_draft("pending")
    approver = make_user(roles=["approver"], groups=["comms"])
    with pytest.raises(InvalidInput) as bad:
        review.reject(db_session, approver, draft, "  ", expected_version=draft.lock_version)
    assert bad.value.field == "reason"
    review.reject(db_session, approver, draft, "We don't promise dates.", expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "rejected"
    assert audit_actions()[-1] == "draft.rejected"
    assert review.history(db_session, draft)[-1].comment == "We don't promise dates."
    with pytest.raises(NotAllowed):
        revise_draft(db_session, draft.test_author, checker, draft, CLEAN_TEXT)


def test_return_revise_resubmit_and_approve_by_someone_else(db_session, make_draft, make_user, checker, audit_actions) -> None:
    draft = make_draft("pending")
    first = make_user(roles=["approver"], groups=["comms"])
    review.return_for_changes(db_session, first, draft, "Say 'we aim to'.", expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "returned" and audit_actions()[-1] == "draft.returned"
    revise_draft(db_session, draft.test_author, checker, draft, "We aim to reopen the pool by Friday, we promise.")
    submit_draft(db_session, draft.test_author, checker, draft)
    db_session.commit()
    assert draft.state == "pending" and len(draft.versions) == 2
    second = make_user(roles=["approver"], groups=["comms"])
    review.approve(db_session, second, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved"
    assert [a.action for a in review.history(db_session, draft)] == ["submit", "return", "submit", "approve"]


# --- Approver edits ----------------------------------------------------------------------------------


def test_an_approver_who_edited_an_earlier_version_may_not_approve(db_session, make_account, make_user, routing_checker, audit_actions) -> None:
    """kim edits (v2), lee changes "." to "!" (v3): kim may not approve wording kim wrote."""
    staff = make_user(roles=["staff"])
    draft = create_draft(db_session, staff, routing_checker, make_account(), "The budget is set.")
    submit_draft(db_session, staff, routing_checker, draft)
    db_session.commit()
    kim, lee, third, fourth = (make_user(roles=["approver"], groups=["legal"]) for _ in range(4))
    review.edit_as_approver(db_session, kim, routing_checker, draft, "The budget is now set.", expected_version=draft.lock_version)
    review.edit_as_approver(db_session, lee, routing_checker, draft, "The budget is now set!", expected_version=draft.lock_version)
    db_session.commit()
    assert [v.author_id for v in draft.versions] == [staff.id, kim.id, lee.id]
    _own_edit_is_refused_and_recorded(db_session, kim, draft, 3, audit_actions)
    review.approve(db_session, third, draft, expected_version=draft.lock_version)
    review.approve(db_session, fourth, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved"


def test_an_edit_voids_approvals_and_needs_another_approver(db_session, make_account, make_user, routing_checker, audit_actions) -> None:
    staff = make_user(roles=["staff"])
    draft = create_draft(db_session, staff, routing_checker, make_account(), "The budget is set.")
    submit_draft(db_session, staff, routing_checker, draft)
    db_session.commit()
    assert (draft.routes, draft.approvals_required) == (["legal"], 2)
    first, editor, third = (make_user(roles=["approver"], groups=["legal"]) for _ in range(3))
    review.approve(db_session, first, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "pending"

    review.edit_as_approver(db_session, editor, routing_checker, draft, "The budget is now set.", expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "pending" and len(draft.versions) == 2
    assert draft.current_version.author_id == editor.id
    assert audit_actions()[-2:] == ["draft.edited", "draft.checked"]
    # The earlier approval names the old text, so it no longer counts.
    [item] = [i for i in queue(db_session, "legal") if i.draft.id == draft.id]
    assert item.approvals == () and item.approvers_missing == 2

    _own_edit_is_refused_and_recorded(db_session, editor, draft, 2, audit_actions)
    review.approve(db_session, first, draft, expected_version=draft.lock_version)
    review.approve(db_session, third, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved"


def test_an_edit_the_policy_blocks_or_that_changes_nothing_is_refused(db_session, make_draft, make_user, checker) -> None:
    draft = make_draft("pending")
    approver = make_user(roles=["approver"], groups=["comms"])
    with pytest.raises(SubmitRefused):
        review.edit_as_approver(db_session, approver, checker, draft, BLOCKED_TEXT, expected_version=draft.lock_version)
    with pytest.raises(InvalidInput, match="unchanged"):
        review.edit_as_approver(db_session, approver, checker, draft, draft.text, expected_version=draft.lock_version)
    db_session.rollback()
    db_session.refresh(draft)
    assert len(draft.versions) == 1


def test_an_edit_keeps_every_group_and_adds_new_ones(db_session, make_account, make_user, routing_checker) -> None:
    staff = make_user(roles=["staff"])
    draft = create_draft(db_session, staff, routing_checker, make_account(), "Sorry for the wait.")
    submit_draft(db_session, staff, routing_checker, draft)
    db_session.commit()
    editor = make_user(roles=["approver"], groups=["comms"])
    review.edit_as_approver(db_session, editor, routing_checker, draft, "About the child: thanks.", expected_version=draft.lock_version)
    assert draft.routes == ["comms", "safeguarding"]


# --- Several groups, two approvals ----------------------------------------------------------------------


def test_every_routed_group_approves(db_session, make_account, make_user, routing_checker) -> None:
    staff = make_user(roles=["staff"])
    draft = create_draft(db_session, staff, routing_checker, make_account(), "The child care budget.")
    submit_draft(db_session, staff, routing_checker, draft)
    db_session.commit()
    assert (draft.routes, draft.approvals_required) == (["legal", "safeguarding"], 2)
    legal = make_user(roles=["approver"], groups=["legal"])
    review.approve(db_session, legal, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "pending"
    assert [i.draft.id for i in queue(db_session, "legal")].count(draft.id) == 0
    assert [i.draft.id for i in queue(db_session, "safeguarding")].count(draft.id) == 1
    with pytest.raises(NotAllowed) as refused:
        review.approve(db_session, make_user(roles=["approver"], groups=["legal"]), draft, expected_version=draft.lock_version)
    assert refused.value.reason == "group_done"
    review.approve(db_session, make_user(roles=["approver"], groups=["safeguarding"]), draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved"
    assert sorted(a.group for a in review.approvals_of(db_session, draft)) == ["legal", "safeguarding"]


def test_two_approvals_need_two_people(db_session, make_account, make_user, routing_checker) -> None:
    staff = make_user(roles=["staff"])
    draft = create_draft(db_session, staff, routing_checker, make_account(), "The budget is set.")
    submit_draft(db_session, staff, routing_checker, draft)
    db_session.commit()
    first = make_user(roles=["approver"], groups=["legal"])
    review.approve(db_session, first, draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "pending"
    with pytest.raises(NotAllowed) as refused:
        review.approve(db_session, first, draft, expected_version=draft.lock_version)
    assert refused.value.reason == "already_approved"
    review.approve(db_session, make_user(roles=["approver"], groups=["legal"]), draft, expected_version=draft.lock_version)
    db_session.commit()
    assert draft.state == "approved"


# --- Posting -----------------------------------------------------------------------------------------------


def test_mark_posted_records_where(db_session, make_draft, make_user, audit_actions) -> None:
    draft = make_draft("approved")
    review.mark_posted(db_session, draft.test_author, draft, "https://x.com/HarbourCityNZ/status/42")
    db_session.commit()
    assert draft.state == "posted" and draft.posted_url.endswith("/42") and draft.posted_at is not None
    assert audit_actions()[-1] == "draft.posted"
    with pytest.raises(NotAllowed):
        review.mark_posted(db_session, draft.test_author, draft)


def test_mark_posted_checks_the_link_and_who(db_session, make_draft, make_user) -> None:
    draft = make_draft("approved")
    with pytest.raises(InvalidInput) as bad:
        review.mark_posted(db_session, draft.test_author, draft, "ftp://example.org/x")
    assert bad.value.field == "url"
    with pytest.raises(NotAllowed):
        review.mark_posted(db_session, make_user(roles=["auditor"]), draft)
    pending = make_draft("pending")
    with pytest.raises(NotAllowed) as refused:
        review.mark_posted(db_session, pending.test_author, pending)
    assert refused.value.reason == "state"


def _own_edit_is_refused_and_recorded(db_session, approver, draft, version: int, audit_actions) -> None:
    """`approver` edited `draft` (now at `version`): approving it is refused, and the refusal is evidence."""
    with pytest.raises(NotAllowed) as refused:
        review.approve(db_session, approver, draft, expected_version=draft.lock_version)
    assert refused.value.reason == "own_edit"
    db_session.commit()
    assert audit_actions()[-1] == "approval.refused"
    assert [(r.actor, r.reason, r.version) for r in refused_approvals(db_session, draft)] == [(approver, "own_edit", version)]
