"""Helpers shared by the audit service tests (a plain module: conftest modules cannot be imported)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from reviewer.audit import AuditEvent, AuditHead, sqlite_begin_immediate
from reviewer.audit.models import AuditRef

AUDIT_TABLES = [AuditEvent.__table__, AuditHead.__table__, AuditRef.__table__]


def sqlite_engine(path: Path) -> Engine:
    """A SQLite engine set up the way the app's is (WAL, busy timeout), plus BEGIN IMMEDIATE."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    sqlite_begin_immediate(engine)
    return engine
