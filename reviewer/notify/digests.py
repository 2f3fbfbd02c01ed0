"""Daily digests: the notifications people chose to get once a day, gathered into one email each.

Once per UTC day, from NOTIFY_DIGEST_HOUR on, each person with waiting
`digest` rows gets one email listing them; the rows become `digested`.
A `ReminderStep` ("user:ID", "digest:DAY") makes it once a day, however
often the tick runs; rows written later that day wait for the next one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime

from flask import Flask
from sqlalchemy import select

from reviewer.db import app_session

from reviewer.orm import utcnow
from reviewer.notify.events import DIGEST, digest_payload
from reviewer.notify.models import Notification, ReminderStep
from reviewer.notify.outbox import WRITTEN_KEY


def send_digests(app: Flask, now: datetime | None = None) -> int:
    """Write today's digest emails (delivered like any notification); returns how many."""
    now = now or utcnow()
    if now.hour < int(app.config.get("NOTIFY_DIGEST_HOUR") or 0):
        return 0
    day = now.date().isoformat()
    written = 0
    with app_session(app) as session:
        waiting: dict[int, list[Notification]] = defaultdict(list)
        for row in session.scalars(select(Notification).where(Notification.status == "digest").order_by(Notification.id)):
            if row.recipient_id is not None:
                waiting[row.recipient_id].append(row)
        for user_id, rows in sorted(waiting.items()):
            subject, step = f"user:{user_id}", f"{DIGEST}:{day}"
            if session.scalar(select(ReminderStep.id).where(ReminderStep.subject == subject, ReminderStep.step == step)):
                continue
            session.add(ReminderStep(subject=subject, step=step, detail={"count": len(rows)}, at=now))
            session.add(Notification(
                key=hashlib.sha256(f"digest:{user_id}:{day}".encode()).hexdigest()[:48], event=DIGEST, channel="email",
                recipient_id=user_id, address=rows[-1].address, subject=subject,
                payload=digest_payload([row.payload for row in rows]), status="pending", attempts=0, next_attempt_at=now,
            ))
            for row in rows:
                row.status = "digested"
            written += 1
        if written:
            session.info[WRITTEN_KEY] = True
        session.commit()
    return written
