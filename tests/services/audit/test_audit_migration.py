"""Migrations 0002 and 0006 build what the models describe (triggers, head row, refs) and undo it."""

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

import reviewer.models  # noqa: F401  (every model on Base.metadata, as Alembic sees it)
from reviewer.audit import AuditEvent, AuditHead, record, verify
from reviewer.orm import Base

MIGRATIONS = Path(__file__).resolve().parents[3] / "reviewer" / "migrations"
AUDIT_TABLE_NAMES = {"audit_events", "audit_head", "audit_refs"}
HEAD = "0006_audit_refs"


def migrate(engine: Engine, action, revision: str) -> None:
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        action(config, revision)


def audit_differences(engine: Engine) -> list:
    """What autogenerate would change in the audit tables to match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
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
