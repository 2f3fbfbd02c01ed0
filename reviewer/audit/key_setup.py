"""Who may make the audit key: development on its own, production only through `reviewer audit init-key`.

A production instance that finds no `audit.key` has lost it, or was pointed
at the wrong instance folder: making a new key there would start a chain that
cannot verify the old one, unnoticed. So production loads the key or goes
without (start-up then refuses, naming the path and what to run), and
`init_key` makes one only while the database holds no audit event.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select

from reviewer.audit.keys import AuditKeyError, key_path, load_key, load_or_create_key
from reviewer.audit.models import AuditEvent

INIT_COMMAND = "reviewer audit init-key"
RESTORE = ("restore audit.key from backup (`reviewer backup restore`, or copy it from an instance serving this "
           "database) and check that REVIEWER_INSTANCE_PATH names the right folder")


def startup_key(instance_path: str | os.PathLike[str], production: bool) -> bytes | None:
    """The key an app starts with: made if missing in development; in production None when missing."""
    if not production:
        return load_or_create_key(instance_path)
    if not key_path(instance_path).exists():
        return None
    return load_key(instance_path)


def event_count(engine: Engine) -> int:
    """How many audit events the database holds (0 when its tables are not made yet)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(AuditEvent.__tablename__):
            return 0
        return connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def missing_key_problem(instance_path: str | os.PathLike[str], events: int | None) -> str:
    """Why production refuses to start without its key, and what to do (`events`: None when unknown)."""
    path = key_path(instance_path)
    start = (
        f"audit key {path} is missing. Production never makes one on its own: a new key would start a new "
        "audit chain that cannot verify the old one."
    )
    if events:
        return (
            f"{start} The database holds {_events(events)}, signed with the key that was there: {RESTORE}. "
            f"`{INIT_COMMAND}` makes a new key only while the trail is empty"
        )
    return (
        f"{start} For a new installation (an empty audit trail) run `{INIT_COMMAND}` once, then back the key up; "
        "otherwise restore audit.key from backup and check that REVIEWER_INSTANCE_PATH names the right folder"
    )


def init_key(instance_path: str | os.PathLike[str], engine: Engine) -> tuple[Path, bool]:
    """Make the instance's key (mode 0600) if it has none; (path, made). Refuses when events exist."""
    path = key_path(instance_path)
    if path.exists():
        load_key(instance_path)  # a malformed file is an error, not "already there"
        return path, False
    events = event_count(engine)
    if events:
        raise AuditKeyError(
            f"{path}: not made: the database holds {_events(events)}, signed with another key, which a new key "
            f"cannot verify: {RESTORE}"
        )
    load_or_create_key(instance_path)
    return path, True


def _events(count: int) -> str:
    return f"{count} audit event" + ("" if count == 1 else "s")
