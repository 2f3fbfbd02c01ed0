"""Delivering the outbox: claim due rows, send each outside any transaction, record the outcome.

At least once: a row is marked sent only after its receiver accepted it; a
worker that dies between the two leaves a claim that runs out after
`CLAIM_SECONDS`, and the next run sends it again, with the same idempotency
key. A failure is logged, kept on the row (`last_error`, `attempts`) and
retried after NOTIFY_RETRY_SECONDS * 2**(attempts-1) (at most an hour);
after NOTIFY_MAX_ATTEMPTS the row is `failed`. The first failure and the
giving up are audited (`notification.failed`, `notification.abandoned`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, or_, select, update

from reviewer.audit import record
from reviewer.db import app_session
from reviewer.orm import utcnow
from reviewer.notify.channels import DeliveryError, Outgoing, Senders
from reviewer.notify.models import Notification

CLAIM_SECONDS = 120
MAX_BACKOFF_SECONDS = 3600
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryRun:
    """What one run did, and how long until the next row falls due (None: nothing waits)."""

    sent: int
    failed: int
    next_due_in: float | None


def backoff_seconds(attempts: int, base: float) -> float:
    """Seconds to wait after the `attempts`-th failed try (exponential, capped at an hour)."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def deliver_due(app: Flask, *, limit: int = 200) -> DeliveryRun:
    """Send every pending notification that is due, in batches of `limit`, until none is due (rows committed
    during the run are sent by it too); emails share one SMTP connection."""
    sent = failed = 0
    tried: set[int] = set()  # a row that failed is not due again in this run (its retry waits)
    with Senders(app.config) as senders:
        while due := [i for i in _due_ids(app, limit + len(tried)) if i not in tried][:limit]:
            for notification_id in due:
                tried.add(notification_id)
                outgoing = _claim(app, notification_id)
                if outgoing is None:  # another worker has it
                    continue
                try:
                    senders.send(outgoing)
                except DeliveryError as error:
                    failed += 1
                    _failed(app, notification_id, str(error))
                except Exception as error:  # a bug in one message must not stop the others
                    log.exception("notification %s: unexpected error", notification_id)
                    failed += 1
                    _failed(app, notification_id, f"{type(error).__name__}: {error}")
                else:
                    sent += 1
                    _sent(app, notification_id)
    return DeliveryRun(sent, failed, next_due_in(app))


def purge_old(app: Flask, now: datetime | None = None) -> int:
    """Delete notifications older than NOTIFY_KEEP_DAYS that no longer wait to be sent; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=int(app.config.get("NOTIFY_KEEP_DAYS") or 90))
    with app_session(app) as session:
        done = session.execute(delete(Notification).where(
            Notification.created_at < cutoff, Notification.status.not_in(("pending", "digest")))).rowcount
        session.commit()
    return int(done or 0)


def _due_ids(app: Flask, limit: int) -> list[int]:
    now = utcnow()
    with app_session(app) as session:
        return list(session.scalars(
            select(Notification.id).where(
                Notification.status == "pending", Notification.next_attempt_at <= now,
                or_(Notification.claimed_until.is_(None), Notification.claimed_until < now),
            ).order_by(Notification.id).limit(limit)
        ))


def next_due_in(app: Flask) -> float | None:
    """Seconds until the earliest pending notification falls due (0 when one is due now)."""
    with app_session(app) as session:
        earliest = session.scalar(select(Notification.next_attempt_at).where(Notification.status == "pending")
                                  .order_by(Notification.next_attempt_at).limit(1))
    if earliest is None:
        return None
    return max((earliest - utcnow()).total_seconds(), 0.0)


def _claim(app: Flask, notification_id: int) -> Outgoing | None:
    now = utcnow()
    with app_session(app) as session:
        claimed = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.status == "pending",
                   or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        ).rowcount
        if claimed != 1:
            session.rollback()
            return None
        row = session.get(Notification, notification_id)
        outgoing = Outgoing(row.key, row.event, row.channel, row.address, dict(row.payload), row.created_at.isoformat())
        session.commit()
    return outgoing


def _sent(app: Flask, notification_id: int) -> None:
    with app_session(app) as session:
        row = session.get(Notification, notification_id)
        row.status, row.sent_at, row.claimed_until = "sent", utcnow(), None
        row.attempts += 1
        session.commit()


def _failed(app: Flask, notification_id: int, error: str) -> None:
    log.warning("notification %s not delivered: %s", notification_id, error)
    base = float(app.config.get("NOTIFY_RETRY_SECONDS") or 30)
    most = int(app.config.get("NOTIFY_MAX_ATTEMPTS") or 12)
    with app_session(app) as session:
        row = session.get(Notification, notification_id)
        row.attempts += 1
        row.last_error, row.claimed_until = error[:2000], None
        about = {"event": row.event, "channel": row.channel, "attempts": row.attempts, "error": error[:500]}
        if row.attempts >= most:
            row.status = "failed"
            record(session, None, "notification.abandoned", f"notification:{row.id}", about)
        else:
            row.next_attempt_at = _later(backoff_seconds(row.attempts, base))
            if row.attempts == 1:
                record(session, None, "notification.failed", f"notification:{row.id}", about)
        session.commit()


def _later(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)
