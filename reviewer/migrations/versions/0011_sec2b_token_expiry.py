"""API tokens expire: `api_tokens.expires_at`; tokens made before this get 90 days from the upgrade.

Revision ID: 0011_sec2b_token_expiry
Revises: 0009_notify_notifications
Create Date: 2026-12-05
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0011_sec2b_token_expiry"
down_revision = "0009_notify_notifications"
branch_labels = None
depends_on = None

# The default API_TOKEN_LIFETIME_DAYS: a token in use today keeps working that long, then needs renewing.
EXISTING_TOKENS_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=datetime.now(timezone.utc) + EXISTING_TOKENS_LIFETIME))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
