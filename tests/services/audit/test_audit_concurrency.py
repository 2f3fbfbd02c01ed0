"""Concurrent appends queue up and never fork the chain (SQLite file and PostgreSQL).

Each thread has its own session and reads before it writes (as a request
does), which is the pattern that breaks a deferred SQLite transaction.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from reviewer.audit import AuditEvent, head, record, verify
from reviewer.orm import Base

from audit_db import AUDIT_TABLES, sqlite_engine

THREADS = 8
PER_THREAD = 25


def sqlite_driver_default(path: Path) -> Engine:
    """WAL and a busy timeout, transactions left to the driver (as `reviewer.db` does today)."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _wal(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    return engine


def sqlite_deferred_begin(path: Path) -> Engine:
    """Every transaction opened with a plain (deferred) BEGIN: reads hold a snapshot."""
    engine = sqlite_driver_default(path)

    @event.listens_for(engine, "connect")
    def _no_driver_begin(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture(
    params=[
        "sqlite-begin-immediate",
        "sqlite-driver-default",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def concurrent_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "postgresql":
        engine = request.getfixturevalue("postgres_schema_engine")()
    elif request.param == "sqlite-begin-immediate":
        engine = sqlite_engine(tmp_path / "audit.db")
    else:
        engine = sqlite_driver_default(tmp_path / "audit.db")
    Base.metadata.create_all(engine, tables=AUDIT_TABLES)
    yield engine
    engine.dispose()


def run_threads(target: Callable[[int], None], count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def guarded(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:  # noqa: BLE001 -- reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_appends_make_one_unbroken_chain(concurrent_engine: Engine) -> None:
    key = secrets.token_bytes(32)
    sessions = sessionmaker(bind=concurrent_engine, info={"audit_key": key})

    def append(worker: int) -> None:
        for n in range(PER_THREAD):
            with sessions() as session:
                head(session)  # read first, like a request that looks before it changes
                record(session, None, "test.concurrent", f"worker:{worker}", {"worker": worker, "n": n})
                session.commit()

    assert run_threads(append, THREADS) == []
    with sessions() as session:
        result = verify(session, key)
        assert result.ok, result.first_bad
        assert result.count == THREADS * PER_THREAD
        subjects = session.scalars(select(AuditEvent.subject).order_by(AuditEvent.seq)).all()
    for worker in range(THREADS):
        assert subjects.count(f"worker:{worker}") == PER_THREAD


def test_a_deferred_sqlite_transaction_that_read_first_cannot_append(tmp_path: Path) -> None:
    """Why `sqlite_begin_immediate` exists: this interleaving fails at once, whatever the busy timeout."""
    key = secrets.token_bytes(32)
    for make, fails in [(sqlite_deferred_begin, True), (sqlite_engine, False)]:
        engine = make(tmp_path / f"{make.__name__}.db")
        Base.metadata.create_all(engine, tables=AUDIT_TABLES)
        reader = Session(engine, info={"audit_key": key})
        head(reader)  # the deferred transaction now holds a read snapshot

        def other_request(engine: Engine = engine) -> None:  # this turn's engine
            with Session(engine, info={"audit_key": key}) as writer:
                record(writer, None, "test.other", None)
                writer.commit()

        other = threading.Thread(target=other_request)
        other.start()
        if fails:
            other.join()
            with pytest.raises(OperationalError, match="database is locked"):
                record(reader, None, "test.stale", None)
            reader.rollback()
        else:
            # BEGIN IMMEDIATE: the reader holds the write lock; the other request waits its turn.
            record(reader, None, "test.first", None)
            reader.commit()
            other.join()
        reader.close()
        with Session(engine) as session:
            assert verify(session, key).ok
        engine.dispose()
