"""The report's long tables: blocked or rejected drafts, approvals of flagged drafts,
refused self-approvals and policy changes, as plain rows (see `rows.py`).

Called by `data.build_report` with rows it already loaded; reads audit events itself.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.audit import AuditEvent
from reviewer.drafting.models import Draft, DraftVersion
from reviewer.numbers import whole_number
from reviewer.reports.rows import ApprovalRow, DraftRow, PolicyChange, RefusalRow, marked_text
from reviewer.review.models import Approval


def blocked_or_rejected(drafts: list[Draft], users: dict[int, str], rejections: dict) -> list[DraftRow]:
    """Drafts the policy blocked (their last blocked version) or an approver rejected (the current one)."""
    rows = []
    for draft in drafts:
        blocked = [v for v in draft.versions if v.decision == "block"]
        rejection = rejections.get(draft.id) if draft.state == "rejected" else None
        if not blocked and rejection is None:
            continue
        version = draft.current_version if rejection is not None else blocked[-1]
        rows.append(
            DraftRow(
                draft_id=draft.id,
                account=draft.account.label,
                author=users.get(draft.author_id, f"user {draft.author_id}"),
                outcome="rejected" if rejection is not None else "blocked by policy",
                decided_by=users.get(rejection.actor_id, "?") if rejection is not None else "policy",
                when=rejection.created_at if rejection is not None else version.created_at,
                reason=(rejection.comment or "") if rejection is not None else "",
                rules=[f.get("rule", "?") for f in version.verdict.get("findings", [])],
                text=marked_text(version.text, version.verdict.get("findings", [])),
            )
        )
    return rows


def flagged_approvals(drafts: list[Draft], approvals: dict[int, list[Approval]], users: dict[int, str]) -> list[ApprovalRow]:
    """Every approval of a version that had findings (any rule fired)."""
    rows = []
    for draft in drafts:
        by_id = {v.id: v for v in draft.versions}
        for approval in approvals.get(draft.id, []):
            version = by_id.get(approval.version_id)
            findings = (version.verdict or {}).get("findings", []) if version else []
            if version is None or not findings:
                continue
            rows.append(
                ApprovalRow(
                    draft_id=draft.id,
                    account=draft.account.label,
                    approver=users.get(approval.approver_id, f"user {approval.approver_id}"),
                    group=approval.group,
                    when=approval.created_at,
                    version=version.number,
                    rules=[f.get("rule", "?") for f in findings],
                    text=marked_text(version.text, findings),
                )
            )
    return rows


def _subject_draft_id(subject: str | None) -> int | None:
    if subject and subject.startswith("draft:"):
        return whole_number(subject[6:])
    return None


def period_events(session: Session, since: datetime, until: datetime, *actions: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.occurred_at >= since, AuditEvent.occurred_at < until, AuditEvent.action.in_(actions)
    )
    return list(session.scalars(query.order_by(AuditEvent.seq)))


def blocked_attempts(session: Session, since: datetime, until: datetime, account_id: int | None) -> int:
    """Submissions the policy blocked in the period (`draft.blocked` events), for one account or all."""
    events = period_events(session, since, until, "draft.blocked")
    if account_id is None:
        return len(events)
    return sum(1 for event in events if json.loads(event.data or "{}").get("account_id") == account_id)


def refusals(
    session: Session, since: datetime, until: datetime, account_id: int | None, drafts: dict[int, Draft]
) -> list[RefusalRow]:
    """Self-approval attempts refused (`approval.refused` events) in the period."""
    rows = []
    for event in period_events(session, since, until, "approval.refused"):
        draft_id = _subject_draft_id(event.subject)
        draft = drafts.get(draft_id) if draft_id is not None else None
        if draft is None and draft_id is not None:
            draft = session.get(Draft, draft_id)
        if account_id is not None and (draft is None or draft.account_id != account_id):
            continue
        data = json.loads(event.data or "{}")
        rows.append(
            RefusalRow(
                seq=event.seq,
                when=event.occurred_at,
                actor=event.actor_label,
                draft_id=draft_id,
                account=draft.account.label if draft is not None else "",
                reason=str(data.get("reason", "")),
                message=str(data.get("message", "")),
            )
        )
    return rows


def policy_changes(
    session: Session, since: datetime, until: datetime, account_id: int | None, versions: list[DraftVersion]
) -> list[PolicyChange]:
    """A policy sha256 first used in the period, and accounts whose policy file was changed in it."""
    changes = []
    used = {v.policy_sha256: v for v in sorted(versions, key=lambda v: v.id, reverse=True)}
    if used:
        first_use = select(DraftVersion.policy_sha256, func.min(DraftVersion.created_at)).group_by(
            DraftVersion.policy_sha256
        )
        if account_id is not None:
            first_use = first_use.join(Draft, Draft.id == DraftVersion.draft_id).where(Draft.account_id == account_id)
        for sha, first in session.execute(first_use.where(DraftVersion.policy_sha256.in_(list(used)))):
            first = first if first.tzinfo else first.replace(tzinfo=timezone.utc)
            if since <= first < until:
                policy = (used[sha].verdict or {}).get("policy") or {}
                changes.append(
                    PolicyChange(
                        when=first,
                        what=f"policy {policy.get('id', '?')} version {policy.get('version', '?')} first used",
                        detail=sha,
                        by="",
                    )
                )
    for event in period_events(session, since, until, "account.changed"):
        data = json.loads(event.data or "{}")
        if "policy_file" not in data:
            continue
        if account_id is not None and event.subject != f"account:{account_id}":
            continue
        change = data["policy_file"]
        changes.append(
            PolicyChange(
                when=event.occurred_at,
                what=f"{event.subject}: policy file changed",
                detail=f"{change.get('from')} -> {change.get('to')}",
                by=event.actor_label,
            )
        )
    return sorted(changes, key=lambda c: c.when)
