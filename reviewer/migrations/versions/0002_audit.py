"""Audit: append-only hash-chained events, the one-row head, UPDATE/DELETE-refusing triggers.

Revision ID: 0002_audit
Revises: 0001_accounts
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reviewer.audit import triggers

revision = "0002_audit"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
        sa.UniqueConstraint("prev_hash", name="uq_audit_events_prev_hash"),
        sa.UniqueConstraint("hash", name="uq_audit_events_hash"),
        sa.CheckConstraint("seq >= 1", name="ck_audit_events_seq_positive"),
    )
    for column in ("occurred_at", "actor_id", "action", "subject"):
        op.create_index(f"ix_audit_events_{column}", "audit_events", [column])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    connection = op.get_bind()
    # Through the driver directly, so no `:name` in the DDL is read as a bind parameter.
    for statement in triggers.create_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def downgrade() -> None:
    connection = op.get_bind()
    for statement in triggers.drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    op.drop_table("audit_head")
    for column in ("subject", "action", "actor_id", "occurred_at"):
        op.drop_index(f"ix_audit_events_{column}", "audit_events")
    op.drop_table("audit_events")
