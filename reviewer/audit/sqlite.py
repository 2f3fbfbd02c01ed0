"""SQLite: start writing transactions with BEGIN IMMEDIATE so appends queue instead of failing.

In WAL mode a deferred transaction that has read and then tries to write
after another connection committed fails at once with "database is locked"
(SQLITE_BUSY_SNAPSHOT); the busy timeout does not help, because the
transaction's snapshot is stale. `BEGIN IMMEDIATE` takes the write lock at
the start, where the busy timeout does apply, so concurrent requests wait
their turn. Read-only work that must not hold the write lock (a long
`audit verify`) can ask for a deferred transaction with the execution
option `sqlite_begin="DEFERRED"`.

`sqlite_begin="LAZY"` (an API request that reads, checks, then writes):
no BEGIN at first, so each read runs on its own; the first statement that
is not a SELECT is preceded by BEGIN IMMEDIATE. That is what a deferred
read transaction ended just before the writes gives, without its BEGIN,
its COMMIT and a second pool checkout.

Waiting for the write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 ...
up to 100 ms between tries, so the lock often sits free while waiters sleep
(the p99 of concurrent submissions). A writing BEGIN therefore polls with
short pauses (0.1 ms doubling to 1 ms) until the same busy timeout, then
fails with SQLite's usual "database is locked".
"""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from reviewer.sqlite_locks import is_busy

BEGIN_OPTION = "sqlite_begin"
_MODES = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE", "LAZY"}
# Statements that never start the writing transaction of a LAZY connection.
_NOT_WRITES = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "RELEASE")
FIRST_PAUSE_SECONDS = 0.0001
LONGEST_PAUSE_SECONDS = 0.001


def sqlite_begin_immediate(engine: Engine, busy_timeout: float = 5.0) -> None:
    """Make every transaction on a SQLite `engine` start with BEGIN IMMEDIATE.

    Call it right after `create_engine`, before the first connection. The
    driver's own implicit BEGIN is switched off and SQLAlchemy's `begin`
    event emits ours; a writing BEGIN waits up to `busy_timeout` seconds for
    the lock. Does nothing on other databases.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_driver_begin(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        mode = str(connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")).upper()
        if mode not in _MODES:
            raise ValueError(f"execution option {BEGIN_OPTION}={mode!r}: expected one of {sorted(_MODES)}")
        if mode == "DEFERRED":
            connection.exec_driver_sql("BEGIN DEFERRED")
        elif mode != "LAZY":  # LAZY: BEGIN IMMEDIATE comes before the first write (below)
            _begin_writing(connection, f"BEGIN {mode}", busy_timeout)

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before_first_write(connection, cursor, statement, parameters, context, executemany) -> None:
        if connection.get_execution_options().get(BEGIN_OPTION) != "LAZY":
            return
        if connection.connection.dbapi_connection.in_transaction or statement.lstrip().upper().startswith(_NOT_WRITES):
            return
        _begin_writing(connection, "BEGIN IMMEDIATE", busy_timeout)


def _begin_writing(connection: Connection, statement: str, busy_timeout: float) -> None:
    """Run `statement` (a writing BEGIN), retrying while another connection holds the lock.

    The tries go straight to the driver: a refused try through SQLAlchemy
    pays for its error wrapping, and a waiter makes several. After
    the timeout (or on another error) one last try goes through SQLAlchemy,
    so what is raised is its usual OperationalError.
    """
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + busy_timeout
        pause = FIRST_PAUSE_SECONDS
        while time.monotonic() < deadline:
            try:
                raw.execute(statement)
                return
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    break
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
        connection.exec_driver_sql(statement)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
