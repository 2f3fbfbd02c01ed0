"""Response times: inbound post to approved reply per account, time waiting for approval per group.

Plain data (dataclasses of numbers and strings), so the dashboard, the API
and the PDF report can all use it without touching the database.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.orm import utcnow
from reviewer.drafting.models import Draft, InboundPost
from reviewer.orgs.models import OrgAccount

EXCERPT_LENGTH = 120


@dataclass(frozen=True)
class Durations:
    """Summary of a list of durations, in minutes (None when there are none)."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None
    max_minutes: float | None

    @classmethod
    def of(cls, minutes: list[float]) -> Durations:
        if not minutes:
            return cls(0, None, None, None)
        ordered = sorted(minutes)
        p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank
        return cls(len(ordered), round(statistics.median(ordered), 1), round(p90, 1), round(ordered[-1], 1))


@dataclass(frozen=True)
class AccountTimes:
    account_id: int
    label: str
    target_minutes: int
    received: int
    answered: int
    unanswered: int
    within_target: int  # answered within the target
    breaches: int  # answered late, or unanswered and already past the target
    response: Durations  # received -> answered, for answered posts


@dataclass(frozen=True)
class GroupTimes:
    group: str
    submitted: int  # drafts routed to the group and submitted in the period
    approved: int
    waiting_now: int  # still pending
    wait: Durations  # submitted -> approved


@dataclass(frozen=True)
class Breach:
    """A post answered later than its account's target, or still waiting past it."""

    post_id: int
    account_id: int
    account_label: str
    author_handle: str
    excerpt: str
    received_at: datetime
    answered_at: datetime | None
    minutes: float
    target_minutes: int


@dataclass(frozen=True)
class ResponseTimeReport:
    since: datetime
    until: datetime
    generated_at: datetime
    accounts: list[AccountTimes] = field(default_factory=list)
    groups: list[GroupTimes] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601 strings."""
        def convert(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, list):
                return [convert(v) for v in value]
            return value

        return convert(asdict(self))


def _minutes(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0) / 60


def response_times(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    account_id: int | None = None,
    now: datetime | None = None,
) -> ResponseTimeReport:
    """Posts received and drafts submitted in [since, until), summarised; breaches longest first."""
    if since.utcoffset() is None or until.utcoffset() is None:
        raise ValueError("since and until must be timezone-aware datetimes")
    if until <= since:
        raise ValueError(f"until ({until.isoformat()}) must be after since ({since.isoformat()})")
    now = now or utcnow()
    account_query = select(OrgAccount).order_by(OrgAccount.name, OrgAccount.id)
    if account_id is not None:
        account_query = account_query.where(OrgAccount.id == account_id)
    accounts = list(session.scalars(account_query))

    post_query = select(InboundPost).where(InboundPost.received_at >= since, InboundPost.received_at < until)
    if account_id is not None:
        post_query = post_query.where(InboundPost.account_id == account_id)
    posts_by_account: dict[int, list[InboundPost]] = {}
    for post in session.scalars(post_query.order_by(InboundPost.received_at)):
        posts_by_account.setdefault(post.account_id, []).append(post)

    account_rows: list[AccountTimes] = []
    breaches: list[Breach] = []
    for account in accounts:
        target = account.response_target_minutes
        posts = posts_by_account.get(account.id, [])
        answered = [p for p in posts if p.answered_at is not None]
        minutes = [_minutes(p.answered_at - p.received_at) for p in answered]
        late = 0
        for post in posts:
            taken = _minutes((post.answered_at or now) - post.received_at)
            if taken > target:
                late += 1
                breaches.append(
                    Breach(
                        post_id=post.id,
                        account_id=account.id,
                        account_label=account.label,
                        author_handle=post.author_handle,
                        excerpt=post.text[:EXCERPT_LENGTH],
                        received_at=post.received_at,
                        answered_at=post.answered_at,
                        minutes=round(taken, 1),
                        target_minutes=target,
                    )
                )
        account_rows.append(
            AccountTimes(
                account_id=account.id,
                label=account.label,
                target_minutes=target,
                received=len(posts),
                answered=len(answered),
                unanswered=len(posts) - len(answered),
                within_target=sum(1 for m in minutes if m <= target),
                breaches=late,
                response=Durations.of(minutes),
            )
        )
    breaches.sort(key=lambda b: (-b.minutes, b.post_id))
    return ResponseTimeReport(
        since=since,
        until=until,
        generated_at=now,
        accounts=account_rows,
        groups=_group_times(session, since, until, account_id),
        breaches=breaches,
    )


def _group_times(session: Session, since: datetime, until: datetime, account_id: int | None) -> list[GroupTimes]:
    query = select(Draft.routes, Draft.state, Draft.submitted_at, Draft.approved_at).where(
        Draft.submitted_at >= since, Draft.submitted_at < until
    )
    if account_id is not None:
        query = query.where(Draft.account_id == account_id)
    waits: dict[str, list[float]] = {}
    submitted: dict[str, int] = {}
    pending: dict[str, int] = {}
    for routes, state, submitted_at, approved_at in session.execute(query):
        for group in routes or ():
            submitted[group] = submitted.get(group, 0) + 1
            waits.setdefault(group, [])
            if state == "pending":
                pending[group] = pending.get(group, 0) + 1
            elif approved_at is not None:
                waits[group].append(_minutes(approved_at - submitted_at))
    return [
        GroupTimes(
            group=group,
            submitted=submitted[group],
            approved=len(waits[group]),
            waiting_now=pending.get(group, 0),
            wait=Durations.of(waits[group]),
        )
        for group in sorted(submitted)
    ]
