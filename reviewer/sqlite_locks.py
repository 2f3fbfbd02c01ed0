"""SQLite lock contention shared by the app's engines and the rate-limit storage.

`is_busy`: SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY while
another connection replays the WAL of a freshly opened file,
SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT) all mean "another connection has
the lock now; try again".

`enable_wal`: `PRAGMA journal_mode=WAL` on a file still in rollback mode
needs the exclusive lock. When several connections do it at once (gunicorn
workers or threads opening a new database), SQLite answers SQLITE_BUSY at
once, without calling the busy handler, to the one whose lock upgrade would
deadlock with another's. So the switch is retried with short pauses until
`timeout`; after that the usual "database is locked" error goes up. On a file
already in WAL the pragma takes no lock and answers at once.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

SQLITE_BUSY = 5
FIRST_PAUSE_SECONDS = 0.001
LONGEST_PAUSE_SECONDS = 0.05


def is_busy(error: BaseException | None) -> bool:
    """Whether a sqlite3 error says another connection holds the lock (any SQLITE_BUSY code)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == SQLITE_BUSY


def enable_wal(connection: Any, timeout: float) -> str:
    """Run `PRAGMA journal_mode=WAL` on a DB-API `connection`; the journal mode it reports."""
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE_SECONDS
    while True:
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return str(cursor.fetchone()[0]).lower()
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() + pause > deadline:
                raise
        finally:
            cursor.close()
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
