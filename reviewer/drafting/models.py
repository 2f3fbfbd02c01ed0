"""Inbound posts, drafts and draft versions (every edit of a reply is kept)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewer.accounts.models import User
from reviewer.orm import Base, UTCDateTime, utcnow
from reviewer.orgs.models import OrgAccount
from reviewer.vocabulary import DECISIONS, DRAFT_STATES, sql_in



class InboundPost(Base):
    """A public post to one of the agency's accounts that may need a reply."""

    __tablename__ = "inbound_posts"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id", name="uq_inbound_posts_account_id_external_id"),
        Index("ix_inbound_posts_account_id_answered_at_received_at", "account_id", "answered_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_accounts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    author_handle: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    # The platform's own id for the post, so the same post is never imported twice.
    external_id: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When its reply was approved (or posted, if that came first).
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When `text` was replaced by a marker under the retention policy (reviewer.retention).
    text_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[OrgAccount] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<InboundPost {self.id} {self.author_handle}>"


class Draft(Base):
    """A reply (or a standalone post) on its way through review.

    `lock_version` is SQLAlchemy's optimistic lock: every update checks and
    bumps it, so of two people acting at once only one can win.
    """

    __tablename__ = "drafts"
    __table_args__ = (
        CheckConstraint(sql_in("state", DRAFT_STATES), name="state_known"),
        CheckConstraint(sql_in("decision", DECISIONS), name="decision_known"),
        CheckConstraint("approvals_required >= 1", name="approvals_required_positive"),
        Index("ix_drafts_state_submitted_at", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_accounts.id", ondelete="CASCADE"), index=True)
    inbound_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_posts.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    # Approver groups the current version is routed to (sorted names).
    routes: Mapped[list[str]] = mapped_column(JSON, default=list)
    approvals_required: Mapped[int] = mapped_column(Integer, default=1)
    # The decision on the current version.
    decision: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_url: Mapped[str | None] = mapped_column(String(2000))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    account: Mapped[OrgAccount] = relationship(lazy="joined")
    inbound: Mapped[InboundPost | None] = relationship(lazy="joined")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="draft", order_by="DraftVersion.number", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def current_version(self) -> DraftVersion:
        return self.versions[-1]

    @property
    def text(self) -> str:
        return self.current_version.text

    @property
    def verdict(self) -> dict[str, Any]:
        """The full verdict (JSON) of the current version."""
        return self.current_version.verdict

    def __repr__(self) -> str:
        return f"<Draft {self.id} {self.state} v{len(self.versions)}>"


class DraftVersion(Base):
    """One text of a draft, with the verdict it got when it was written."""

    __tablename__ = "draft_versions"
    __table_args__ = (
        UniqueConstraint("draft_id", "number", name="uq_draft_versions_draft_id_number"),
        CheckConstraint(sql_in("decision", DECISIONS), name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    # The staff author, or the approver whose edit this is.
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(10))
    policy_sha256: Mapped[str] = mapped_column(String(64))
    scorer_version: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When `text` (and the excerpts in `verdict`) were removed under the retention policy;
    # `text` then holds a marker naming the date and `text_sha256` (reviewer.retention).
    text_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    draft: Mapped[Draft] = relationship(back_populates="versions")
    author: Mapped[User] = relationship()

    @property
    def rule_ids(self) -> list[str]:
        return [finding["rule"] for finding in self.verdict.get("findings", [])]

    def __repr__(self) -> str:
        return f"<DraftVersion {self.draft_id}.{self.number} {self.decision}>"
