"""A `limits` storage in a SQLite file, so rate limits hold across the workers of one machine.

limits (the library under Flask-Limiter) has no SQLite backend. This one
keeps its counters in tables of their own (`ratelimit_counters`,
`ratelimit_entries`) in the job queue's SQLite file, beside huey's tables.

- Fixed window: each hit is one `INSERT ... ON CONFLICT DO UPDATE ...
  RETURNING` in its own short transaction (WAL, busy timeout), so hits from
  any number of threads and processes count exactly. An expired counter is
  restarted by that same statement; rows of keys that never come back are
  swept at most once a minute.
- Moving window: one row per hit, counted and added under `BEGIN IMMEDIATE`.

URI: `reviewer-sqlite:///absolute/path/jobs.sqlite3` (optional `?timeout=SECONDS`,
how long a hit waits for the file's write lock; default 2).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from limits.errors import ConfigurationError
from limits.storage import MovingWindowSupport, Storage

from reviewer.private_files import create_private_file
from reviewer.sqlite_locks import enable_wal

SCHEME = "reviewer-sqlite"
DEFAULT_TIMEOUT_SECONDS = 2.0
SWEEP_INTERVAL_SECONDS = 60.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ratelimit_counters ("
    " key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS ratelimit_entries (key TEXT NOT NULL, at REAL NOT NULL, expires_at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_ratelimit_entries_key_at ON ratelimit_entries (key, at)",
)
# In SET, SQLite reads the row's old values, so both CASEs see the same old expires_at.
_INCR = (
    "INSERT INTO ratelimit_counters (key, count, expires_at) VALUES (:key, :amount, :now + :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    " count = CASE WHEN expires_at > :now THEN count + excluded.count ELSE excluded.count END,"
    " expires_at = CASE WHEN expires_at > :now THEN expires_at ELSE excluded.expires_at END "
    "RETURNING count, expires_at"
)
_GET = "SELECT count, expires_at FROM ratelimit_counters WHERE key = ? AND expires_at > ?"


def storage_uri(path: str | os.PathLike[str]) -> str:
    """The storage URI for a SQLite file (made absolute, so every worker names the same file)."""
    return f"{SCHEME}://{Path(path).resolve()}"


class SqliteStorage(Storage, MovingWindowSupport):
    """Fixed- and moving-window rate limit counters in one SQLite file, shared by processes."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str,
        wrap_exceptions: bool = False,
        timeout: float | str | None = None,
        **options: float | str | bool,
    ) -> None:
        parsed = urlparse(uri)
        path = unquote(parsed.netloc + parsed.path)
        if not path.startswith("/"):
            raise ConfigurationError(
                f"rate limit storage {uri!r}: give an absolute file path, e.g. {SCHEME}:///srv/reviewer/jobs.sqlite3"
            )
        query = parse_qs(parsed.query)
        raw_timeout = timeout if timeout is not None else query.get("timeout", [DEFAULT_TIMEOUT_SECONDS])[0]
        try:
            self.timeout = float(raw_timeout)
        except ValueError:
            raise ConfigurationError(
                f"rate limit storage {uri!r}: timeout={raw_timeout!r} is not a number of seconds"
            ) from None
        self.path = Path(path)
        #: The time source (seconds since the epoch); tests replace it to move time on.
        self.clock: Callable[[], float] = time.time
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._schema_ready = False
        self._swept_at = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    # --- connections -------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: SQLite connections must not cross it)."""
        held = getattr(self._local, "held", None)
        if held is not None and held.pid == os.getpid():
            return held.connection
        create_private_file(self.path)
        connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        enable_wal(connection, self.timeout)
        connection.execute("PRAGMA synchronous=NORMAL")  # counters need no fsync per hit
        if not self._schema_ready:
            for statement in _SCHEMA:
                connection.execute(statement)
            self._schema_ready = True
        held = _Connection(connection)
        self._local.held = held
        self._connections.add(held)
        return connection

    def close(self) -> None:
        """Close every connection this storage opened (threads open them lazily again)."""
        for held in list(self._connections):
            if held.pid == os.getpid():
                held.connection.close()
        self._connections = weakref.WeakSet()
        self._local = threading.local()

    def _sweep(self, db: sqlite3.Connection, now: float) -> None:
        """Delete expired rows, at most once a SWEEP_INTERVAL_SECONDS per process."""
        if now - self._swept_at < SWEEP_INTERVAL_SECONDS:
            return
        self._swept_at = now
        db.execute("DELETE FROM ratelimit_counters WHERE expires_at <= ?", (now,))
        db.execute("DELETE FROM ratelimit_entries WHERE expires_at <= ?", (now,))

    # --- fixed window ----------------------------------------------------------------

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the key's counter (a fresh window of `expiry` seconds when none is running)."""
        db = self._db()
        now = self.clock()
        self._sweep(db, now)
        count, expires_at = db.execute(_INCR, {"key": key, "amount": amount, "now": now, "expiry": expiry}).fetchone()
        self._local.last_hit = (key, int(count), float(expires_at))
        return int(count)

    def last_hit(self, key: str) -> tuple[int, float] | None:
        """(count, expires_at) that this thread's latest `incr` of `key` returned, once; else None.

        The rate-limit headers of a response describe the hit its request
        just made: this spares the two reads `get` and `get_expiry` would cost.
        """
        last = getattr(self._local, "last_hit", None)
        self._local.last_hit = None
        if last is None or last[0] != key:
            return None
        return last[1], last[2]

    def get(self, key: str) -> int:
        row = self._db().execute(_GET, (key, self.clock())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = self.clock()
        row = self._db().execute(_GET, (key, now)).fetchone()
        return float(row[1]) if row else now

    # --- moving window ---------------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Record `amount` hits now if the last `expiry` seconds hold at most `limit - amount`."""
        if amount > limit:
            return False
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            now = self.clock()
            db.execute("DELETE FROM ratelimit_entries WHERE key = ? AND at < ?", (key, now - expiry))
            (count,) = db.execute("SELECT count(*) FROM ratelimit_entries WHERE key = ?", (key,)).fetchone()
            acquired = count + amount <= limit
            if acquired:
                db.executemany(
                    "INSERT INTO ratelimit_entries (key, at, expires_at) VALUES (?, ?, ?)",
                    [(key, now, now + expiry)] * amount,
                )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return acquired

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(when the oldest hit in the window happened, how many hits the window holds)."""
        now = self.clock()
        oldest, count = (
            self._db()
            .execute("SELECT min(at), count(*) FROM ratelimit_entries WHERE key = ? AND at >= ?", (key, now - expiry))
            .fetchone()
        )
        return (float(oldest), int(count)) if count else (now, 0)

    # --- housekeeping ----------------------------------------------------------------

    def clear(self, key: str) -> None:
        db = self._db()
        db.execute("DELETE FROM ratelimit_counters WHERE key = ?", (key,))
        db.execute("DELETE FROM ratelimit_entries WHERE key = ?", (key,))

    def reset(self) -> int | None:
        """Forget every limit; returns how many rows went."""
        db = self._db()
        removed = db.execute("DELETE FROM ratelimit_counters").rowcount
        return removed + db.execute("DELETE FROM ratelimit_entries").rowcount

    def check(self) -> bool:
        try:
            self._db().execute("SELECT 1 FROM ratelimit_counters LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True


class _Connection:
    """A connection and the process that opened it (weak-referenceable, unlike sqlite3.Connection)."""

    __slots__ = ("connection", "pid", "__weakref__")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.pid = os.getpid()
