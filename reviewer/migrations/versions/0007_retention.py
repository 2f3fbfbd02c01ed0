"""Retention: when a draft version's text, or an inbound post's text, was removed under the retention policy.

`reviewer retention purge` replaces a purged text with a marker ("[text
removed on DATE under the retention policy (sha256 ...)]") and sets
`text_purged_at`; hashes, ids, states, times and decisions stay. Both
columns are nullable (NULL: the text is still there), so the upgrade
touches no rows and runs the same on SQLite and PostgreSQL.

Revision ID: 0007_retention
Revises: 0006_audit_refs
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_retention"
down_revision = "0006_audit_refs"
branch_labels = None
depends_on = None

TABLES = ("draft_versions", "inbound_posts")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("text_purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch copy of
    # draft_versions would drop and recreate a table that approvals cascade from.
    # Purged texts stay purged: the markers are ordinary text once the column is gone.
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN text_purged_at")
