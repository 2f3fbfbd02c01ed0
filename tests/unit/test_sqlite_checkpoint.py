"""The WAL is checkpointed by a background thread of each serving process, not inside a request's commit."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path

import pytest

from reviewer import sqlite_checkpoint
from reviewer.sqlite_checkpoint import checkpoint, start_checkpointer


def _wal_database(path: Path, rows: int) -> sqlite3.Connection:
    """A WAL database with `rows` commits not yet checkpointed; its connection (keep it open: the last close checkpoints)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE IF NOT EXISTS t (x TEXT)")
    for n in range(rows):
        connection.execute("INSERT INTO t VALUES (?)", (f"row {n} " * 20,))
    return connection


def _threads(path: Path) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"sqlite-checkpoint:{path}"]


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_checkpoint_copies_every_frame_of_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    writer = _wal_database(path, 50)
    busy, frames, copied = checkpoint(path)
    assert busy == 0 and frames > 0 and copied == frames
    writer.close()


def test_the_thread_checkpoints_until_its_engine_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.sqlite3"
    writer = _wal_database(path, 1)
    calls: list[Path] = []
    real = sqlite_checkpoint.checkpoint
    monkeypatch.setattr(sqlite_checkpoint, "checkpoint", lambda p: calls.append(p) or real(p))

    class Engine:  # any object the caller owns; the thread holds it weakly
        pass

    engine = Engine()
    start_checkpointer(path, 0.01, engine)
    start_checkpointer(path, 0.01, engine)  # idempotent: still one thread
    assert len(_threads(path)) == 1
    assert _wait_for(lambda: len(calls) >= 3)
    assert set(calls) == {path}
    del engine
    assert _wait_for(lambda: not _threads(path)), "the thread stops once its engine is gone"
    writer.close()


def test_a_checkpoint_never_creates_the_file(tmp_path: Path) -> None:
    """The thread looks for the file, then opens it: a file deleted in between must not come back empty."""
    path = tmp_path / "gone.sqlite3"
    with pytest.raises(sqlite3.OperationalError):
        checkpoint(path)
    assert list(tmp_path.iterdir()) == []


def test_a_round_on_a_deleted_file_stops_the_thread_and_leaves_no_file(tmp_path: Path) -> None:
    class Engine:
        pass

    path, engine = tmp_path / "db.sqlite3", Engine()
    _wal_database(path, 1).close()
    key, owner = (os.getpid(), str(path)), weakref.ref(engine)
    sqlite_checkpoint._running[key] = (threading.current_thread(), owner)
    try:
        assert sqlite_checkpoint.checkpoint_round(key, path, owner) is True
        for leftover in tmp_path.iterdir():
            leftover.unlink()
        assert sqlite_checkpoint.checkpoint_round(key, path, owner) is False
        assert list(tmp_path.iterdir()) == []
    finally:
        del sqlite_checkpoint._running[key]


def test_a_newer_engine_takes_over_and_a_deleted_file_stops_it(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _wal_database(path, 1).close()

    class Engine:
        pass

    first, second = Engine(), Engine()
    start_checkpointer(path, 0.01, first)
    (first_thread,) = _threads(path)
    start_checkpointer(path, 0.01, second)
    first_thread.join(timeout=60)
    assert not first_thread.is_alive(), "the first engine's thread gave way"
    (second_thread,) = _threads(path)
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    second_thread.join(timeout=60)
    assert not second_thread.is_alive(), "no file, no thread"
    assert list(tmp_path.iterdir()) == [], "the thread did not bring the deleted database back"
    assert second is not None and first is not None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_app_checkpoints_in_a_thread_once_it_serves(make_app, database_url) -> None:
    from reviewer.db import get_database

    app = make_app(SQLITE_CHECKPOINT_SECONDS=0.05)
    path = Path(get_database(app).engine.url.database)
    assert not _threads(path), "no thread before the first request"
    with get_database(app).engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    app.test_client().get("/healthz")
    assert _wait_for(lambda: len(_threads(path)) == 1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_background_checkpoints_sqlite_checkpoints_as_usual(make_app, database_url) -> None:
    from reviewer.db import get_database

    app = make_app(SQLITE_CHECKPOINT_SECONDS=0)
    with get_database(app).engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 1000


def test_building_the_app_starts_no_thread(tmp_path: Path, policy_dir: Path) -> None:
    """A gunicorn master builds the app and forks: it must hold no thread that could be inside SQLite."""
    from reviewer import create_app

    def checkpointers() -> set[str]:
        return {t.name for t in threading.enumerate() if t.name.startswith("sqlite-checkpoint:")}

    before = checkpointers()
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}",
                      "SECRET_KEY": "k" * 40, "SCHEMA_CHECK": False, "TOXICITY": "none", "POLICY_DIR": str(policy_dir)})
    from reviewer.db import get_database

    with get_database(app).engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert checkpointers() - before == set()


def test_a_file_deleted_during_a_checkpoint_leaves_no_wal_or_shm_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the takeover test met 4 times in 300 under load: the database file is deleted while the thread's
    checkpoint has it open, after SQLite made the -wal and -shm beside it; closing left those two behind."""
    path = tmp_path / "db.sqlite3"
    _wal_database(path, 20).close()
    real_connect = sqlite3.connect

    class LosesItsFile:
        """A connection whose file is deleted right after its first statement ran."""

        def __init__(self, connection: sqlite3.Connection) -> None:
            self._connection = connection

        def execute(self, sql: str) -> sqlite3.Cursor:
            cursor = self._connection.execute(sql)
            path.unlink()
            return cursor

        def close(self) -> None:
            self._connection.close()

    monkeypatch.setattr(sqlite_checkpoint.sqlite3, "connect", lambda *a, **k: LosesItsFile(real_connect(*a, **k)))
    checkpoint(path)
    assert list(tmp_path.iterdir()) == []
