"""Which database errors mean "cannot do this now, try again" (503) rather than a bug (500).

A request fails this way when PostgreSQL is down or restarting, its
connection was cut, SQLite's disk is full or its file cannot be opened or
written, or the database stayed locked past the busy timeout. The
transaction was rolled back, so nothing of the request was saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class Outage:
    """One kind of database outage and what to tell the person (each means: nothing was saved)."""

    kind: str  # unavailable | full | read_only | busy (the API's error code is database_<kind>)
    title: str
    message: str
    retry_after: int  # seconds, for the Retry-After header


UNAVAILABLE = Outage(
    "unavailable",
    "Database unavailable",
    "The database is unavailable right now, so nothing was saved. Try again in a few seconds.",
    5,
)
FULL = Outage(
    "full",
    "Database full",
    "The database is unavailable because its disk is full, so nothing was saved. "
    "Try again in a minute; if it keeps happening, tell your administrator.",
    30,
)
READ_ONLY = Outage(
    "read_only",
    "Database read-only",
    "The database is unavailable for changes right now (it is read-only), so nothing was saved. "
    "Try again in a minute; if it keeps happening, tell your administrator.",
    30,
)
BUSY = Outage(
    "busy",
    "Database busy",
    "The database is busy, so nothing was saved. Try again in a moment.",
    2,
)

SAVED_FIRST = (
    "Your change was saved, but the database became unavailable before this page could be shown. "
    "Do not send it again: reload the page in a few seconds to see it."
)

UNANSWERED_COMMIT = (
    "The connection to the database was lost while your change was being saved, so it may or may not "
    "have been saved. Reload the page in a few seconds to check before you send it again."
)

# SQLite result codes (Python's sqlite3 names them, extended codes included: SQLITE_IOERR_WRITE, ...).
_SQLITE_CODES = (
    ("SQLITE_FULL", FULL),
    ("SQLITE_BUSY", BUSY),
    ("SQLITE_LOCKED", BUSY),
    ("SQLITE_READONLY", READ_ONLY),
    ("SQLITE_IOERR", UNAVAILABLE),
    ("SQLITE_CANTOPEN", UNAVAILABLE),
    ("SQLITE_NOMEM", BUSY),
    ("SQLITE_PROTOCOL", BUSY),
)
# PostgreSQL SQLSTATEs, longest prefix first.
_SQLSTATES = (
    ("53100", FULL),  # disk_full
    ("25006", READ_ONLY),  # read_only_sql_transaction (a standby)
    ("40001", BUSY),  # serialization_failure
    ("40P01", BUSY),  # deadlock_detected
    ("55P03", BUSY),  # lock_not_available
    ("57014", BUSY),  # query_canceled (statement_timeout)
    ("57P", UNAVAILABLE),  # admin/crash shutdown, cannot connect now (starting or stopping)
    ("08", UNAVAILABLE),  # connection exceptions
    ("53", BUSY),  # insufficient resources: out of memory, too many connections
    ("58", UNAVAILABLE),  # system errors (I/O)
)


def classify(error: BaseException) -> Outage | None:
    """The outage `error` shows, or None when it is not one (a bug or bad data: a 500)."""
    if isinstance(error, PoolTimeoutError):
        return BUSY  # every pooled connection stayed in use past the pool timeout
    if not isinstance(error, DBAPIError):
        return None
    if error.connection_invalidated:
        return UNAVAILABLE  # SQLAlchemy saw the connection drop (and will not hand it out again)
    original = error.orig
    name = getattr(original, "sqlite_errorname", None)
    if name:
        return next((outage for prefix, outage in _SQLITE_CODES if name.startswith(prefix)), None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate:
        return next((outage for prefix, outage in _SQLSTATES if sqlstate.startswith(prefix)), None)
    if isinstance(error, (OperationalError, InterfaceError)) and not _is_sqlite(error):
        return UNAVAILABLE  # a server driver's failure without a SQLSTATE: it could not connect or lost the line
    return None


def lost_the_line(error: BaseException) -> bool:
    """Whether `error` means the database server went away mid-conversation (so a COMMIT sent just
    before may have gone through). SQLite is in the process: a COMMIT it refuses was not made."""
    if not isinstance(error, DBAPIError) or _is_sqlite(error):
        return False
    return error.connection_invalidated or classify(error) is UNAVAILABLE


def _is_sqlite(error: DBAPIError) -> bool:
    return type(error.orig).__module__.startswith("sqlite3")


def describe_cause(error: BaseException) -> str:
    """The driver's reason in one line, for the log: no SQL, no parameters (they may hold people's text)."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    reason = lines[0] if lines else ""
    code = getattr(original, "sqlite_errorname", None) or getattr(original, "sqlstate", None)
    return f"{type(original).__name__}{f' {code}' if code else ''}: {reason}"


# --- Keeping what the person typed -----------------------------------------------------------

_NOT_RESENT = {"csrf_token"}  # a fresh token goes with the form instead
_SECRET_WORDS = ("password", "secret", "token")
_NOT_SHOWN = {"expected_version", "next", "submit", "save"}  # carried as they were, but not worth showing
LONG_TEXT = 60  # characters: longer values (or any with a line break) get a text area


@dataclass(frozen=True)
class KeptField:
    """One submitted form value, to send again: shown as a text area, a short line, or kept hidden."""

    name: str
    value: str
    shown_as: str  # textarea | line | hidden


def resubmittable_fields(form: MultiDict) -> tuple[list[KeptField], bool]:
    """The form's values to offer back, and whether a secret (a password) was left out.

    A form with a secret left out cannot simply be sent again: the person types it afresh.
    """
    kept, dropped_secret = [], False
    for name, value in form.items(multi=True):
        if name in _NOT_RESENT:
            continue
        if any(word in name.lower() for word in _SECRET_WORDS):
            dropped_secret = True
            continue
        if name in _NOT_SHOWN or name.startswith("submit_") or not value:
            shown_as = "hidden"
        elif "\n" in value or len(value) > LONG_TEXT:
            shown_as = "textarea"
        else:
            shown_as = "line"
        kept.append(KeptField(name, value, shown_as))
    return kept, dropped_secret
