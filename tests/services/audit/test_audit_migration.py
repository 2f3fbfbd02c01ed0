"""Migrations 0002, 0006 and 0010 build what the models describe (triggers, head row, refs) and undo it."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from datetime import datetime, timezone

from sqlalchemy import insert

from reviewer.audit import AuditEvent, AuditHead, record, verify
from reviewer.audit.chain import GENESIS_HASH, ChainEvent, compute_head_mac, seal
from reviewer.models import metadata  # every model registered, as Alembic sees it

MIGRATIONS = Path(__file__).resolve().parents[3] / "reviewer" / "migrations"
AUDIT_TABLE_NAMES = {"audit_events", "audit_head", "audit_refs"}
HEAD = "0010_secauth_head_mac"


def migrate(engine: Engine, action, revision: str, audit_key: bytes | None = None) -> None:
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        if audit_key is not None:
            config.attributes["audit_key"] = audit_key  # as reviewer.db.upgrade hands it over
        action(config, revision)


def audit_differences(engine: Engine) -> list:
    """What autogenerate would change in the audit tables to match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    return [diff for diff in diffs if "audit_" in repr(diff)]


def test_upgrade_builds_the_audit_schema_and_downgrade_removes_it(bare_engine: Engine, alice) -> None:
    key = b"k" * 32
    migrate(bare_engine, command.upgrade, HEAD)
    assert AUDIT_TABLE_NAMES <= set(inspect(bare_engine).get_table_names())
    assert audit_differences(bare_engine) == []

    with Session(bare_engine, info={"audit_key": key}) as session:
        assert session.get(AuditHead, 1).seq == 0
        record(session, alice, "auth.login", "user:7")
        record(session, alice, "auth.logout", "user:7")
        session.commit()
        with pytest.raises(DBAPIError, match="audit events are append-only"):
            session.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(action="auth.nothing"))
        session.rollback()
        assert verify(session, key).count == 2

    migrate(bare_engine, command.downgrade, "0001_accounts")
    assert not AUDIT_TABLE_NAMES & set(inspect(bare_engine).get_table_names())
    migrate(bare_engine, command.upgrade, HEAD)  # the triggers (and PostgreSQL function) went too
    with Session(bare_engine, info={"audit_key": key}) as session:
        assert record(session, None, "auth.login", None).seq == 1
        session.commit()


def _old_trail(engine: Engine, key: bytes, count: int) -> list[ChainEvent]:
    """Events written at 0007 (before the head had a time and a MAC), with the head moved as record() did then."""
    events, prev = [], GENESIS_HASH
    with engine.begin() as connection:
        for seq in range(1, count + 1):
            event = seal(ChainEvent(seq, datetime(2026, 11, seq, tzinfo=timezone.utc), None, None, "auth.login", None, "{}", prev), key)
            connection.execute(insert(AuditEvent.__table__).values(**event.__dict__))
            events.append(event)
            prev = event.hash
        connection.execute(update(AuditHead.__table__).values(seq=count, hash=prev))
    return events


@pytest.mark.parametrize("with_key", [True, False], ids=["reviewer-db-upgrade", "plain-alembic"])
def test_0010_signs_the_existing_head_and_guards_it(bare_engine: Engine, with_key: bool, alice) -> None:
    key = b"h" * 32
    migrate(bare_engine, command.upgrade, "0007_retention")
    events = _old_trail(bare_engine, key, 3)
    migrate(bare_engine, command.upgrade, HEAD, audit_key=key if with_key else None)
    with Session(bare_engine, info={"audit_key": key}) as session:
        result = verify(session, key)
        if with_key:
            assert result.ok and result.head == (3, events[-1].hash)
            assert session.get(AuditHead, 1).at == events[-1].occurred_at
        else:
            assert "head record 3:" in result.first_bad.reason and "is not signed" in result.first_bad.reason
        with pytest.raises(DBAPIError, match="audit head"):
            session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=2, hash=events[1].hash))
        session.rollback()
        record(session, alice, "auth.logout", None)  # every append signs the head
        session.commit()
        assert verify(session, key).ok
    migrate(bare_engine, command.downgrade, "0007_retention")
    assert {"at", "mac"}.isdisjoint(column["name"] for column in inspect(bare_engine).get_columns("audit_head"))
    with bare_engine.begin() as connection:  # the head's triggers went with the columns
        connection.execute(update(AuditHead.__table__).values(seq=1, hash=events[0].hash))


def test_reviewer_db_upgrade_hands_the_migration_the_audit_key(tmp_path: Path) -> None:
    from reviewer import create_app
    from reviewer.audit import load_key
    from reviewer.db import get_database, upgrade

    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SCHEMA_CHECK": False})
    upgrade(app)
    with get_database(app).sessions() as session:
        head = session.get(AuditHead, 1)
        assert head.seq == 0 and head.mac == compute_head_mac(load_key(tmp_path), 0, GENESIS_HASH, head.at)
