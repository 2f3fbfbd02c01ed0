"""Database glue: the engine and session per app (the mapping base is in reviewer.orm).

The engine is made in `init_app`, never at import. Services receive a
`Session`; views commit at the edge of the request.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.orm import Session, sessionmaker

from reviewer.private_files import create_private_file
from reviewer.sqlite_checkpoint import start_checkpointer
from reviewer.sqlite_locks import enable_wal

# --- Engine and sessions per app -------------------------------------------

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_EXTENSION_KEY = "reviewer_db"


class SchemaOutOfDateError(click.ClickException):
    """The database is not at the migration this code expects."""


class DatabaseConfigError(click.ClickException):
    """DATABASE_URL is malformed, names a missing driver, or the database cannot be reached."""


@dataclass(frozen=True)
class Database:
    """What `init_app` builds for one app: the engine and its sessionmaker."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def readonly_engine(self) -> Engine:
        """The engine with SQLite's deferred BEGIN (no write lock until a write)."""
        return self.engine.execution_options(sqlite_begin="DEFERRED")


def init_app(app: Flask) -> None:
    """Make the engine and sessionmaker from DATABASE_URL; close sessions at teardown."""
    # Imported here: the audit and accounts packages hold views that import this module (a cycle at import time).
    from reviewer.accounts.passwords import make_hasher
    from reviewer.audit.key_setup import startup_key
    from reviewer.config import is_production

    try:
        url = make_url(app.config["DATABASE_URL"])
        checkpoint_seconds = float(app.config.get("SQLITE_CHECKPOINT_SECONDS", 1.0) or 0)
        engine = _make_engine(
            url, app.config.get("SQLITE_BUSY_TIMEOUT_SECONDS", 10), app.config.get("SQLITE_SYNCHRONOUS", "NORMAL"),
            checkpoint_seconds,
        )
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise DatabaseConfigError(
            f"DATABASE_URL (REVIEWER_DATABASE_URL) {_without_password(str(app.config['DATABASE_URL']))!r} is not usable: {error}. "
            "Use an SQLAlchemy URL such as sqlite:////path/to/reviewer.sqlite3 or "
            "postgresql+psycopg://user@host/dbname."
        ) from None
    info = {
        # None in production when audit.key is missing: start-up then refuses (config_checks.audit_key_problems).
        "audit_key": startup_key(Path(app.instance_path), is_production(app.config)),
        "password_hasher": make_hasher(app.config.get("PASSWORD_HASH_PARAMS") or {}),
    }
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and checkpoint_seconds > 0:  # the thread starts with the first request, never before a fork
        app.before_request(lambda: start_checkpointer(sqlite_file, checkpoint_seconds, engine))
    sessions = sessionmaker(bind=engine, info=info)
    event.listen(sessions, "after_begin", _note_begin)
    event.listen(sessions, "after_commit", _note_commit)
    event.listen(engine, "commit", _note_commit_sent)
    event.listen(engine, "rollback", _forget_owner)
    app.extensions[_EXTENSION_KEY] = Database(engine, sessions)
    app.teardown_appcontext(lambda _exc: close_request_session())
    # The engine lives as long as its app: when the app goes (a CLI command, a
    # script, a test), its pooled connections are closed, not left to the GC.
    weakref.finalize(app, engine.dispose)


SQLITE_SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
PG_CONNECT_TIMEOUT_SECONDS = 10  # unless the URL sets ?connect_timeout=


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL (None for other databases, :memory: and file: URIs)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _make_engine(url: URL, busy_timeout: float, synchronous: str = "NORMAL", checkpoint_seconds: float = 0) -> Engine:
    if url.get_backend_name() != "sqlite":
        # pre_ping: a pooled connection the server dropped (a restart, a failover) is replaced, not
        # handed to a request; connect_timeout: an unreachable server fails a request, not hangs it.
        connect_args = {}
        if url.get_driver_name() in ("psycopg", "psycopg2") and "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_SECONDS
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None:
        create_private_file(sqlite_file)  # 0600: SQLite would create it 0644 (its -wal/-shm copy this mode)
    background_checkpoints = sqlite_file is not None and checkpoint_seconds > 0  # the thread: see init_app
    from reviewer.audit import sqlite_begin_immediate

    mode = str(synchronous).upper()
    if mode not in SQLITE_SYNCHRONOUS_MODES:
        raise DatabaseConfigError(
            f"SQLITE_SYNCHRONOUS (REVIEWER_SQLITE_SYNCHRONOUS) {synchronous!r} is not one of "
            f"{', '.join(SQLITE_SYNCHRONOUS_MODES)}; use NORMAL (the default) or FULL."
        )
    engine = create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        enable_wal(dbapi_connection, busy_timeout)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        # WAL with NORMAL: a commit does not wait for fsync (which it would take while holding the
        # write lock, capping the write rate); the database stays consistent after a crash or
        # power loss, which can lose only the last commits, whole. FULL makes every commit durable.
        cursor.execute(f"PRAGMA synchronous={mode}")
        if background_checkpoints:  # no commit checkpoints: a thread does, once requests start (init_app)
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    # Writing transactions take the lock up front, so concurrent writers queue
    # (within the busy timeout) instead of failing on a stale WAL snapshot.
    sqlite_begin_immediate(engine, busy_timeout)
    return engine


def get_database(app: Flask | None = None) -> Database:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return app.extensions[_EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("reviewer.db.init_app(app) has not been called for this app") from None


def get_session() -> Session:
    """The current request's Session (one per app context, closed at teardown)."""
    if "db_session" not in g:
        database = get_database()
        if has_request_context() and request.method in ("GET", "HEAD"):
            # Pages that only read do not take SQLite's write lock.
            g.db_session = database.sessions(bind=database.readonly_engine)
        else:
            g.db_session = database.sessions()
    return g.db_session


@contextmanager
def read_session(app: Flask | None = None) -> Iterator[Session]:
    """A short Session for reading only; on SQLite it never takes the write lock."""
    database = get_database(app)
    session = database.sessions(bind=database.readonly_engine)
    try:
        yield session
    finally:
        session.close()


_COMMITTED = "committed"  # session.info: this session has committed at least once
_COMMIT_SENT = "commit_sent"  # session.info: its COMMIT went to the database, and no answer has come back
_OWNER = "reviewer.session_info"  # connection.info: the info of the Session whose transaction it carries


def _note_begin(session: Session, _transaction: Any, connection: Connection) -> None:
    connection.info[_OWNER] = session.info
    session.info.pop(_COMMIT_SENT, None)


def _note_commit_sent(connection: Connection) -> None:
    """Just before COMMIT goes to the database: if no answer comes, the outcome is not known."""
    owner = connection.info.pop(_OWNER, None)
    if owner is not None:
        owner[_COMMIT_SENT] = True


def _forget_owner(connection: Connection) -> None:
    connection.info.pop(_OWNER, None)


def _note_commit(session: Session) -> None:
    session.info[_COMMITTED] = True
    session.info.pop(_COMMIT_SENT, None)


def request_session_committed() -> bool:
    """Whether this request already committed (a database error after it must not say "nothing was saved")."""
    session = g.get("db_session")
    return session is not None and bool(session.info.get(_COMMITTED))


def request_commit_unanswered() -> bool:
    """Whether this request's last COMMIT was sent and never answered (its outcome is not known)."""
    session = g.get("db_session")
    return session is not None and bool(session.info.get(_COMMIT_SENT))


def close_request_session() -> None:
    """End this request's Session, rolling back anything not committed (at teardown, or early
    after a database error so the rest of the request cannot reuse a failed transaction)."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except DBAPIError as error:
        # The connection died after the request's last statement (a server restart): the server has
        # already dropped whatever it had not committed. Discard the connection rather than pool it,
        # and do not fail a request whose work is done (its commit, if any, went through).
        session.invalidate()
        current_app.logger.warning("a database connection was lost at the end of the request: %s", error.orig)


@contextmanager
def app_session(app: Flask) -> Iterator[Session]:
    """A Session for CLI commands and scripts; the caller commits."""
    session = get_database(app).sessions()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- Migrations ------------------------------------------------------------


def alembic_config(connection: Connection | None = None, audit_key: bytes | None = None) -> AlembicConfig:
    """An Alembic config pointing at reviewer/migrations (no alembic.ini needed).

    `audit_key` lets a migration sign what the audit trail needs signed (0010: the head).
    """
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    if audit_key is not None:
        config.attributes["audit_key"] = audit_key
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (Alembic, programmatic), with the audit key at hand.

    The key is read from the instance folder now, not taken from start-up: a restore may have put
    the backup's key back since. Production never makes a key here (`reviewer audit init-key` does).
    """
    from reviewer.audit.key_setup import event_count, missing_key_problem, startup_key
    from reviewer.config import is_production

    key = startup_key(Path(app.instance_path), is_production(app.config))
    if key is None:
        raise click.ClickException(missing_key_problem(app.instance_path, event_count(get_database(app).engine)))
    with get_database(app).engine.begin() as connection:
        alembic_command.upgrade(alembic_config(connection, key), revision)


def schema_revisions(app: Flask) -> tuple[set[str], set[str]]:
    """(revisions the database is at, head revisions the code has)."""
    engine = get_database(app).engine
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except OperationalError as error:
        raise DatabaseConfigError(
            f"Cannot open the database {display_url(app)}: {error.orig}. Check REVIEWER_DATABASE_URL "
            "and that the database server is running."
        ) from None
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return current, heads


def _without_password(url: str) -> str:
    """A URL as typed, with any password between "user:" and "@" hidden (the URL may not parse)."""
    return re.sub(r"(://[^/:@]*:)[^/]*@", r"\1***@", url)


def display_url(app: Flask) -> str:
    """The database URL with any password hidden, for messages."""
    return make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True)


def check_schema(app: Flask) -> None:
    """Raise SchemaOutOfDateError unless the database is at the code's head revision."""
    current, heads = schema_revisions(app)
    if current == heads:
        return
    where = display_url(app)
    if not current:
        raise SchemaOutOfDateError(
            f"The database {where} has no tables yet. Run `reviewer db upgrade` to create them, then start again."
        )
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current - known:
        raise SchemaOutOfDateError(
            f"The database {where} is at revision {', '.join(sorted(current))}, which this version of "
            "reviewer does not know: it was migrated by a newer version. Run that version, or restore a backup."
        )
    raise SchemaOutOfDateError(
        f"The database {where} is at revision {', '.join(sorted(current))} but this version of reviewer "
        f"needs {', '.join(sorted(heads))}. Run `reviewer db upgrade`, then start again."
    )
