"""Approving, rejecting, returning, editing and posting drafts.

Submitting lives in `submitting.py`, the writes all steps share in `steps.py`,
the approver queues in `queue.py`, who may still approve in `coverage.py`,
refused self-approvals in `refusals.py` and response times in `stats.py`.

All `(session, actor, ...)`: flush, never commit, audit in the same
transaction. The rules themselves are in the pure `workflow` module; this
module turns rows into facts, applies the answer and records it.

Decisions take `expected_version` (the draft's `lock_version` when the
person loaded it): a draft changed since then raises ConflictError, and of
two people acting at the same moment one wins, the other gets ConflictError.
After any exception the caller rolls back, except after a refused
self-approval (`NotAllowed` with `.self_approval`): its `approval.refused`
event is evidence, so the caller commits it and shows the message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.principal import AnyUser
from reviewer.audit import record
from reviewer.drafting.common import (
    clean_url,
    conflicts_as_errors,
    expect_version,
    may_draft,
    text_sha256,
)
from reviewer.drafting.inbound import mark_answered
from reviewer.orm import utcnow
from reviewer.drafting.models import Draft
from reviewer.drafting.services import add_version, check_text, record_checked
from reviewer.notify import outbox
from reviewer.orgs.services import OrgAccountError, check_response_target
from reviewer.review import workflow
from reviewer.review.models import Approval, ReviewAction
from reviewer.review.steps import add_step, subject_of
from reviewer.review.workflow import (
    MAX_TEXT,
    Actor,
    ApprovalFact,
    DraftFacts,
    InvalidInput,
    NotAllowed,
    require_text,
)



def approver_may_see(session: Session, draft: Draft, user: AnyUser) -> bool:
    """Approvers in a group the draft is routed to, and anyone who already acted on it.

    Every approver door (review pages, the API's decision) asks this one rule; the others
    answer 404, so the draft's existence, routes and state stay private.
    """
    if set(user.group_names) & set(draft.routes or ()):
        return True
    acted = select(ReviewAction.id).where(ReviewAction.draft_id == draft.id, ReviewAction.actor_id == user.id).limit(1)
    return session.scalar(acted) is not None


def approvals_of(session: Session, draft: Draft) -> list[Approval]:
    """Every approval the draft has had, oldest first (earlier versions' ones no longer count)."""
    return list(session.scalars(select(Approval).where(Approval.draft_id == draft.id).order_by(Approval.id)))


def history(session: Session, draft: Draft) -> list[ReviewAction]:
    """Submitted, approved, rejected, returned, edited, posted: the draft's review steps, oldest first."""
    return list(session.scalars(select(ReviewAction).where(ReviewAction.draft_id == draft.id).order_by(ReviewAction.id)))


def draft_facts(draft: Draft, approvals: list[Approval]) -> DraftFacts:
    """The plain facts the pure workflow decides on."""
    version = draft.current_version
    return DraftFacts(
        state=draft.state,
        author_id=draft.author_id,
        version_author_id=version.author_id,
        text_sha256=version.text_sha256,
        routes=tuple(draft.routes or ()),
        approvals_required=draft.approvals_required,
        approvals=tuple(ApprovalFact(a.approver_id, a.group, a.text_sha256) for a in approvals),
        editor_ids=frozenset(v.author_id for v in draft.versions),
    )


def _approved(draft: Draft, when: datetime) -> None:
    draft.state = "approved"
    draft.approved_at = when
    mark_answered(draft.inbound, when)


# --- Decisions --------------------------------------------------------------------------------


def approve(
    session: Session, actor: AnyUser, draft: Draft, *, expected_version: int, group: str | None = None
) -> Draft:
    """Approve the current text for one routed group; `approved` once every group and enough people have.

    A refused self-approval records `approval.refused` before raising NotAllowed (commit it).
    """
    expect_version(session, draft, expected_version)
    facts = draft_facts(draft, approvals_of(session, draft))
    try:
        chosen, new_state = workflow.approve(facts, Actor.of(actor), group)
    except NotAllowed as refused:
        if refused.self_approval:
            record(
                session,
                actor,
                "approval.refused",
                subject_of(draft),
                {"account_id": draft.account_id, "version": draft.current_version.number, "reason": refused.reason, "message": refused.message},
            )
        raise
    version = draft.current_version
    now = utcnow()
    with conflicts_as_errors(session):
        session.add(
            Approval(draft_id=draft.id, version_id=version.id, text_sha256=version.text_sha256, group=chosen, approver_id=actor.id)
        )
        draft.updated_at = now  # every decision bumps lock_version, even when the state stays
        draft.state = new_state
        if new_state == "approved":
            _approved(draft, now)
        add_step(session, draft, actor, "approve")
        session.flush()
        record(
            session,
            actor,
            "draft.approved",
            subject_of(draft),
            {"account_id": draft.account_id, "version": version.number, "group": chosen, "text_sha256": version.text_sha256, "state": new_state},
        )
        if new_state == "approved":
            outbox.draft_decided(session, actor, draft, "approved")
    return draft


def reject(session: Session, actor: AnyUser, draft: Draft, reason: str, *, expected_version: int) -> Draft:
    """Reject the draft for good; a reason is required."""
    expect_version(session, draft, expected_version)
    reason, new_state = workflow.reject(draft_facts(draft, []), Actor.of(actor), reason)
    return _decide(session, actor, draft, new_state, "reject", "draft.rejected", {"reason": reason}, reason)


def return_for_changes(session: Session, actor: AnyUser, draft: Draft, comment: str, *, expected_version: int) -> Draft:
    """Send the draft back to staff with a comment saying what to change."""
    expect_version(session, draft, expected_version)
    comment, new_state = workflow.return_for_changes(draft_facts(draft, []), Actor.of(actor), comment)
    return _decide(session, actor, draft, new_state, "return", "draft.returned", {"comment": comment}, comment)


def _decide(
    session: Session, actor: AnyUser, draft: Draft, new_state: str, action: str, event: str, data: dict, comment: str
) -> Draft:
    with conflicts_as_errors(session):
        draft.state = new_state
        draft.updated_at = utcnow()
        add_step(session, draft, actor, action, comment)
        session.flush()
        record(session, actor, event, subject_of(draft), {"account_id": draft.account_id, "version": draft.current_version.number, **data})
        if action == "reject":
            outbox.draft_decided(session, actor, draft, "rejected")
        elif action == "return":
            outbox.draft_returned(session, actor, draft)
    return draft


def edit_as_approver(
    session: Session, actor: AnyUser, checker: Any, draft: Draft, text: str, *, expected_version: int
) -> Draft:
    """An approver's edit: a new version, re-checked (block refuses it), earlier approvals void.

    The draft stays pending, routed to its groups plus any the new text
    adds, and needs an approver other than the editor.
    """
    expect_version(session, draft, expected_version)
    facts = draft_facts(draft, [])
    text = require_text("text", text, MAX_TEXT, strip=False)
    workflow.edit(facts, Actor.of(actor), "pass")  # who and when, before spending a check
    if text_sha256(text) == facts.text_sha256:
        raise InvalidInput("text", "is unchanged: edit the text, or approve it as it is")
    verdict = check_text(checker, draft.account, text, draft.inbound)
    new_state = workflow.edit(facts, Actor.of(actor), verdict.decision, verdict)
    old_routes, old_required = list(draft.routes or ()), draft.approvals_required
    with conflicts_as_errors(session):
        version = add_version(draft, actor, text, verdict)
        # An edit never takes a draft away from a group that was asked to look at it.
        draft.routes = sorted(set(old_routes) | set(draft.routes))
        draft.approvals_required = max(old_required, draft.approvals_required)
        draft.state = new_state
        session.flush()
        add_step(session, draft, actor, "edit")
        session.flush()
        record(
            session,
            actor,
            "draft.edited",
            subject_of(draft),
            {"account_id": draft.account_id, "version": version.number, "decision": verdict.decision, "groups": draft.routes,
             "text_sha256": version.text_sha256},
        )
        record_checked(session, actor, draft, verdict)
        added = [group for group in draft.routes if group not in old_routes]
        if added and new_state == "pending":
            outbox.draft_routed(session, actor, draft, added)
    return draft


def mark_posted(session: Session, actor: AnyUser, draft: Draft, url: str | None = None, *, expected_version: int | None = None) -> Draft:
    """Record that an approved draft went out (where, when known).

    The seam for posting through platform APIs: a publisher posts the
    approved text, then calls this with the URL the platform returned.
    """
    expect_version(session, draft, expected_version)
    new_state = workflow.check_may_post(draft.state, Actor.of(actor), may_draft(draft.account, actor))
    link = clean_url("url", url)
    now = utcnow()
    with conflicts_as_errors(session):
        draft.state = new_state
        draft.posted_at = now
        draft.posted_url = link
        draft.updated_at = now
        mark_answered(draft.inbound, now)
        add_step(session, draft, actor, "post", link)
        session.flush()
        record(session, actor, "draft.posted", subject_of(draft), {"account_id": draft.account_id, "version": draft.current_version.number, "url": link})
    return draft


def set_response_target(session: Session, actor: AnyUser | None, account: Any, minutes: int) -> bool:
    """Set how soon the account's posts should get an approved reply (administrators; audited).

    Returns False when nothing changed.
    """
    if actor is not None and not actor.has_role("admin"):
        raise NotAllowed("Only administrators set response targets.", "not_admin")
    try:
        check_response_target(minutes)  # the same bounds as the admin's account form
    except OrgAccountError as error:
        raise InvalidInput("response_target_minutes", error.message) from None
    before = account.response_target_minutes
    if before == minutes:
        return False
    account.response_target_minutes = minutes
    session.flush()
    record(session, actor, "account.changed", f"account:{account.id}", {"response_target_minutes": {"from": before, "to": minutes}})
    return True

