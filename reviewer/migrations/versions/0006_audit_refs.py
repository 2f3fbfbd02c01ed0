"""Audit refs: searchable references of each event (account, draft, decision, rule), and page-order indexes.

Events are append-only, so nothing is added to `audit_events` rows: the
references live in the insert-only `audit_refs` table, which `record()`
fills from now on. This upgrade backfills it for the events already there,
deriving references exactly as `record()` does (reviewer.audit.refs).

Revision ID: 0006_audit_refs
Revises: 0005_api_tokens
Create Date: 2026-11-23
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from reviewer.audit import refs as references

revision = "0006_audit_refs"
down_revision = "0005_api_tokens"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    refs = op.create_table(
        "audit_refs",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(references.MAX_NAME_LENGTH), nullable=False),
        sa.Column("value", sa.String(references.MAX_VALUE_LENGTH), nullable=False),
        sa.PrimaryKeyConstraint("seq", "name", "value", name="pk_audit_refs"),
    )
    op.create_index("ix_audit_refs_name_value_seq", "audit_refs", ["name", "value", "seq"])
    op.create_index("ix_audit_events_action_seq", "audit_events", ["action", "seq"])
    op.create_index("ix_audit_events_actor_name_seq", "audit_events", ["actor_name", "seq"])
    _backfill(op.get_bind(), refs)


def _backfill(connection: sa.Connection, refs: sa.Table) -> None:
    events = sa.table("audit_events", sa.column("seq"), sa.column("subject"), sa.column("data"))
    accounts: dict[tuple[str, str], str | None] = {}  # the account of the first event about each draft / post
    last = 0
    while True:
        rows = connection.execute(
            sa.select(events.c.seq, events.c.subject, events.c.data)
            .where(events.c.seq > last)
            .order_by(events.c.seq)
            .limit(BATCH)
        ).all()
        batch = []
        for seq, subject, data in rows:
            found = references.derive_replaying(subject, json.loads(data) if data else None, accounts)
            batch.extend({"seq": seq, "name": name, "value": value} for name, value in found)
        if batch:
            connection.execute(refs.insert(), batch)
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_audit_events_actor_name_seq", table_name="audit_events")
    op.drop_index("ix_audit_events_action_seq", table_name="audit_events")
    op.drop_index("ix_audit_refs_name_value_seq", table_name="audit_refs")
    op.drop_table("audit_refs")
