"""Several connections opening a fresh SQLite file at the same moment all succeed.

SQLite answers SQLITE_BUSY at once, without its busy handler, to a
connection whose lock upgrade would deadlock with another's; on a fresh
file each `PRAGMA journal_mode=WAL` is such an upgrade (CI failed on it in
the rate-limit storage when eight threads opened their connections at once).
The app's writing BEGIN then met SQLITE_BUSY_RECOVERY (another connection
replaying the new WAL), an extended busy code it did not retry.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from sqlalchemy.engine import make_url

from reviewer.db import _make_engine
from reviewer.sqlite_locks import enable_wal, is_busy
from reviewer.web.ratelimit_sqlite import SqliteStorage, storage_uri

THREADS = 8
FRESH_FILES = 60  # the race lost about 1 file in 30 before the fix


def _race(open_one, tmp_path: Path) -> list[str]:
    """Open THREADS connections at once on each of FRESH_FILES new files; the errors seen."""
    errors: list[str] = []
    for n in range(FRESH_FILES):
        path = tmp_path / f"fresh-{n}.sqlite3"
        start = threading.Barrier(THREADS)

        def one(start: threading.Barrier = start, path: Path = path) -> None:  # this turn's barrier and file
            start.wait()
            try:
                open_one(path)
            except Exception as error:  # noqa: BLE001 -- collected and asserted below
                errors.append(f"{path.name}: {error!r}")

        workers = [threading.Thread(target=one) for _ in range(THREADS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return errors


def test_enable_wal_survives_connections_racing_on_a_fresh_file(tmp_path: Path) -> None:
    def open_one(path: Path) -> None:
        connection = sqlite3.connect(path, timeout=5, isolation_level=None)
        try:
            assert enable_wal(connection, timeout=5) == "wal"
            connection.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)")
        finally:
            connection.close()

    assert _race(open_one, tmp_path) == []


def test_rate_limit_storage_threads_open_a_fresh_file_at_once(tmp_path: Path) -> None:
    def open_one(path: Path) -> None:
        storage = SqliteStorage(storage_uri(path))
        try:
            assert storage.incr("k", 60) >= 1
        finally:
            storage.close()

    assert _race(open_one, tmp_path) == []


def test_app_engines_open_a_fresh_file_at_once(tmp_path: Path) -> None:
    def open_one(path: Path) -> None:
        engine = _make_engine(make_url(f"sqlite:///{path}"), busy_timeout=5)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        finally:
            engine.dispose()

    assert _race(open_one, tmp_path) == []


def test_enable_wal_still_fails_after_the_timeout_when_the_file_stays_locked(tmp_path: Path) -> None:
    path = tmp_path / "held.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (k TEXT)")
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            enable_wal(waiter, timeout=0.2)
    finally:
        waiter.close()
        holder.execute("ROLLBACK")
        holder.close()


def test_every_extended_busy_code_counts_as_busy() -> None:
    def error(code: int) -> sqlite3.OperationalError:
        failure = sqlite3.OperationalError("database is locked")
        failure.sqlite_errorcode = code  # type: ignore[attr-defined]
        return failure

    assert [is_busy(error(code)) for code in (5, 261, 517, 773)] == [True] * 4  # BUSY, _RECOVERY, _SNAPSHOT, _TIMEOUT
    assert not is_busy(error(6))  # SQLITE_LOCKED: a lock inside this connection, waiting cannot help
    assert not is_busy(error(13))  # SQLITE_FULL
    assert not is_busy(ValueError("not sqlite"))
