"""Approvals (bound to the exact approved text) and the history of review actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewer.accounts.models import User
from reviewer.orm import Base, UTCDateTime, utcnow
from reviewer.drafting.models import Draft, DraftVersion

REVIEW_ACTIONS = ("submit", "approve", "reject", "return", "edit", "post")


class Approval(Base):
    """One approver's approval of one version, for one routed group.

    It names the sha256 of the text approved: when the text changes, the
    approval no longer counts.
    """

    __tablename__ = "approvals"
    __table_args__ = (
        # One approval per person per version (the database enforces it under concurrency too).
        UniqueConstraint("version_id", "approver_id", name="uq_approvals_version_id_approver_id"),
        Index("ix_approvals_draft_id", "draft_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))
    text_sha256: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column(String(40))
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[Draft] = relationship()
    version: Mapped[DraftVersion] = relationship()
    approver: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Approval draft {self.draft_id} v{self.version_id} {self.group} by {self.approver_id}>"


class ReviewAction(Base):
    """One step in a draft's history: submitted, approved, rejected, returned, edited, posted."""

    __tablename__ = "review_actions"
    __table_args__ = (
        CheckConstraint(
            "action IN ('submit', 'approve', 'reject', 'return', 'edit', 'post')", name="action_known"
        ),
        Index("ix_review_actions_draft_id", "draft_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("draft_versions.id", ondelete="SET NULL"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draft: Mapped[Draft] = relationship()
    version: Mapped[DraftVersion | None] = relationship()
    actor: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ReviewAction draft {self.draft_id} {self.action} by {self.actor_id}>"
