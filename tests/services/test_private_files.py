"""The databases, job store and report PDFs are created owner-only (0600), whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common 022 umask, under which SQLite and open() create files 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_job_store_are_owner_only(open_umask, make_app, tmp_path) -> None:
    from reviewer.jobs import jobs_of

    database = tmp_path / "data" / "reviewer.sqlite3"
    app = make_app(DATABASE_URL=f"sqlite:///{database}")  # migrated: the file is made and written
    jobs_of(app).huey  # noqa: B018 -- made on first use
    store = Path(app.instance_path) / "jobs.sqlite3"
    assert store.exists()
    assert _mode(database) == 0o600
    assert _mode(database.parent) == 0o700  # a folder this process made
    assert _mode(store) == 0o600


def test_an_existing_files_mode_is_left_to_the_operator(open_umask, tmp_path) -> None:
    from reviewer.private_files import create_private_file

    shared = tmp_path / "reviewer.sqlite3"
    shared.write_bytes(b"")
    shared.chmod(0o640)
    create_private_file(shared)
    assert _mode(shared) == 0o640


def test_the_rate_limit_store_is_owner_only(open_umask, tmp_path) -> None:
    from reviewer.web.ratelimit_sqlite import SqliteStorage

    path = tmp_path / "limits.sqlite3"
    storage = SqliteStorage(f"reviewer-sqlite:///{path}")
    storage.incr("k", 60)
    assert _mode(path) == 0o600


def test_a_restored_sqlite_database_is_owner_only(open_umask, tmp_path) -> None:
    import sqlite3

    from reviewer.backup import sqlite_store

    copy = tmp_path / "backup.sqlite3"
    connection = sqlite3.connect(copy)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    target = tmp_path / "restored" / "reviewer.sqlite3"
    sqlite_store.restore(copy, target, busy_timeout=5)
    assert _mode(target) == 0o600
