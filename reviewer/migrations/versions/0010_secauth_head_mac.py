"""Audit head: its time and HMAC (`at`, `mac`), and triggers that let it move only forward onto the last event.

The head row is signed by `record()` on every append (chain.compute_head_mac).
This upgrade signs the existing head when `reviewer db upgrade` hands over
the audit key (`config.attributes["audit_key"]`); run through plain Alembic
it cannot, so the head stays unsigned (and `reviewer audit verify` says so)
until the next event is recorded.

Revision ID: 0010_secauth_head_mac
Revises: 0008_connect_oidc_identity (written on 0007_retention; re-chained after merging main)
Create Date: 2026-12-05
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import context, op

from reviewer.audit import triggers
from reviewer.audit.chain import compute_head_mac
from reviewer.orm import UTCDateTime

revision = "0010_secauth_head_mac"
down_revision = "0008_connect_oidc_identity"
branch_labels = None
depends_on = None

HEAD = sa.table(
    "audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"), sa.column("at", UTCDateTime()), sa.column("mac")
)
EVENTS = sa.table("audit_events", sa.column("seq"), sa.column("occurred_at", UTCDateTime()))


def upgrade() -> None:
    op.add_column("audit_head", sa.Column("at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("audit_head", sa.Column("mac", sa.String(64), nullable=True))
    connection = op.get_bind()
    key = context.config.attributes.get("audit_key")
    if key is not None:
        _sign_head(connection, key)
    triggers.install_head(connection)


def _sign_head(connection: sa.Connection, key: bytes) -> None:
    head = connection.execute(sa.select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).first()
    if head is None:
        return
    at = connection.execute(sa.select(EVENTS.c.occurred_at).where(EVENTS.c.seq == head.seq)).scalar()
    if at is None:
        if head.seq != 0:
            return  # the head names no event: leave it unsigned, for `verify` to report
        at = datetime.now(timezone.utc)
    mac = compute_head_mac(key, head.seq, head.hash, at)
    connection.execute(sa.update(HEAD).where(HEAD.c.id == 1).values(at=at, mac=mac))


def downgrade() -> None:
    connection = op.get_bind()
    for statement in triggers.head_drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    for column in ("mac", "at"):
        op.execute(f"ALTER TABLE audit_head DROP COLUMN {column}")
