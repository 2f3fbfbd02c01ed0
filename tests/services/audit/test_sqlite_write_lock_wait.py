"""A writing BEGIN on SQLite waits for the lock by polling, within the busy timeout, then fails as SQLite does."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, exc, text

from reviewer.audit import sqlite_begin_immediate


@pytest.fixture
def make_engine(tmp_path):
    engines = []

    def make(busy_timeout: float):
        engine = create_engine(f"sqlite:///{tmp_path / 'lock.sqlite3'}")
        sqlite_begin_immediate(engine, busy_timeout)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def test_a_writer_gets_the_lock_soon_after_the_holder_commits(make_engine):
    holder, waiter = make_engine(5.0), make_engine(5.0)
    with holder.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    held = holder.connect()
    held.begin()
    released_at: list[float] = []

    def release() -> None:
        time.sleep(0.35)
        released_at.append(time.monotonic())
        held.commit()

    thread = threading.Thread(target=release)
    thread.start()
    with waiter.begin() as connection:
        acquired = time.monotonic()
        connection.execute(text("INSERT INTO t VALUES (1)"))
    thread.join()
    held.close()
    # SQLite's own handler would have been sleeping 100 ms at this point (its pauses after 0.3 s); polling notices within a few ms.
    assert acquired - released_at[0] < 0.03
    with waiter.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 5000


def test_a_writer_gives_up_with_database_is_locked_after_the_busy_timeout(make_engine):
    holder, waiter = make_engine(5.0), make_engine(0.3)
    held = holder.connect()
    held.begin()
    try:
        started = time.monotonic()
        with pytest.raises(exc.OperationalError, match="database is locked"):
            with waiter.begin():
                pass
        assert 0.3 <= time.monotonic() - started < 2.0
    finally:
        held.rollback()
        held.close()
    with waiter.begin() as connection:  # the lock is free again and the connection still works
        connection.execute(text("SELECT 1"))


def test_read_only_transactions_do_not_take_the_write_lock(make_engine):
    holder, reader = make_engine(5.0), make_engine(0.1)
    held = holder.connect()
    held.begin()
    try:
        with reader.connect().execution_options(sqlite_begin="DEFERRED") as connection, connection.begin():
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        held.rollback()
        held.close()


def test_a_lazy_transaction_reads_without_a_transaction_and_locks_at_its_first_write(make_engine):
    """LAZY (the API's writing requests): reads stand alone, the first write begins IMMEDIATE and waits its turn."""
    engine, other = make_engine(5.0), make_engine(5.0)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect().execution_options(sqlite_begin="LAZY") as connection, connection.begin():
        raw = connection.connection.dbapi_connection
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        assert not raw.in_transaction  # no snapshot kept: nothing to go stale
        with other.begin() as writer:  # another connection writes meanwhile (it would not wait for a reader)
            writer.execute(text("INSERT INTO t VALUES (1)"))
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
        held = other.connect()
        held.begin()  # another writer holds the lock: the first write waits, then goes ahead
        threading.Timer(0.2, held.commit).start()
        started = time.monotonic()
        connection.execute(text("INSERT INTO t VALUES (2)"))  # a deferred snapshot would fail here (SQLITE_BUSY)
        assert time.monotonic() - started >= 0.15
        assert raw.in_transaction
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    held.close()
    with other.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 2  # committed


def test_a_lazy_transaction_that_only_read_leaves_no_lock(make_engine):
    engine, other = make_engine(5.0), make_engine(0.2)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect().execution_options(sqlite_begin="LAZY") as connection, connection.begin():
        connection.execute(text("SELECT count(*) FROM t"))
        with other.begin() as writer:  # would time out after 0.2 s if the reader held the lock
            writer.execute(text("INSERT INTO t VALUES (1)"))
