"""SQLite: a consistent copy through the online backup API, and putting one back the same way.

The backup API copies every page inside one read transaction, so the copy
is a consistent snapshot even while the app writes (WAL readers never block
writers). The copy is switched to journal_mode=DELETE: one self-contained
file whose sha256 stays fixed however often it is opened read-only.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import URL

from reviewer.backup.manifest import BackupError
from reviewer.private_files import create_private_file


def database_path(url: URL) -> Path:
    """The file an SQLite URL names; BackupError for in-memory databases."""
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"DATABASE_URL {url.render_as_string()!r} is not an SQLite file: nothing to back up or restore")
    return Path(database).resolve()


def read_only_uri(path: Path) -> str:
    """An SQLAlchemy URL opening `path` read-only (the backup copy is never written)."""
    return f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"


def snapshot(source: Path, destination: Path, busy_timeout: float) -> None:
    """Copy the live database at `source` into a new file `destination` (mode 0600)."""
    if not source.is_file():
        raise BackupError(f"{source}: the SQLite database does not exist (check REVIEWER_DATABASE_URL)")
    os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        live = sqlite3.connect(source, timeout=busy_timeout)  # only read; not mode=ro, which WAL may refuse
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot open the SQLite database ({exc})") from None
    copy = sqlite3.connect(destination)
    try:
        live.backup(copy)  # every page in one step: one read transaction, one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: the SQLite online backup failed ({exc})") from None
    finally:
        copy.close()
        live.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{destination}{suffix}").unlink(missing_ok=True)


def check_integrity(path: Path) -> None:
    """PRAGMA integrity_check on a backup copy (read-only); BackupError with SQLite's first complaint."""
    try:
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a readable SQLite database ({exc})") from None
    if result != "ok":
        raise BackupError(f"{path}: SQLite integrity check failed: {result}")


def restore(copy: Path, target: Path, busy_timeout: float) -> None:
    """Put the backup `copy` into `target` with the backup API (replaces its content in one transaction)."""
    create_private_file(target)  # 0600, as the app makes it (reviewer/private_files.py)
    source = sqlite3.connect(f"file:{quote(str(copy))}?mode=ro", uri=True)
    destination = sqlite3.connect(target, timeout=busy_timeout)
    try:
        source.backup(destination)
    except sqlite3.Error as exc:
        raise BackupError(f"{target}: restoring the SQLite database failed ({exc}); is the app still running?") from None
    finally:
        destination.close()
        source.close()
