"""Submitting a draft: re-checked on the server, approved at once when the policy passes it, else routed.

`submit_draft` submits a stored draft (the web pages); `submit_new_draft`
creates and submits in one step (the API's `POST /drafts`). Both are
re-exported by `reviewer.review.services`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from reviewer.accounts.models import User
from reviewer.accounts.principal import AnyUser
from reviewer.audit.services import record_many
from reviewer.db import utcnow
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.drafting.services import (
    add_version,
    check_new_draft,
    check_text,
    checked_event,
    conflicts_as_errors,
    created_events,
    expect_version,
    fresh_verdict,
    insert_draft,
    mark_answered,
    may_draft,
)
from reviewer.notify import outbox
from reviewer.orgs.models import AnyAccount
from reviewer.review import workflow
from reviewer.review.steps import add_step, subject_of, write_draft
from reviewer.review.workflow import NotAllowed


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
        write_draft(session, draft, changes)
        add_step(session, draft, actor, "submit")
        events.extend(_submitted_events(draft, verdict, new_state))
        record_many(session, actor, events)
        if new_state == "pending":
            outbox.draft_routed(session, actor, draft, draft.routes)
    return draft


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


def _submitted(new_state: str, now: datetime) -> dict[str, Any]:
    """The draft's columns on submission (approved at once when the policy passed it)."""
    changes = {"state": new_state, "submitted_at": now, "updated_at": now}
    if new_state == "approved":
        changes["approved_at"] = now
    return changes


def _submitted_events(draft: Draft, verdict: Any, new_state: str) -> list[tuple[str, str, dict[str, Any]]]:
    """`draft.submitted`, then `draft.routed` (pending) or `draft.approved` (by the policy)."""
    version = draft.current_version
    subject, about = subject_of(draft), {"account_id": draft.account_id, "version": version.number}
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
