"""Submitting a draft: re-checked on the server, approved at once when the policy passes it, else routed.

`submit_draft` submits a stored draft (the web pages); `submit_new_draft`
creates and submits in one step (the API's `POST /drafts`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.models import User
from reviewer.accounts.principal import AnyUser
from reviewer.audit.services import record, record_many
from reviewer.drafting.common import conflicts_as_errors, expect_version, may_draft, text_sha256
from reviewer.drafting.inbound import mark_answered
from reviewer.orm import utcnow
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.drafting.services import (
    add_version,
    check_new_draft,
    check_text,
    checked_event,
    created_events,
    fresh_verdict,
    insert_draft,
)
from reviewer.notify import outbox
from reviewer.orgs.models import AnyAccount
from reviewer.policy.verdict import verdict_dict
from reviewer.review import workflow
from reviewer.review.models import ReviewAction
from reviewer.review.steps import add_step, subject_of, write_draft
from reviewer.review.workflow import NotAllowed, SubmitRefused


def submit_draft(
    session: Session, actor: AnyUser, checker: Any, draft: Draft, *, expected_version: int | None = None
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
    returner, back_to = returned_by(session, draft)
    with _noting_blocked(draft.account, draft.inbound, current.text):
        new_state = workflow.submit(draft.state, verdict.decision, verdict, back_to=back_to)
    now = utcnow()
    events = []
    with conflicts_as_errors(session):
        # a verdict computed in this transaction is the one stored with the current version
        if fresh is None and _verdict_changed(current, verdict):
            add_version(draft, session.get(User, current.author_id) or actor, current.text, verdict)
            session.flush()
            events.append(checked_event(draft, verdict))
        routes, required = workflow.routing(verdict.decision, verdict.routes, verdict.approvals, back_to=back_to)
        changes = {"routes": list(routes), "approvals_required": required, **_submitted(new_state, now)}
        if new_state == "approved":
            mark_answered(draft.inbound, now)
        write_draft(session, draft, changes)
        add_step(session, draft, actor, "submit")
        events.extend(_submitted_events(draft, verdict, new_state, returner))
        record_many(session, actor, events)
        if new_state == "pending":
            outbox.draft_routed(session, actor, draft, draft.routes)
    return draft


def returned_by(session: Session, draft: Draft) -> tuple[User | None, tuple[str, ...]]:
    """(who returned the draft, their groups it was routed to) when its last review step was a return.

    Their groups among those the returned version was routed to; all of
    those when the returner has left them (someone in the group still looks).
    """
    if draft.submitted_at is None:
        return None, ()  # never submitted, so never returned: no query while the write lock is held
    last = session.scalars(
        select(ReviewAction).where(ReviewAction.draft_id == draft.id).order_by(ReviewAction.id.desc()).limit(1)
    ).first()
    if last is None or last.action != "return":
        return None, ()
    verdict = (last.version.verdict if last.version is not None else None) or {}
    routed, _ = workflow.routing(verdict.get("decision", "review"), verdict.get("routes") or (), 1)
    mine = tuple(g for g in routed if g in set(last.actor.group_names)) if last.actor is not None else ()
    return last.actor, mine or routed


def submit_new_draft(
    session: Session, actor: AnyUser, checker: Any, account: AnyAccount, text: str, *, inbound: InboundPost | None = None
) -> Draft:
    """`create_draft` then `submit_draft` as one step (the API's `POST /drafts`), in fewer statements.

    The same rows and the same four events in the same order (created,
    checked, submitted, then routed or approved) as the two calls, but the
    draft is inserted already submitted and the events are appended at once.
    A blocked text raises SubmitRefused before anything is written.
    """
    text, verdict = check_new_draft(actor, checker, account, text, inbound)
    with _noting_blocked(account, inbound, text):
        new_state = workflow.submit("draft", verdict.decision, verdict)
    now = utcnow()
    with conflicts_as_errors(session):
        draft = insert_draft(session, actor, account, inbound, text, verdict, now=now, **_submitted(new_state, now))
        if new_state == "approved":
            mark_answered(inbound, now)
        add_step(session, draft, actor, "submit")
        record_many(session, actor, [*created_events(draft, verdict), *_submitted_events(draft, verdict, new_state)])
        if new_state == "pending":
            outbox.draft_routed(session, actor, draft, draft.routes)
    return draft


@contextmanager
def _noting_blocked(account: AnyAccount, inbound: InboundPost | None, text: str) -> Iterator[None]:
    """Give a SubmitRefused the `draft.blocked` event that says what was tried (see `record_blocked`)."""
    try:
        yield
    except SubmitRefused as refused:
        verdict = verdict_dict(refused.verdict) or {}
        findings = verdict.get("findings", [])
        policy = verdict.get("policy") or {}
        refused.blocked_event = {
            "account_id": account.id,
            **({"inbound_post_id": inbound.id} if inbound is not None else {}),
            "decision": "block",
            "rules": list(dict.fromkeys(str(f.get("rule", "")) for f in findings)),
            "blocking_rules": list(dict.fromkeys(str(f.get("rule", "")) for f in findings if f.get("action") == "block")),
            "text_sha256": text_sha256(text),
            "policy": {"id": policy.get("id"), "version": policy.get("version")},
        }
        raise


def record_blocked(session: Session, actor: AnyUser, refused: SubmitRefused, draft: Draft | None = None) -> None:
    """Audit a submission the policy blocked: `draft.blocked`, with the rules that fired and the text's hash.

    The caller rolls back what the refused submit wrote (a new draft, a
    revision), then calls this and commits: the attempt is kept as evidence
    (counted in the compliance report, filterable in the audit browser),
    the blocked text itself is not. `draft`: the stored draft it was about,
    when one outlives the rollback (its subject is then `draft:ID`, else `account:ID`).
    """
    data = getattr(refused, "blocked_event", None)
    if data is None:
        return
    subject = f"draft:{draft.id}" if draft is not None else f"account:{data['account_id']}"
    record(session, actor, "draft.blocked", subject, data)


def _submitted(new_state: str, now: datetime) -> dict[str, Any]:
    """The draft's columns on submission (approved at once when the policy passed it)."""
    changes = {"state": new_state, "submitted_at": now, "updated_at": now}
    if new_state == "approved":
        changes["approved_at"] = now
    return changes


def _submitted_events(
    draft: Draft, verdict: Any, new_state: str, returner: User | None = None
) -> list[tuple[str, str, dict[str, Any]]]:
    """`draft.submitted`, then `draft.routed` (pending) or `draft.auto_approved` (the policy's decision).

    Approval by the policy is its own event, naming the policy version it
    passed: the staff member who submitted is the event's actor, never the
    actor of a `draft.approved`, so the trail cannot read as self-approval.
    """
    version = draft.current_version
    subject, about = subject_of(draft), {"account_id": draft.account_id, "version": version.number}
    submitted = ("draft.submitted", subject, {**about, "decision": verdict.decision, "state": new_state})
    if new_state == "pending":
        routed = {**about, "groups": list(draft.routes or ()), "approvals_required": draft.approvals_required}
        if returner is not None:
            routed["returned_by"] = returner.username
        return [submitted, ("draft.routed", subject, routed)]
    policy = verdict.to_dict().get("policy") or {}
    passed = {"id": policy.get("id"), "version": policy.get("version")}
    return [submitted, ("draft.auto_approved", subject, {**about, "by": "policy", "policy": passed, "text_sha256": version.text_sha256})]


def _verdict_changed(version: DraftVersion, verdict: Any) -> bool:
    stored = version.verdict or {}
    fresh = verdict.to_dict()
    keys = ("decision", "routes", "approvals", "policy", "scorer")
    rules = [f.get("rule") for f in stored.get("findings", [])]
    return any(stored.get(k) != fresh.get(k) for k in keys) or rules != [f["rule"] for f in fresh["findings"]]
