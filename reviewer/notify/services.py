"""What the notification pages read and change: a person's own notifications and choices, and the
delivery state admins watch. `(session, actor, ...)`, flush never commit, changes audited."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from reviewer.audit import record
from reviewer.orm import utcnow
from reviewer.notify.events import EVENTS
from reviewer.notify.models import MODES, Notification, NotificationPreference
from reviewer.notify.outbox import WRITTEN_KEY

PAGE_SIZE = 100


class PreferenceError(ValueError):
    """A choice that cannot be saved; `field` names the form field (the event)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Item:
    """One line on a person's notifications page."""

    title: str
    lines: list[str]
    path: str
    unread: bool
    at: datetime


@dataclass(frozen=True)
class DeliveryRow:
    """One outgoing notification as the admin's delivery page shows it (never the payload's lines)."""

    id: int
    event: str
    channel: str
    address: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class DeliveryOverview:
    counts: dict[str, dict[str, int]]  # channel -> status -> rows
    failing: list[DeliveryRow]  # failed, or pending with at least one failed try: newest first
    recent: list[DeliveryRow]


def my_notifications(session: Session, user_id: int, limit: int = PAGE_SIZE) -> list[Item]:
    query = (select(Notification).where(Notification.recipient_id == user_id, Notification.channel == "inapp")
             .order_by(Notification.id.desc()).limit(limit))
    return [Item(row.payload["title"], list(row.payload.get("lines") or []), row.payload.get("path") or "/",
                 row.status == "unread", row.created_at) for row in session.scalars(query)]


def unread_count(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(Notification).where(
        Notification.recipient_id == user_id, Notification.channel == "inapp", Notification.status == "unread")
    return int(session.scalar(query) or 0)


def mark_all_read(session: Session, actor: Any) -> int:
    """Mark the actor's unread notifications read; returns how many (not audited: it changes nothing shared)."""
    done = session.execute(
        update(Notification).where(Notification.recipient_id == actor.id, Notification.channel == "inapp",
                                   Notification.status == "unread").values(status="read")
    ).rowcount
    session.flush()
    return int(done or 0)


def preferences_of(session: Session, user_id: int) -> dict[str, str]:
    """Each event's mode for the person ("email" unless they chose otherwise)."""
    chosen = dict(session.execute(select(NotificationPreference.event, NotificationPreference.mode)
                                  .where(NotificationPreference.user_id == user_id)).all())
    return {event: chosen.get(event, "email") for event in EVENTS}


def set_preferences(session: Session, actor: Any, choices: dict[str, str]) -> dict[str, str]:
    """Save the actor's choices (event -> email | digest | off); audited with what changed."""
    for event, mode in choices.items():
        if event not in EVENTS:
            raise PreferenceError(f"{event!r} is not an event you can choose (known: {', '.join(EVENTS)}).", event)
        if mode not in MODES:
            raise PreferenceError(f"{mode!r} is not one of {', '.join(MODES)}.", event)
    before = preferences_of(session, actor.id)
    changed = {event: mode for event, mode in choices.items() if before[event] != mode}
    for event, mode in changed.items():
        row = session.get(NotificationPreference, (actor.id, event))
        if row is None:
            session.add(NotificationPreference(user_id=actor.id, event=event, mode=mode))
        else:
            row.mode = mode
    session.flush()
    if changed:
        record(session, actor, "notification.preferences_changed", f"user:{actor.id}", {"changed": changed})
    return changed


def delivery_overview(session: Session, limit: int = PAGE_SIZE) -> DeliveryOverview:
    """Counts by channel and status, what is failing, and the latest rows (in-app rows are not delivered)."""
    counts: dict[str, Counter] = {}
    query = (select(Notification.channel, Notification.status, func.count()).where(Notification.channel != "inapp")
             .group_by(Notification.channel, Notification.status))
    for channel, status, count in session.execute(query):
        counts.setdefault(channel, Counter())[status] = count
    outgoing = select(Notification).where(Notification.channel != "inapp")
    failing = session.scalars(outgoing.where(
        (Notification.status == "failed") | ((Notification.status == "pending") & (Notification.attempts > 0))
    ).order_by(Notification.id.desc()).limit(limit))
    recent = session.scalars(outgoing.order_by(Notification.id.desc()).limit(limit))
    return DeliveryOverview({c: dict(v) for c, v in sorted(counts.items())},
                            [_delivery_row(r) for r in failing], [_delivery_row(r) for r in recent])


def retry_failed(session: Session, actor: Any) -> int:
    """Give every failed notification a fresh set of tries, due now; audited with how many."""
    ids = list(session.scalars(select(Notification.id).where(Notification.status == "failed")))
    if ids:
        session.execute(update(Notification).where(Notification.id.in_(ids))
                        .values(status="pending", attempts=0, next_attempt_at=utcnow(), claimed_until=None))
        session.flush()
        record(session, actor, "notification.retried", None, {"count": len(ids), "ids": ids[:200]})
        session.info[WRITTEN_KEY] = True  # the commit queues a delivery run
    return len(ids)


def _delivery_row(row: Notification) -> DeliveryRow:
    return DeliveryRow(row.id, row.event, row.channel, row.address, row.status, row.attempts, row.last_error,
                       row.next_attempt_at, row.created_at, row.sent_at)
