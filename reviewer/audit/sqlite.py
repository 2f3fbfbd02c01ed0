"""SQLite: start writing transactions with BEGIN IMMEDIATE so appends queue instead of failing.

In WAL mode a deferred transaction that has read and then tries to write
after another connection committed fails at once with "database is locked"
(SQLITE_BUSY_SNAPSHOT); the busy timeout does not help, because the
transaction's snapshot is stale. `BEGIN IMMEDIATE` takes the write lock at
the start, where the busy timeout does apply, so concurrent requests wait
their turn. Read-only work that must not hold the write lock (a long
`audit verify`) can ask for a deferred transaction with the execution
option `sqlite_begin="DEFERRED"`.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

BEGIN_OPTION = "sqlite_begin"
_MODES = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}


def sqlite_begin_immediate(engine: Engine) -> None:
    """Make every transaction on a SQLite `engine` start with BEGIN IMMEDIATE.

    Call it right after `create_engine`, before the first connection. The
    driver's own implicit BEGIN is switched off and SQLAlchemy's `begin`
    event emits ours. Does nothing on other databases.
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
        connection.exec_driver_sql(f"BEGIN {mode}")
