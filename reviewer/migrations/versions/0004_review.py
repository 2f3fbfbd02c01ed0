"""Review: approvals bound to the approved text, review actions, accounts' response targets.

Revision ID: 0004_review
Revises: 0003_drafting
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_review"
down_revision = "0003_drafting"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("group", sa.String(40), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], name="fk_approvals_draft_id_drafts", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["version_id"], ["draft_versions.id"], name="fk_approvals_version_id_draft_versions", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["approver_id"], ["users.id"], name="fk_approvals_approver_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
        sa.UniqueConstraint("version_id", "approver_id", name="uq_approvals_version_id_approver_id"),
    )
    op.create_index("ix_approvals_draft_id", "approvals", ["draft_id"])
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "action IN ('submit', 'approve', 'reject', 'return', 'edit', 'post')", name="ck_review_actions_action_known"
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name="fk_review_actions_draft_id_drafts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["draft_versions.id"],
            name="fk_review_actions_version_id_draft_versions",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_review_actions_actor_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_review_actions"),
    )
    op.create_index("ix_review_actions_draft_id", "review_actions", ["draft_id"])
    with op.batch_alter_table("org_accounts") as batch:
        batch.add_column(sa.Column("response_target_minutes", sa.Integer(), nullable=False, server_default="1440"))


def downgrade() -> None:
    with op.batch_alter_table("org_accounts") as batch:
        batch.drop_column("response_target_minutes")
    op.drop_index("ix_review_actions_draft_id", "review_actions")
    op.drop_table("review_actions")
    op.drop_index("ix_approvals_draft_id", "approvals")
    op.drop_table("approvals")
