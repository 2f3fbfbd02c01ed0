"""Migration 0006 backfills `audit_refs` for events written before it, as `record()` would have."""

from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from reviewer.audit import AuditEvent, record, verify
from reviewer.audit.chain import GENESIS_HASH, ChainEvent, encode_data, seal
from reviewer.audit.models import AuditHead, AuditRef

from test_audit_migration import migrate

KEY = b"m" * 32


def _append_raw(session: Session, events: list[tuple[str, str | None, dict]]) -> None:
    """Sealed events written straight into the tables (the refs table does not exist yet)."""
    prev, seq = GENESIS_HASH, 0
    for action, subject, data in events:
        seq += 1
        sealed = seal(
            ChainEvent(seq, datetime(2026, 11, 1, tzinfo=timezone.utc), None, None, action, subject, encode_data(data), prev),
            KEY,
        )
        session.execute(insert(AuditEvent.__table__).values(**sealed.__dict__))
        prev = sealed.hash
    session.execute(AuditHead.__table__.update().values(seq=seq, hash=prev))
    session.commit()


def refs_of(session: Session, seq: int) -> set[tuple[str, str]]:
    return {(row.name, row.value) for row in session.execute(select(AuditRef.name, AuditRef.value).where(AuditRef.seq == seq))}


def test_upgrade_derives_refs_for_old_events_and_new_events_get_the_same(bare_engine: Engine) -> None:
    migrate(bare_engine, command.upgrade, "0005_api_tokens")
    with Session(bare_engine, info={"audit_key": KEY}) as session:
        _append_raw(
            session,
            [
                ("draft.created", "draft:4", {"account_id": 2, "inbound_post_id": 9, "version": 1}),
                ("draft.checked", "draft:4", {"decision": "review", "rules": ["pii.phone", "promise"], "version": 1}),
                ("auth.login", "user:3", {"ip": "127.0.0.1"}),
            ],
        )
    migrate(bare_engine, command.upgrade, "0010_secauth_head_mac")  # record() signs the head (0010)
    with Session(bare_engine, info={"audit_key": KEY}) as session:
        assert refs_of(session, 1) == {("draft", "4"), ("account", "2"), ("inbound", "9")}
        assert refs_of(session, 2) == {
            ("draft", "4"),
            ("account", "2"),  # inherited from the draft's first event
            ("decision", "review"),
            ("rule", "pii.phone"),
            ("rule", "promise"),
        }
        assert refs_of(session, 3) == {("user", "3")}
        new = record(session, None, "draft.submitted", "draft:4", {"decision": "review", "version": 1})
        session.commit()
        assert refs_of(session, new.seq) == {("draft", "4"), ("account", "2"), ("decision", "review")}
        assert verify(session, KEY).ok
