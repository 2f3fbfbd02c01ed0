"""Notifications: the outbox, per-person preferences, and reminder/escalation steps taken.

Three new tables, no change to existing ones, so the upgrade touches no rows.

Revision ID: 0009_notify_notifications
Revises: 0010_secauth_head_mac
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_notify_notifications"
down_revision = "0010_secauth_head_mac"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.ForeignKeyConstraint(["recipient_id"], ["users.id"], name="fk_notifications_recipient_id_users", ondelete="SET NULL"),
        sa.UniqueConstraint("key", name="uq_notifications_key"),
        sa.CheckConstraint("channel IN ('inapp', 'email', 'teams', 'slack', 'json')", name="ck_notifications_channel_known"),
        sa.CheckConstraint(
            "status IN ('pending', 'digest', 'sent', 'digested', 'failed', 'unread', 'read')", name="ck_notifications_status_known"
        ),
    )
    op.create_index("ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"])
    op.create_index(
        "ix_notifications_recipient_id_channel_status", "notifications", ["recipient_id", "channel", "status"]
    )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "event", name="pk_notification_preferences"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notification_preferences_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint("mode IN ('email', 'digest', 'off')", name="ck_notification_preferences_mode_known"),
    )
    op.create_table(
        "reminder_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("step", sa.String(80), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminder_steps"),
        sa.UniqueConstraint("subject", "step", name="uq_reminder_steps_subject_step"),
    )


def downgrade() -> None:
    op.drop_table("reminder_steps")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notifications_recipient_id_channel_status", table_name="notifications")
    op.drop_index("ix_notifications_status_next_attempt_at", table_name="notifications")
    op.drop_table("notifications")
