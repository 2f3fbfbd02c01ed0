"""Audit tables: the append-only events and the one-row head that serialises appends.

`audit_events` rows are never updated or deleted (triggers refuse it);
`seq` is the primary key and `prev_hash` is unique, so the database itself
refuses a fork of the chain. `audit_head` holds one row (id 1) with the seq,
hash and time of the last event and an HMAC over them: every append updates
it first, which takes the row lock (PostgreSQL) or the write lock (SQLite)
and so serialises appends. Triggers let the head row move only forward onto
the last event, and refuse its deletion.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, PrimaryKeyConstraint, String, Text, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from reviewer.audit import refs, triggers
from reviewer.audit.chain import GENESIS_HASH, MAX_ACTION_LENGTH, MAX_ACTOR_NAME_LENGTH, MAX_SUBJECT_LENGTH
from reviewer.orm import Base, UTCDateTime


class AuditEvent(Base):
    """One event in the hash chain."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # No foreign key: events outlive the users they name.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(MAX_ACTOR_NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(MAX_ACTION_LENGTH), index=True)
    subject: Mapped[str | None] = mapped_column(String(MAX_SUBJECT_LENGTH), index=True)
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    mac: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq_positive"),
        # Keyset pages (seq DESC) filtered by action or by actor read these in order.
        Index("ix_audit_events_action_seq", "action", "seq"),
        Index("ix_audit_events_actor_name_seq", "actor_name", "seq"),
    )

    def __repr__(self) -> str:
        return f"<AuditEvent {self.seq} {self.action} {self.subject or ''}>"

    @property
    def actor_label(self) -> str:
        """Who acted, for display: the username, or 'system'."""
        return self.actor_name if self.actor_name is not None else "system"


class AuditRef(Base):
    """A searchable reference of one event (`draft`/`12`), written with it; see `refs`.

    Not covered by the hash: a derived index of the trail, so the audit
    browser can filter by account, draft, decision and rule quickly.
    """

    __tablename__ = "audit_refs"

    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(refs.MAX_NAME_LENGTH))
    value: Mapped[str] = mapped_column(String(refs.MAX_VALUE_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint("seq", "name", "value", name="pk_audit_refs"),
        # name = ? AND value = ? ORDER BY seq DESC: one index range, in page order.
        Index("ix_audit_refs_name_value_seq", "name", "value", "seq"),
    )


class AuditHead(Base):
    """The single row (id 1) that records the chain's head and serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    # The last event's time and HMAC-SHA256(key, head) (chain.compute_head_mac); NULL only for
    # the genesis head and for a head recorded before migration 0010 (unsigned: verify says so).
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mac: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


HEAD_ROW = {"id": 1, "seq": 0, "hash": GENESIS_HASH}


@event.listens_for(AuditEvent.__table__, "after_create")
def _install_triggers(target, connection, **kw) -> None:
    triggers.install_events(connection)


@event.listens_for(AuditHead.__table__, "after_create")
def _insert_head_row(target, connection, **kw) -> None:
    connection.execute(insert(target).values(**HEAD_ROW))
    triggers.install_head(connection)
