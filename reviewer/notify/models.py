"""The notification outbox, each person's choices, and the reminder steps already taken."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewer.accounts.models import User
from reviewer.orm import Base, UTCDateTime, utcnow

# "inapp": the person's notifications page (reviewer/notify/views.py); the worker never sends those.
CHANNELS = ("inapp", "email", "teams", "slack", "json")
STATUSES = ("pending", "digest", "sent", "digested", "failed", "unread", "read")
MODES = ("email", "digest", "off")


class Notification(Base):
    """One message to one person (in the app, by email) or one group's webhook, written in the transaction
    that caused it.

    `key` is the idempotency key receivers see (Message-ID, `Idempotency-Key`):
    a retry after a lost answer sends the same key again. The worker claims a
    row (`claimed_until`) before sending, so two workers do not send it at once.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("channel IN ('inapp', 'email', 'teams', 'slack', 'json')", name="channel_known"),
        CheckConstraint(
            "status IN ('pending', 'digest', 'sent', 'digested', 'failed', 'unread', 'read')", name="status_known"
        ),
        UniqueConstraint("key", name="uq_notifications_key"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_recipient_id_channel_status", "recipient_id", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(12))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # An email address, or "group/index" naming an entry of NOTIFY_WEBHOOKS (webhook URLs are secrets).
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.event} {self.channel} {self.status}>"


class NotificationPreference(Base):
    """How one person wants one kind of event: by email (the default), in a daily digest, or not at all."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint("mode IN ('email', 'digest', 'off')", name="mode_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(String(40), primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))


class ReminderStep(Base):
    """A reminder or escalation already done for a subject ("draft:12", "inbound:7"): each happens once."""

    __tablename__ = "reminder_steps"
    __table_args__ = (UniqueConstraint("subject", "step", name="uq_reminder_steps_subject_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
