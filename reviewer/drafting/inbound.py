"""Inbound public posts: validation, the form/API service, and the inbox (oldest first, with waiting time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from reviewer import moments
from reviewer.accounts.principal import AnyUser
from reviewer.audit import record
from reviewer.orm import utcnow
from reviewer.drafting.common import (
    MAX_EXTERNAL_ID,
    MAX_HANDLE,
    clean_url,
    conflicts_as_errors,
    require_drafter,
)
from reviewer.drafting.models import Draft, InboundPost
from reviewer.orgs.models import AnyAccount, OrgAccount
from reviewer.pagination import Page
from reviewer.review.workflow import MAX_TEXT, InvalidInput, require_text

# A post "received" a little in the future is clock skew; more than this is a mistake.
FUTURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class CleanInbound:
    author_handle: str
    text: str
    received_at: datetime
    url: str | None
    external_id: str | None


def clean_inbound(
    *,
    author_handle: Any,
    text: Any,
    received_at: Any,
    url: Any = None,
    external_id: Any = None,
    now: datetime | None = None,
) -> CleanInbound:
    """Validate one inbound post's fields; InvalidInput names the first bad field."""
    handle = require_text("author_handle", author_handle, MAX_HANDLE)
    body = require_text("text", text, MAX_TEXT, strip=False)
    when = parse_received_at(received_at)
    if when > (now or utcnow()) + FUTURE_SKEW:
        raise InvalidInput("received_at", f"{when.isoformat()} is in the future")
    link = clean_url("url", url)
    ext = None
    if external_id not in (None, ""):
        ext = require_text("external_id", external_id if isinstance(external_id, str) else str(external_id), MAX_EXTERNAL_ID)
    return CleanInbound(handle, body, when, link, ext)


def parse_received_at(value: Any) -> datetime:
    """A timezone-aware datetime, or an ISO 8601 string with a timezone (or Z), as UTC."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidInput("received_at", "required: an ISO 8601 date and time with a timezone, e.g. 2026-11-23T09:30:00Z")
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            raise InvalidInput(
                "received_at", f"{text!r} is not an ISO 8601 date and time (e.g. 2026-11-23T09:30:00Z)"
            ) from None
    if not isinstance(value, datetime):
        raise InvalidInput("received_at", f"expected a date and time, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise InvalidInput("received_at", "give a timezone (e.g. 2026-11-23T09:30:00Z or +13:00)")
    try:
        return moments.as_utc(value)
    except moments.OutOfRange as error:
        raise InvalidInput("received_at", str(error)) from None




def create_inbound(
    session: Session,
    actor: AnyUser | None,
    account: AnyAccount,
    *,
    author_handle: str,
    text: str,
    received_at: datetime | str,
    url: str | None = None,
    external_id: str | None = None,
) -> InboundPost:
    """Store one public post to `account` (actor None: the system). A known external_id is refused."""
    require_drafter(account, actor)
    clean = clean_inbound(author_handle=author_handle, text=text, received_at=received_at, url=url, external_id=external_id)
    if clean.external_id is not None:
        existing = session.scalar(
            select(InboundPost.id).where(
                InboundPost.account_id == account.id, InboundPost.external_id == clean.external_id
            )
        )
        if existing is not None:
            raise InvalidInput("external_id", f"{clean.external_id!r} is already stored for this account (post {existing})")
    post = add_inbound(session, actor, account, clean)
    with conflicts_as_errors(session):
        session.flush()
    record(session, actor, "inbound.created", f"inbound:{post.id}", {"account_id": account.id, "external_id": post.external_id})
    return post


def add_inbound(session: Session, actor: AnyUser | None, account: AnyAccount, clean: CleanInbound) -> InboundPost:
    """Add a validated post to the session (no flush, no audit: callers do both)."""
    post = InboundPost(
        account_id=account.id,
        platform=account.platform,
        author_handle=clean.author_handle,
        text=clean.text,
        url=clean.url,
        external_id=clean.external_id,
        received_at=clean.received_at,
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(post)
    return post


@dataclass(frozen=True)
class InboxItem:
    """One post in an account's inbox and how long it has waited (or waited, once answered)."""

    post: InboundPost
    waiting: timedelta
    answered: bool
    draft_id: int | None  # its latest reply, if any
    draft_state: str | None

    @property
    def waiting_minutes(self) -> int:
        return int(self.waiting.total_seconds() // 60)

    def overdue(self, target_minutes: int) -> bool:
        return self.waiting > timedelta(minutes=target_minutes)


@dataclass(frozen=True)
class InboxSummary:
    """An account's posts at a glance: how many wait for a reply and where each reply is, the longest
    wait, how many are past the target, and how many were answered in the last `ANSWERED_WINDOW`."""

    unanswered: int
    oldest: timedelta | None
    overdue: int
    no_draft: int = 0  # unanswered, no reply sent: none written, one saved but not submitted, or one rejected
    in_review: int = 0  # unanswered, its latest reply waiting for approval
    returned: int = 0  # unanswered, its latest reply returned for changes
    answered: int = 0  # answered within ANSWERED_WINDOW

    def urgency(self) -> tuple:
        """Sort key, most urgent first: overdue posts, then the longest wait, then the most waiting."""
        return (-self.overdue, -(self.oldest or timedelta(0)).total_seconds(), -self.unanswered)


#: The inbox counts the posts answered in this window ("answered, last 7 days").
ANSWERED_WINDOW = timedelta(days=7)


def inbox(
    session: Session,
    account: OrgAccount,
    *,
    include_answered: bool = False,
    now: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[InboxItem]:
    """The account's posts, unanswered ones only unless asked, oldest first (two queries; at most `limit`)."""
    now = now or utcnow()
    query = select(InboundPost).where(InboundPost.account_id == account.id)
    if not include_answered:
        query = query.where(InboundPost.answered_at.is_(None))
    query = query.order_by(InboundPost.received_at, InboundPost.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    posts = list(session.scalars(query))
    latest: dict[int, tuple[int, str]] = {}
    if posts:
        rows = session.execute(
            select(Draft.inbound_post_id, Draft.id, Draft.state)
            .where(Draft.inbound_post_id.in_([p.id for p in posts]))
            .order_by(Draft.id)
        )
        for post_id, draft_id, state in rows:
            latest[post_id] = (draft_id, state)
    items = []
    for post in posts:
        end = post.answered_at or now
        draft_id, state = latest.get(post.id, (None, None))
        items.append(InboxItem(post, max(end - post.received_at, timedelta(0)), post.answered_at is not None, draft_id, state))
    return items


def inbox_page(
    session: Session, account: OrgAccount, *, include_answered: bool = False, offset: int = 0, limit: int,
    now: datetime | None = None,
) -> Page[InboxItem]:
    """`limit` posts of the inbox from `offset` (as `inbox`), and how many it holds in all."""
    count = select(func.count()).select_from(InboundPost).where(InboundPost.account_id == account.id)
    if not include_answered:
        count = count.where(InboundPost.answered_at.is_(None))
    items = inbox(session, account, include_answered=include_answered, now=now, limit=limit, offset=offset)
    return Page(items, session.scalar(count) or 0, offset, limit)


def inbox_summary(session: Session, account: AnyAccount, *, now: datetime | None = None) -> InboxSummary:
    """The account's posts counted in the database (two queries, no rows loaded): unanswered ones split
    by the state of their latest reply, and those answered in the last ANSWERED_WINDOW."""
    now = now or utcnow()
    late = InboundPost.received_at < now - timedelta(minutes=account.response_target_minutes)
    latest = (
        select(Draft.inbound_post_id, func.max(Draft.id).label("draft_id"))
        .where(Draft.account_id == account.id, Draft.inbound_post_id.is_not(None))
        .group_by(Draft.inbound_post_id)
        .subquery()
    )
    state = select(Draft.state).where(Draft.id == latest.c.draft_id).scalar_subquery()

    def counted(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    unanswered, oldest, overdue, in_review, returned = session.execute(
        select(func.count(), func.min(InboundPost.received_at), counted(late), counted(state == "pending"), counted(state == "returned"))
        .select_from(InboundPost)
        .outerjoin(latest, latest.c.inbound_post_id == InboundPost.id)
        .where(InboundPost.account_id == account.id, InboundPost.answered_at.is_(None))
    ).one()
    answered = session.scalar(
        select(func.count()).select_from(InboundPost)
        .where(InboundPost.account_id == account.id, InboundPost.answered_at >= now - ANSWERED_WINDOW)
    )
    in_review, returned = int(in_review), int(returned)
    return InboxSummary(
        unanswered, max(now - oldest, timedelta(0)) if oldest is not None else None, int(overdue),
        no_draft=unanswered - in_review - returned, in_review=in_review, returned=returned, answered=int(answered or 0),
    )


def mark_answered(post: InboundPost | None, when: datetime) -> None:
    """Record when a post got its reply (the first approval or posting wins)."""
    if post is not None and post.answered_at is None:
        post.answered_at = when
