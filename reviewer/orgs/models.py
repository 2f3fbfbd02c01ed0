"""An organisation account: one social account the agency speaks through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewer.accounts.models import ApproverGroup
from reviewer.orm import Base, UTCDateTime, utcnow
from reviewer.vocabulary import PLATFORM_LABELS, PLATFORMS, sql_in


# How soon a post should get its approved reply, in whole minutes: one day unless an admin says otherwise.
DEFAULT_RESPONSE_TARGET_MINUTES = 24 * 60
MIN_RESPONSE_TARGET_MINUTES = 5
MAX_RESPONSE_TARGET_MINUTES = 30 * 24 * 60
RESPONSE_TARGET_RANGE = f"from {MIN_RESPONSE_TARGET_MINUTES} minutes to {MAX_RESPONSE_TARGET_MINUTES} (30 days)"

# Which teams (approver groups) may draft for an account; none listed: any staff.
org_account_groups = Table(
    "org_account_groups",
    Base.metadata,
    Column("account_id", ForeignKey("org_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("approver_groups.id", ondelete="CASCADE"), primary_key=True),
)


class OrgAccount(Base):
    """E.g. "@HarbourCityNZ on X", with the policy file that applies to it."""

    __tablename__ = "org_accounts"
    __table_args__ = (
        CheckConstraint(sql_in("platform", PLATFORMS), name="platform_known"),
        UniqueConstraint("platform", "handle", name="uq_org_accounts_platform_handle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(100))
    # A file name inside the policy folder (policies/), e.g. "city-council.yaml".
    policy_file: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How soon a public post to this account should get its approved reply (1440: one day).
    response_target_minutes: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_RESPONSE_TARGET_MINUTES, server_default=str(DEFAULT_RESPONSE_TARGET_MINUTES)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    drafting_groups: Mapped[list[ApproverGroup]] = relationship(
        secondary=org_account_groups, order_by="ApproverGroup.name", lazy="selectin"
    )

    @property
    def platform_label(self) -> str:
        return PLATFORM_LABELS.get(self.platform, self.platform)

    @property
    def label(self) -> str:
        return account_label(self.name, self.handle, self.platform)

    @property
    def drafting_group_ids(self) -> frozenset[int]:
        return frozenset(group.id for group in self.drafting_groups)

    def __repr__(self) -> str:
        return f"<OrgAccount {self.id} {self.platform}:{self.handle}>"


def account_label(name: str, handle: str, platform: str) -> str:
    """How messages name an account: "Harbour City Council (@HarbourCityNZ on X)"."""
    return f"{name} ({handle} on {PLATFORM_LABELS.get(platform, platform)})"


@dataclass(frozen=True)
class AccountFacts:
    """What checking a text and drafting a reply read from an account, loaded as plain rows.

    The API loads one on most requests; building the `OrgAccount` with its
    teams through the ORM cost several times the query itself. Read fresh
    on each request, like the object.
    """

    id: int
    name: str
    platform: str
    handle: str
    policy_file: str
    active: bool
    drafting_group_ids: frozenset[int]

    @property
    def label(self) -> str:
        return account_label(self.name, self.handle, self.platform)


# The account a check or a new draft is for: the loaded object (the site) or its facts (the API).
AnyAccount: TypeAlias = "OrgAccount | AccountFacts"
