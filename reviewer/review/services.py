"""Submitting, approving, rejecting, returning, editing and posting drafts; the approver queues.

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

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from reviewer.accounts.models import User
from reviewer.audit import record
from reviewer.audit.services import record_many
from reviewer.db import utcnow
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.drafting.services import (
    CheckUnavailable,
    add_version,
    check_new_draft,
    check_text,
    checked_event,
    clean_url,
    conflicts_as_errors,
    created_events,
    expect_version,
    fresh_verdict,
    insert_draft,
    mark_answered,
    may_draft,
    record_checked,
    text_sha256,
)
from reviewer.orgs.models import OrgAccount
from reviewer.orgs.services import OrgAccountError, check_response_target
from reviewer.review import workflow
from reviewer.review.models import Approval, ReviewAction
from reviewer.review.refusals import RefusedApproval, refused_approvals
from reviewer.review.stats import ResponseTimeReport, response_times
from reviewer.review.workflow import (
    MAX_TEXT,
    Actor,
    ApprovalFact,
    ConflictError,
    DraftFacts,
    InvalidInput,
    NotAllowed,
    SubmitRefused,
    WorkflowError,
    require_text,
)

__all__ = [
    "CheckUnavailable",
    "ConflictError",
    "InvalidInput",
    "NotAllowed",
    "QueueItem",
    "RefusedApproval",
    "ResponseTimeReport",
    "SubmitRefused",
    "WorkflowError",
    "approvals_of",
    "approve",
    "draft_facts",
    "edit_as_approver",
    "history",
    "mark_posted",
    "queue",
    "refused_approvals",
    "reject",
    "response_times",
    "return_for_changes",
    "set_response_target",
    "submit_draft",
    "submit_new_draft",
]


def _subject(draft: Draft) -> str:
    return f"draft:{draft.id}"


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
    )


def _action(session: Session, draft: Draft, actor: User, action: str, comment: str | None = None) -> None:
    """Add a step to the draft's history: the session's pending changes first, then one Core INSERT."""
    session.flush()
    session.connection().execute(_INSERT_ACTION, {
        "draft_id": draft.id, "version_id": draft.current_version.id, "actor_id": actor.id, "action": action,
        "comment": comment, "created_at": utcnow(),
    })


_INSERT_ACTION = ReviewAction.__table__.insert()  # built once
_DRAFTS = Draft.__table__


def _write_draft(session: Session, draft: Draft, changes: dict[str, Any]) -> None:
    """Set `changes` on the draft with one UPDATE that checks and bumps `lock_version`, as a flush would.

    ConflictError when someone else changed the row since this session
    loaded it. A draft with other unflushed changes goes through the unit
    of work instead, so nothing is written out of order.
    """
    if session.is_modified(draft):
        for key, value in changes.items():
            setattr(draft, key, value)
        session.flush()
        return
    seen = draft.lock_version
    result = session.connection().execute(
        _DRAFTS.update()
        .where(_DRAFTS.c.id == draft.id, _DRAFTS.c.lock_version == seen)
        .values(**changes, lock_version=seen + 1)
    )
    if result.rowcount != 1:
        raise ConflictError()
    for key, value in {**changes, "lock_version": seen + 1}.items():
        set_committed_value(draft, key, value)


def _approved(draft: Draft, when: datetime) -> None:
    draft.state = "approved"
    draft.approved_at = when
    mark_answered(draft.inbound, when)


# --- Submit -------------------------------------------------------------------------------


def submit_draft(
    session: Session, actor: User, checker: Any, draft: Draft, *, expected_version: int | None = None
) -> Draft:
    """Re-check the current text on the server and submit: `pass` approves at once, `review` routes it.

    SubmitRefused (with the verdict) when the policy blocks it. A verdict
    that changed since the text was written (a new policy, an election
    period that began) is kept as a new version with the same text.
    """
    fresh = fresh_verdict(session, draft)
    expect_version(session, draft, expected_version, written_here=fresh is not None)
    if actor is None or not may_draft(draft.account, actor):
        raise NotAllowed(f"You do not draft for {draft.account.label}.", "not_staff")
    workflow.next_state(draft.state, "submit_review")  # the state is the first thing to say
    current = draft.current_version
    verdict = fresh or check_text(checker, draft.account, current.text, draft.inbound)
    new_state = workflow.submit(draft.state, verdict.decision, verdict)
    now = utcnow()
    events = []
    with conflicts_as_errors(session):
        # a verdict computed in this transaction is the one stored with the current version
        if fresh is None and _verdict_changed(current, verdict):
            add_version(draft, session.get(User, current.author_id) or actor, current.text, verdict)
            session.flush()
            events.append(checked_event(draft, verdict))
        routes, required = workflow.routing(verdict.decision, verdict.routes, verdict.approvals)
        changes = {"routes": list(routes), "approvals_required": required, **_submitted(new_state, now)}
        if new_state == "approved":
            mark_answered(draft.inbound, now)
        _write_draft(session, draft, changes)
        _action(session, draft, actor, "submit")
        events.extend(_submitted_events(draft, verdict, new_state))
        record_many(session, actor, events)
    return draft


def submit_new_draft(
    session: Session, actor: User, checker: Any, account: OrgAccount, text: str, *, inbound: InboundPost | None = None
) -> Draft:
    """`create_draft` then `submit_draft` as one step (the API's `POST /drafts`), in fewer statements.

    The same rows and the same four events in the same order (created,
    checked, submitted, then routed or approved) as the two calls, but the
    draft is inserted already submitted and the events are appended at once.
    A blocked text raises SubmitRefused before anything is written.
    """
    text, verdict = check_new_draft(actor, checker, account, text, inbound)
    new_state = workflow.submit("draft", verdict.decision, verdict)
    now = utcnow()
    with conflicts_as_errors(session):
        draft = insert_draft(session, actor, account, inbound, text, verdict, now=now, **_submitted(new_state, now))
        if new_state == "approved":
            mark_answered(inbound, now)
        _action(session, draft, actor, "submit")
        record_many(session, actor, [*created_events(draft, verdict), *_submitted_events(draft, verdict, new_state)])
    return draft


def _submitted(new_state: str, now: datetime) -> dict[str, Any]:
    """The draft's columns on submission (approved at once when the policy passed it)."""
    changes = {"state": new_state, "submitted_at": now, "updated_at": now}
    if new_state == "approved":
        changes["approved_at"] = now
    return changes


def _submitted_events(draft: Draft, verdict: Any, new_state: str) -> list[tuple[str, str, dict[str, Any]]]:
    """`draft.submitted`, then `draft.routed` (pending) or `draft.approved` (by the policy)."""
    version = draft.current_version
    subject, about = _subject(draft), {"account_id": draft.account_id, "version": version.number}
    submitted = ("draft.submitted", subject, {**about, "decision": verdict.decision, "state": new_state})
    if new_state == "pending":
        routed = {**about, "groups": list(draft.routes or ()), "approvals_required": draft.approvals_required}
        return [submitted, ("draft.routed", subject, routed)]
    return [submitted, ("draft.approved", subject, {**about, "by": "policy", "text_sha256": version.text_sha256})]


def _verdict_changed(version: DraftVersion, verdict: Any) -> bool:
    stored = version.verdict or {}
    fresh = verdict.to_dict()
    keys = ("decision", "routes", "approvals", "policy", "scorer")
    rules = [f.get("rule") for f in stored.get("findings", [])]
    return any(stored.get(k) != fresh.get(k) for k in keys) or rules != [f["rule"] for f in fresh["findings"]]


# --- Decisions --------------------------------------------------------------------------------


def approve(
    session: Session, actor: User, draft: Draft, *, expected_version: int, group: str | None = None
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
                _subject(draft),
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
        _action(session, draft, actor, "approve")
        session.flush()
        record(
            session,
            actor,
            "draft.approved",
            _subject(draft),
            {"account_id": draft.account_id, "version": version.number, "group": chosen, "text_sha256": version.text_sha256, "state": new_state},
        )
    return draft


def reject(session: Session, actor: User, draft: Draft, reason: str, *, expected_version: int) -> Draft:
    """Reject the draft for good; a reason is required."""
    expect_version(session, draft, expected_version)
    reason, new_state = workflow.reject(draft_facts(draft, []), Actor.of(actor), reason)
    return _decide(session, actor, draft, new_state, "reject", "draft.rejected", {"reason": reason}, reason)


def return_for_changes(session: Session, actor: User, draft: Draft, comment: str, *, expected_version: int) -> Draft:
    """Send the draft back to staff with a comment saying what to change."""
    expect_version(session, draft, expected_version)
    comment, new_state = workflow.return_for_changes(draft_facts(draft, []), Actor.of(actor), comment)
    return _decide(session, actor, draft, new_state, "return", "draft.returned", {"comment": comment}, comment)


def _decide(
    session: Session, actor: User, draft: Draft, new_state: str, action: str, event: str, data: dict, comment: str
) -> Draft:
    with conflicts_as_errors(session):
        draft.state = new_state
        draft.updated_at = utcnow()
        _action(session, draft, actor, action, comment)
        session.flush()
        record(session, actor, event, _subject(draft), {"account_id": draft.account_id, "version": draft.current_version.number, **data})
    return draft


def edit_as_approver(
    session: Session, actor: User, checker: Any, draft: Draft, text: str, *, expected_version: int
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
        _action(session, draft, actor, "edit")
        session.flush()
        record(
            session,
            actor,
            "draft.edited",
            _subject(draft),
            {"account_id": draft.account_id, "version": version.number, "decision": verdict.decision, "groups": draft.routes, "text_sha256": version.text_sha256},
        )
        record_checked(session, actor, draft, verdict)
    return draft


def mark_posted(session: Session, actor: User, draft: Draft, url: str | None = None, *, expected_version: int | None = None) -> Draft:
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
        _action(session, draft, actor, "post", link)
        session.flush()
        record(session, actor, "draft.posted", _subject(draft), {"account_id": draft.account_id, "version": draft.current_version.number, "url": link})
    return draft


# --- Queues -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """A pending draft a group can act on, with what it still needs."""

    draft: Draft
    version: DraftVersion
    inbound: InboundPost | None
    waiting: timedelta  # since it was submitted
    outstanding_groups: tuple[str, ...]  # routed groups with no approval of this text yet
    approvals: tuple[Approval, ...]  # approvals of this text
    approvers_missing: int  # more distinct approvers needed

    @property
    def waiting_minutes(self) -> int:
        return int(self.waiting.total_seconds() // 60)


def queue(
    session: Session,
    group: str,
    *,
    account_id: int | None = None,
    older_than: timedelta | None = None,
    decision: str | None = None,
    rule: str | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[QueueItem]:
    """Pending drafts routed to `group` that still need it, oldest submission first (two queries).

    Filters: `account_id`; `older_than` (waited at least this long);
    `decision` of the current version; `rule` (a rule id among its findings);
    `limit`: at most this many items (the oldest).
    """
    now = now or utcnow()
    if decision is not None and decision not in workflow.DECISIONS:
        raise InvalidInput("decision", f"{decision!r} is not one of: {', '.join(workflow.DECISIONS)}")
    query = select(Draft).where(Draft.state == "pending")
    if account_id is not None:
        query = query.where(Draft.account_id == account_id)
    if older_than is not None:
        query = query.where(Draft.submitted_at <= now - older_than)
    if decision is not None:
        query = query.where(Draft.decision == decision)
    drafts = [d for d in session.scalars(query.order_by(Draft.submitted_at, Draft.id)) if group in (d.routes or ())]
    if rule:
        drafts = [d for d in drafts if rule in d.current_version.rule_ids]
    by_draft: dict[int, list[Approval]] = {}
    if drafts:
        for approval in session.scalars(select(Approval).where(Approval.draft_id.in_([d.id for d in drafts]))):
            by_draft.setdefault(approval.draft_id, []).append(approval)
    items = []
    for draft in drafts:
        approvals = by_draft.get(draft.id, [])
        facts = draft_facts(draft, approvals)
        outstanding = workflow.outstanding_groups(facts)
        missing = workflow.approvers_missing(facts)
        if group not in outstanding and missing <= len(outstanding):
            continue  # this group has done its part
        version = draft.current_version
        items.append(
            QueueItem(
                draft=draft,
                version=version,
                inbound=draft.inbound,
                waiting=max(now - (draft.submitted_at or draft.created_at), timedelta(0)),
                outstanding_groups=outstanding,
                approvals=tuple(a for a in approvals if a.text_sha256 == version.text_sha256),
                approvers_missing=missing,
            )
        )
        if limit is not None and len(items) >= limit:
            break
    return items


def set_response_target(session: Session, actor: User | None, account: Any, minutes: int) -> bool:
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

