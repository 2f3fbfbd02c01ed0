"""Single sign-on: which OpenID provider account (issuer and subject) a user is.

A user provisioned at their first OpenID Connect sign-in is found again by
the pair (issuer, `sub` claim), never by username: a username claim can be
reassigned at the provider, the subject cannot. Both columns are nullable
(NULL: a local account), so the upgrade touches no rows; the unique index
lets many local accounts hold NULLs on SQLite and PostgreSQL alike.

Revision ID: 0008_connect_oidc_identity
Revises: 0007_retention
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_connect_oidc_identity"
down_revision = "0007_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("oidc_issuer", sa.String(255), nullable=True))
    op.add_column("users", sa.Column("oidc_subject", sa.String(255), nullable=True))
    op.create_index("ix_users_oidc_identity", "users", ["oidc_issuer", "oidc_subject"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_users_oidc_identity", table_name="users")
    op.execute("ALTER TABLE users DROP COLUMN oidc_subject")
    op.execute("ALTER TABLE users DROP COLUMN oidc_issuer")
