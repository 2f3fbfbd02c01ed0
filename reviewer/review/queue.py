"""Approver queues: the pending drafts that still need a group, oldest first, a page at a time.

Who is waiting for whom is worked out from light rows: each pending draft's
routes, approvals needed, current text's sha256 and authors, and the
approvals of its drafts. So counting a backlog of thousands reads no texts;
only the page shown loads its drafts whole (versions, the post answered, the
author, the approvers so far). Verdicts are read only to filter by rule or to
list the rules in a queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from reviewer.orm import utcnow
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.pagination import Page
from reviewer.review import workflow
from reviewer.review.models import Approval
from reviewer.review.workflow import ApprovalFact, DraftFacts, InvalidInput
from reviewer.vocabulary import DECISIONS


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


@dataclass(frozen=True)
class Waiting:
    """One pending draft that still needs a group, without its texts (see the module docstring)."""

    draft_id: int
    since: datetime
    outstanding_groups: tuple[str, ...]
    approvers_missing: int
    rule_ids: tuple[str, ...]  # the current version's rules; empty unless asked for


def waiting_for(
    session: Session,
    groups: Iterable[str],
    *,
    account_id: int | None = None,
    older_than: timedelta | None = None,
    decision: str | None = None,
    rule: str | None = None,
    with_rules: bool = False,
    now: datetime | None = None,
) -> dict[str, list[Waiting]]:
    """Per group, the pending drafts that still need it, oldest submission first (two light queries).

    Filters: `account_id`; `older_than` (waited at least this long); `decision` of the
    current version; `rule` (a rule id among its findings). `with_rules`: fill `rule_ids`.
    """
    now = now or utcnow()
    wanted: dict[str, list[Waiting]] = {group: [] for group in groups}
    if decision is not None and decision not in DECISIONS:
        raise InvalidInput("decision", f"{decision!r} is not one of: {', '.join(DECISIONS)}")
    read_verdicts = with_rules or bool(rule)
    newer = aliased(DraftVersion)
    current = select(func.max(newer.number)).where(newer.draft_id == Draft.id).correlate(Draft).scalar_subquery()
    columns = [Draft.id, Draft.author_id, Draft.routes, Draft.approvals_required, Draft.submitted_at, Draft.created_at,
               DraftVersion.author_id.label("version_author_id"), DraftVersion.text_sha256]
    if read_verdicts:
        columns.append(DraftVersion.verdict)
    query = (
        select(*columns)
        .join(DraftVersion, (DraftVersion.draft_id == Draft.id) & (DraftVersion.number == current))
        .where(Draft.state == "pending")
        .order_by(Draft.submitted_at, Draft.id)
    )
    if account_id is not None:
        query = query.where(Draft.account_id == account_id)
    if older_than is not None:
        query = query.where(Draft.submitted_at <= now - older_than)
    if decision is not None:
        query = query.where(Draft.decision == decision)
    rows = [row for row in session.execute(query) if set(row.routes or ()) & wanted.keys()]
    approvals = _pending_approvals(session) if rows else {}
    for row in rows:
        rule_ids = tuple(f["rule"] for f in (row.verdict or {}).get("findings", [])) if read_verdicts else ()
        if rule and rule not in rule_ids:
            continue
        facts = DraftFacts(
            state="pending",
            author_id=row.author_id,
            version_author_id=row.version_author_id,
            text_sha256=row.text_sha256,
            routes=tuple(row.routes),
            approvals_required=row.approvals_required,
            approvals=tuple(approvals.get(row.id, ())),
        )
        outstanding = workflow.outstanding_groups(facts)
        missing = workflow.approvers_missing(facts)
        for group in row.routes:
            if group in wanted and (group in outstanding or missing > len(outstanding)):
                since = row.submitted_at or row.created_at
                wanted[group].append(Waiting(row.id, since, outstanding, missing, rule_ids))
    return wanted


def queue_page(
    session: Session,
    group: str,
    *,
    offset: int = 0,
    limit: int | None = None,
    now: datetime | None = None,
    **filters: object,
) -> Page[QueueItem]:
    """The drafts waiting for `group` (filters as `waiting_for`), `limit` of them from `offset`, loaded whole."""
    now = now or utcnow()
    waiting = waiting_for(session, [group], now=now, **filters)[group]  # type: ignore[arg-type]
    shown = waiting[offset:] if limit is None else waiting[offset:offset + limit]
    return Page(_load_items(session, shown, now), len(waiting), offset, limit)


def queue(session: Session, group: str, *, limit: int | None = None, **filters: object) -> list[QueueItem]:
    """Pending drafts routed to `group` that still need it, oldest submission first (at most `limit`)."""
    return queue_page(session, group, limit=limit, **filters).items  # type: ignore[arg-type]


def _pending_approvals(session: Session) -> dict[int, list[ApprovalFact]]:
    query = (
        select(Approval.draft_id, Approval.approver_id, Approval.group, Approval.text_sha256)
        .join(Draft, Draft.id == Approval.draft_id)
        .where(Draft.state == "pending")
    )
    found: dict[int, list[ApprovalFact]] = {}
    for draft_id, approver_id, group, sha256 in session.execute(query):
        found.setdefault(draft_id, []).append(ApprovalFact(approver_id, group, sha256))
    return found


def _load_items(session: Session, shown: list[Waiting], now: datetime) -> list[QueueItem]:
    if not shown:
        return []
    ids = [w.draft_id for w in shown]
    drafts = {d.id: d for d in session.scalars(select(Draft).where(Draft.id.in_(ids)).options(selectinload(Draft.author)))}
    by_draft: dict[int, list[Approval]] = {}
    for approval in session.scalars(
        select(Approval).where(Approval.draft_id.in_(ids)).options(selectinload(Approval.approver)).order_by(Approval.id)
    ):
        by_draft.setdefault(approval.draft_id, []).append(approval)
    items = []
    for entry in shown:
        draft = drafts.get(entry.draft_id)
        if draft is None:  # removed in between (its account deleted)
            continue
        version = draft.current_version
        items.append(
            QueueItem(
                draft=draft,
                version=version,
                inbound=draft.inbound,
                waiting=max(now - entry.since, timedelta(0)),
                outstanding_groups=entry.outstanding_groups,
                approvals=tuple(a for a in by_draft.get(draft.id, ()) if a.text_sha256 == version.text_sha256),
                approvers_missing=entry.approvers_missing,
            )
        )
    return items
