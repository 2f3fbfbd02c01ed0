"""Drafting: inbound posts, drafts (optimistically locked) and draft versions.

Revision ID: 0003_drafting
Revises: 0002_audit
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_drafting"
down_revision = "0002_audit"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("author_handle", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_accounts.id"], name="fk_inbound_posts_account_id_org_accounts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name="fk_inbound_posts_created_by_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_posts"),
        sa.UniqueConstraint("account_id", "external_id", name="uq_inbound_posts_account_id_external_id"),
    )
    op.create_index(
        "ix_inbound_posts_account_id_answered_at_received_at",
        "inbound_posts",
        ["account_id", "answered_at", "received_at"],
    )
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("inbound_post_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("submitted_at", _utc(), nullable=True),
        sa.Column("approved_at", _utc(), nullable=True),
        sa.Column("posted_at", _utc(), nullable=True),
        sa.Column("posted_url", sa.String(2000), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'pending', 'approved', 'rejected', 'returned', 'posted')", name="ck_drafts_state_known"
        ),
        sa.CheckConstraint("decision IN ('pass', 'review', 'block')", name="ck_drafts_decision_known"),
        sa.CheckConstraint("approvals_required >= 1", name="ck_drafts_approvals_required_positive"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_accounts.id"], name="fk_drafts_account_id_org_accounts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["inbound_post_id"],
            ["inbound_posts.id"],
            name="fk_drafts_inbound_post_id_inbound_posts",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name="fk_drafts_author_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_drafts"),
    )
    op.create_index("ix_drafts_account_id", "drafts", ["account_id"])
    op.create_index("ix_drafts_inbound_post_id", "drafts", ["inbound_post_id"])
    op.create_index("ix_drafts_author_id", "drafts", ["author_id"])
    op.create_index("ix_drafts_state_submitted_at", "drafts", ["state", "submitted_at"])
    op.create_table(
        "draft_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("policy_sha256", sa.String(64), nullable=False),
        sa.Column("scorer_version", sa.String(200), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("decision IN ('pass', 'review', 'block')", name="ck_draft_versions_decision_known"),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name="fk_draft_versions_draft_id_drafts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name="fk_draft_versions_author_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_draft_versions"),
        sa.UniqueConstraint("draft_id", "number", name="uq_draft_versions_draft_id_number"),
    )


def downgrade() -> None:
    op.drop_table("draft_versions")
    for name in ("ix_drafts_state_submitted_at", "ix_drafts_author_id", "ix_drafts_inbound_post_id", "ix_drafts_account_id"):
        op.drop_index(name, "drafts")
    op.drop_table("drafts")
    op.drop_index("ix_inbound_posts_account_id_answered_at_received_at", "inbound_posts")
    op.drop_table("inbound_posts")
