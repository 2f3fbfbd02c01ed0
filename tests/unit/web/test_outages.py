"""Which database errors are outages (503 of which kind) and what the 503 page offers back: no database needed.

The real faults (a full disk, a lock, a cut connection) are in tests/web/test_database_faults.py.
"""

from __future__ import annotations

import pytest

TYPED = "Thanks for telling us about the broken streetlight on Marine Parade.\nA crew will fix it this week."


def test_the_503_page_offers_back_what_was_typed_but_never_a_password() -> None:
    from werkzeug.datastructures import MultiDict

    from reviewer.web.outages import resubmittable_fields

    kept, dropped = resubmittable_fields(
        MultiDict([("csrf_token", "x"), ("text", TYPED), ("author_handle", "@kiri"), ("groups", "comms"),
                   ("groups", "legal"), ("expected_version", "3"), ("submit_reply", "Submit")])
    )
    assert not dropped
    assert [(f.name, f.shown_as) for f in kept] == [
        ("text", "textarea"), ("author_handle", "line"), ("groups", "line"), ("groups", "line"),
        ("expected_version", "hidden"), ("submit_reply", "hidden"),
    ]
    kept, dropped = resubmittable_fields(MultiDict([("username", "sam"), ("password", "hunter2")]))
    assert dropped and [f.name for f in kept] == ["username"]


@pytest.mark.parametrize(
    ("driver_error", "wrapper", "expected"),
    [
        ("DiskFull", "OperationalError", "full"),
        ("AdminShutdown", "OperationalError", "unavailable"),
        ("CannotConnectNow", "OperationalError", "unavailable"),
        ("TooManyConnections", "OperationalError", "busy"),
        ("SerializationFailure", "OperationalError", "busy"),
        ("DeadlockDetected", "OperationalError", "busy"),
        ("QueryCanceled", "OperationalError", "busy"),
        ("ReadOnlySqlTransaction", "InternalError", "read_only"),
        ("UniqueViolation", "IntegrityError", None),
        ("UndefinedTable", "ProgrammingError", None),
    ],
)
def test_postgresql_errors_are_told_apart_by_sqlstate(driver_error: str, wrapper: str, expected: str | None) -> None:
    """PostgreSQL's SQLSTATE decides: outages are 503s of the right kind, bugs and bad data are not."""
    import psycopg.errors
    import sqlalchemy.exc

    from reviewer.web.outages import classify

    error = getattr(sqlalchemy.exc, wrapper)("SELECT 1", {}, getattr(psycopg.errors, driver_error)("from the server"))
    outage = classify(error)
    assert (outage.kind if outage else None) == expected


@pytest.mark.parametrize(
    ("driver_error", "module", "lost"),
    [("AdminShutdown", "psycopg", True), ("OperationalError", "psycopg", True), ("SerializationFailure", "psycopg", False),
     ("OperationalError", "sqlite3", False)],
)
def test_only_a_server_that_went_away_leaves_a_commit_in_doubt(driver_error: str, module: str, lost: bool) -> None:
    """SQLite runs in the process: a COMMIT it refuses was not made. A server gone mid-COMMIT may have made it."""
    import sqlite3

    import psycopg.errors
    import sqlalchemy.exc

    from reviewer.web.outages import lost_the_line

    cause = getattr(psycopg.errors if module == "psycopg" else sqlite3, driver_error)("gone")
    assert lost_the_line(sqlalchemy.exc.OperationalError("COMMIT", {}, cause)) is lost
    assert lost_the_line(RuntimeError("not a database error")) is False
