"""Accounts: users, roles, approver groups (seeded), login attempts, organisation accounts.

Revision ID: 0001_accounts
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0001_accounts"
down_revision = None
branch_labels = None
depends_on = None

SEED_GROUPS = {
    "comms": "Communications: tone, brand and anything published on the agency's behalf.",
    "legal": "Legal: legal claims, liability, privacy and commitments the agency makes.",
    "safeguarding": "Safeguarding: people at risk, self-harm, abuse and personal details.",
    "press": "Press office: media enquiries and statements on the record.",
    "political": "Political neutrality: elections, candidates and policy debate.",
}


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("session_token", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("last_login_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.CheckConstraint("role IN ('staff', 'approver', 'auditor', 'admin')", name="ck_user_roles_role_known"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_roles_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role", name="pk_user_roles"),
    )
    groups = op.create_table(
        "approver_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_approver_groups"),
        sa.UniqueConstraint("name", name="uq_approver_groups_name"),
    )
    op.create_table(
        "user_groups",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_groups_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["group_id"], ["approver_groups.id"], name="fk_user_groups_group_id_approver_groups", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "group_id", name="pk_user_groups"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(256), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.CheckConstraint("outcome IN ('success', 'failure', 'throttled')", name="ck_login_attempts_outcome_known"),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempts"),
    )
    op.create_index("ix_login_attempts_username", "login_attempts", ["username"])
    op.create_index("ix_login_attempts_ip", "login_attempts", ["ip"])
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"])
    op.create_table(
        "org_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("handle", sa.String(100), nullable=False),
        sa.Column("policy_file", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "platform IN ('x', 'facebook', 'instagram', 'linkedin')", name="ck_org_accounts_platform_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_org_accounts"),
        sa.UniqueConstraint("platform", "handle", name="uq_org_accounts_platform_handle"),
    )
    op.create_table(
        "org_account_groups",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_accounts.id"], name="fk_org_account_groups_account_id_org_accounts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["approver_groups.id"],
            name="fk_org_account_groups_group_id_approver_groups",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "group_id", name="pk_org_account_groups"),
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(groups, [{"name": n, "description": d, "created_at": now} for n, d in SEED_GROUPS.items()])


def downgrade() -> None:
    op.drop_table("org_account_groups")
    op.drop_table("org_accounts")
    op.drop_index("ix_login_attempts_at", "login_attempts")
    op.drop_index("ix_login_attempts_ip", "login_attempts")
    op.drop_index("ix_login_attempts_username", "login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("user_groups")
    op.drop_table("approver_groups")
    op.drop_table("user_roles")
    op.drop_table("users")
