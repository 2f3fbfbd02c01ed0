"""Users, their roles and approver groups, and login attempts (for throttling)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reviewer.orm import Base, UTCDateTime, utcnow

ROLES = ("staff", "approver", "auditor", "admin")
ROLE_LABELS = {"staff": "Staff", "approver": "Approver", "auditor": "Auditor", "admin": "Administrator"}
DEFAULT_GROUPS = ("comms", "legal", "safeguarding", "press", "political")

user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("approver_groups.id", ondelete="CASCADE"), primary_key=True),
)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(Base):
    """A person who signs in. Implements what Flask-Login asks of a user object."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_oidc_identity", "oidc_issuer", "oidc_subject", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login cookie's id: changing it ends every live session.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when an administrator gave out a one-time password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Single sign-on: the OpenID provider's issuer and `sub` claim of the person (None: a local account).
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.role", lazy="selectin"
    )
    groups: Mapped[list[ApproverGroup]] = relationship(
        secondary=user_groups, back_populates="members", order_by="ApproverGroup.name", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    @property
    def group_names(self) -> list[str]:
        return [group.name for group in self.groups]

    @property
    def group_ids(self) -> frozenset[int]:
        return frozenset(group.id for group in self.groups)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    # Flask-Login's user protocol, without importing Flask here.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint("role IN ('staff', 'approver', 'auditor', 'admin')", name="role_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApproverGroup(Base):
    """A team of approvers that reviews a kind of risk (comms, legal, safeguarding...)."""

    __tablename__ = "approver_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(secondary=user_groups, back_populates="groups", order_by="User.username")

    def __repr__(self) -> str:
        return f"<ApproverGroup {self.name}>"


class LoginAttempt(Base):
    """One try at signing in; throttling counts recent failures per username and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (CheckConstraint("outcome IN ('success', 'failure', 'throttled')", name="outcome_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(256), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
