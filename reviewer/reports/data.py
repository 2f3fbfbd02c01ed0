"""The compliance report's content, built from the database as plain data.

`build_report(session, ...)` reads drafts, versions, approvals, review
actions and audit events for a period and returns a `ReportData` of
dataclasses, strings and numbers: no ORM object leaves this module, so the
PDF template, the charts and the tests all work on the same frozen facts.

What counts (drafts are those *written* in the period, `created_at` in
[since, until)):

- passed directly: approved automatically by the policy at submission (no approver needed), also
  counted per policy version ("Approved automatically: passed policy government version 2026.1");
- routed for approval: the last submission went to approver groups;
- blocked: at least one version the policy blocked;
- blocked submissions: attempts to submit a text the policy blocks (`draft.blocked` audit
  events in the period; the blocked text itself is never stored);
- approved: approved (or posted) after approvers approved it;
- rejected: in the rejected state; returned: returned for changes at least once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer import moments
from reviewer.accounts.models import User
from reviewer.audit import AuditEvent, VerifyResult, verify
from reviewer.audit.services import session_key
from reviewer.audit.wording import passed_policy
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.orgs.models import OrgAccount
from reviewer.reports.rows import (
    ApprovalRow,
    DraftRow,
    PolicyChange,
    PolicyInForce,
    RefusalRow,
    RuleCount,
    Summary,
)
from reviewer.reports.tables import blocked_attempts, blocked_or_rejected, flagged_approvals, policy_changes, refusals
from reviewer.review.models import Approval, ReviewAction
from reviewer.review.stats import Breach, Durations, response_times

#: How many rules the "most frequent rules" table lists.
TOP_RULES = 15
#: How many response-time breaches the report lists, longest first (the summary counts them all;
#: the response-time dashboard lists more). Each row is a post excerpt: they fill pages fast.
BREACHES_LISTED = 50


class ReportInputError(ValueError):
    """The period or account asked for cannot make a report; the message says why."""


@dataclass(frozen=True)
class Integrity:
    """The audit chain check and the period's first and last events."""

    ok: bool
    events_checked: int
    head: tuple[int, str] | None
    first_bad: str | None  # "event 12: hash mismatch: content changed"
    period_events: int
    first: tuple[int, str, datetime] | None  # (seq, hash, occurred_at)
    last: tuple[int, str, datetime] | None


@dataclass(frozen=True)
class ReportData:
    """Everything the PDF shows, as plain values."""

    agency: str
    accounts: list[str]
    account_filter: str | None  # the one account asked for, or None for all
    since: datetime
    until: datetime  # exclusive
    generated_at: datetime
    generated_by: str
    policies: list[PolicyInForce]
    scorers: list[str]
    summary: Summary
    weeks: list[tuple[str, dict[str, int]]]  # ("2026-W44", {"pass": n, "review": n, "block": n})
    categories: list[tuple[str, int]]  # findings by rule category, most first
    approval_minutes: list[float]
    top_rules: list[RuleCount]
    blocked_or_rejected: list[DraftRow]
    flagged_approvals: list[ApprovalRow]
    refusals: list[RefusalRow]
    policy_changes: list[PolicyChange]
    breaches: list[Breach]
    integrity: Integrity
    notes: list[str] = field(default_factory=list)

    @property
    def last_day(self) -> date:
        """The last day the period covers (until is exclusive)."""
        return (self.until - timedelta(microseconds=1)).date()

    @property
    def row_count(self) -> int:
        """Rows in the long tables: what makes the layout slow."""
        return len(self.blocked_or_rejected) + len(self.flagged_approvals) + len(self.refusals)


def period_of(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[since, until) in UTC covering whole days from `first_day` to `last_day` inclusive."""
    if last_day < first_day:
        raise ReportInputError(f"the end ({last_day}) is before the start ({first_day})")
    since = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc)
    try:
        end = moments.shift(last_day, timedelta(days=1))
    except moments.OutOfRange as error:
        raise ReportInputError(f"the end: {error}") from None
    return since, datetime(end.year, end.month, end.day, tzinfo=timezone.utc)


def count_drafts(session: Session, since: datetime, until: datetime, account_id: int | None = None) -> int:
    """How many drafts were written in the period: the estimate of a report's size."""
    query = select(func.count(Draft.id)).where(Draft.created_at >= since, Draft.created_at < until)
    if account_id is not None:
        query = query.where(Draft.account_id == account_id)
    return int(session.scalar(query) or 0)


def build_report(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    account_id: int | None = None,
    agency: str,
    generated_by: str,
    now: datetime | None = None,
) -> ReportData:
    """Collect the report's facts for drafts written in [since, until), optionally for one account."""
    if since.utcoffset() is None or until.utcoffset() is None:
        raise ReportInputError("since and until must be timezone-aware datetimes")
    if until <= since:
        raise ReportInputError(f"the period is empty: {until.isoformat()} is not after {since.isoformat()}")
    now = now or datetime.now(timezone.utc)
    accounts = _accounts(session, account_id)

    draft_query = select(Draft).where(Draft.created_at >= since, Draft.created_at < until).order_by(Draft.id)
    if account_id is not None:
        draft_query = draft_query.where(Draft.account_id == account_id)
    drafts = list(session.scalars(draft_query))
    draft_ids = [d.id for d in drafts]
    approvals = _approvals(session, draft_ids)
    returned = _drafts_with_action(session, draft_ids, "return")
    rejections = _rejections(session, draft_ids)
    users = _user_names(session, drafts, approvals, rejections)

    versions = [v for d in drafts for v in d.versions]
    approved_by_people = [d for d in drafts if d.state in ("approved", "posted") and approvals.get(d.id)]
    approval_minutes = [
        _minutes(d.approved_at - d.submitted_at) for d in approved_by_people if d.approved_at and d.submitted_at
    ]
    times = response_times(session, since=since, until=until, account_id=account_id, now=now)
    reply_minutes = _reply_minutes(session, since, until, account_id)

    passed_directly = [d for d in drafts if d.state in ("approved", "posted") and not approvals.get(d.id)]
    summary = Summary(
        written=len(drafts),
        passed_directly=len(passed_directly),
        passed_by_policy=tuple(Counter(passed_policy((d.current_version.verdict or {}).get("policy")) for d in passed_directly).items()),
        routed=sum(1 for d in drafts if d.submitted_at is not None and d.routes),
        blocked=sum(1 for d in drafts if any(v.decision == "block" for v in d.versions)),
        approved=len(approved_by_people),
        rejected=sum(1 for d in drafts if d.state == "rejected"),
        returned=len(returned),
        posted=sum(1 for d in drafts if d.state == "posted"),
        approval=Durations.of(approval_minutes),
        reply=Durations.of(reply_minutes),
        inbound_received=sum(a.received for a in times.accounts),
        breaches=len(times.breaches),
        blocked_attempts=blocked_attempts(session, since, until, account_id),
    )
    account_label = accounts[0] if account_id is not None else None
    return ReportData(
        agency=agency,
        accounts=accounts,
        account_filter=account_label,
        since=since,
        until=until,
        generated_at=now,
        generated_by=generated_by,
        policies=_policies(versions),
        scorers=sorted({v.scorer_version or "none" for v in versions}),
        summary=summary,
        weeks=_weeks(drafts),
        categories=_categories(versions),
        approval_minutes=approval_minutes,
        top_rules=_top_rules(versions),
        blocked_or_rejected=blocked_or_rejected(drafts, users, rejections),
        flagged_approvals=flagged_approvals(drafts, approvals, users),
        refusals=refusals(session, since, until, account_id, {d.id: d for d in drafts}),
        policy_changes=policy_changes(session, since, until, account_id, versions),
        breaches=times.breaches[:BREACHES_LISTED],
        integrity=_integrity(session, since, until),
    )


# --- Reading --------------------------------------------------------------------------------


def _accounts(session: Session, account_id: int | None) -> list[str]:
    if account_id is None:
        return [a.label for a in session.scalars(select(OrgAccount).order_by(OrgAccount.name, OrgAccount.id))]
    account = session.get(OrgAccount, account_id)
    if account is None:
        raise ReportInputError(f"there is no organisation account with id {account_id}")
    return [account.label]


def _chunks(ids: list[int], size: int = 900):  # SQLite caps bound parameters
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _approvals(session: Session, draft_ids: list[int]) -> dict[int, list[Approval]]:
    found: dict[int, list[Approval]] = defaultdict(list)
    for chunk in _chunks(draft_ids):
        for approval in session.scalars(select(Approval).where(Approval.draft_id.in_(chunk)).order_by(Approval.id)):
            found[approval.draft_id].append(approval)
    return found


def _drafts_with_action(session: Session, draft_ids: list[int], action: str) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(draft_ids):
        query = select(ReviewAction.draft_id).where(ReviewAction.draft_id.in_(chunk), ReviewAction.action == action)
        found.update(session.scalars(query))
    return found


def _rejections(session: Session, draft_ids: list[int]) -> dict[int, ReviewAction]:
    found: dict[int, ReviewAction] = {}
    for chunk in _chunks(draft_ids):
        query = select(ReviewAction).where(ReviewAction.draft_id.in_(chunk), ReviewAction.action == "reject")
        for action in session.scalars(query.order_by(ReviewAction.id)):
            found[action.draft_id] = action
    return found


def _user_names(session: Session, drafts: list[Draft], approvals: dict, rejections: dict) -> dict[int, str]:
    ids = {d.author_id for d in drafts} | {a.approver_id for found in approvals.values() for a in found}
    ids |= {r.actor_id for r in rejections.values()}
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(ids)):
        for user_id, username, display in session.execute(
            select(User.id, User.username, User.display_name).where(User.id.in_(chunk))
        ):
            names[user_id] = f"{display} ({username})" if display and display != username else username
    return names


def _reply_minutes(session: Session, since: datetime, until: datetime, account_id: int | None) -> list[float]:
    """Inbound post to approved reply, for posts received in the period and answered."""
    query = select(InboundPost.received_at, InboundPost.answered_at).where(
        InboundPost.received_at >= since, InboundPost.received_at < until, InboundPost.answered_at.is_not(None)
    )
    if account_id is not None:
        query = query.where(InboundPost.account_id == account_id)
    return [_minutes(answered - received) for received, answered in session.execute(query)]


def _minutes(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0) / 60


# --- Summaries -----------------------------------------------------------------------------


def _policies(versions: list[DraftVersion]) -> list[PolicyInForce]:
    seen: dict[str, PolicyInForce] = {}
    counts: Counter[str] = Counter()
    for version in versions:
        policy = (version.verdict or {}).get("policy") or {}
        sha = version.policy_sha256
        counts[sha] += 1
        if sha not in seen:
            seen[sha] = PolicyInForce(str(policy.get("id", "?")), str(policy.get("version", "?")), sha, 0)
    return sorted(
        (PolicyInForce(p.id, p.version, p.sha256, counts[p.sha256]) for p in seen.values()),
        key=lambda p: (p.id, p.version, p.sha256),
    )


def _weeks(drafts: list[Draft]) -> list[tuple[str, dict[str, int]]]:
    weeks: dict[str, dict[str, int]] = {}
    for draft in sorted(drafts, key=lambda d: d.created_at):
        year, week, _ = draft.created_at.isocalendar()
        counts = weeks.setdefault(f"{year}-W{week:02d}", {"pass": 0, "review": 0, "block": 0})
        counts[draft.decision] = counts.get(draft.decision, 0) + 1
    return list(weeks.items())


def _categories(versions: list[DraftVersion]) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for version in versions:
        for finding in (version.verdict or {}).get("findings", []):
            counts[str(finding.get("rule", "?")).split(".", 1)[0]] += 1
    return counts.most_common()


def _top_rules(versions: list[DraftVersion]) -> list[RuleCount]:
    findings: Counter[str] = Counter()
    drafts: dict[str, set[int]] = defaultdict(set)
    actions: dict[str, str] = {}
    for version in versions:
        for finding in (version.verdict or {}).get("findings", []):
            rule = str(finding.get("rule", "?"))
            findings[rule] += 1
            drafts[rule].add(version.draft_id)
            actions.setdefault(rule, str(finding.get("action", "")))
    return [RuleCount(rule, n, len(drafts[rule]), actions[rule]) for rule, n in findings.most_common(TOP_RULES)]


def _integrity(session: Session, since: datetime, until: datetime) -> Integrity:
    result: VerifyResult = verify(session, session_key(session))
    first_bad = f"event {result.first_bad.seq}: {result.first_bad.reason}" if result.first_bad else None
    in_period = (AuditEvent.occurred_at >= since, AuditEvent.occurred_at < until)
    columns = (AuditEvent.seq, AuditEvent.hash, AuditEvent.occurred_at)
    first = session.execute(select(*columns).where(*in_period).order_by(AuditEvent.seq).limit(1)).first()
    last = session.execute(select(*columns).where(*in_period).order_by(AuditEvent.seq.desc()).limit(1)).first()
    count = session.scalar(select(func.count(AuditEvent.seq)).where(*in_period)) or 0
    return Integrity(
        ok=result.ok,
        events_checked=result.count,
        head=result.head,
        first_bad=first_bad,
        period_events=int(count),
        first=tuple(first) if first else None,
        last=tuple(last) if last else None,
    )
