"""Database triggers that make `audit_events` append-only and guard `audit_head`, per dialect.

Used by migrations 0002 and 0010 and by `metadata.create_all` (through the
tables' `after_create` hooks in models.py), so every way of building the
schema gets them. SQLite: BEFORE UPDATE / BEFORE DELETE triggers that
RAISE(ABORT). PostgreSQL: plpgsql functions that raise, fired BEFORE UPDATE
OR DELETE for each row and BEFORE TRUNCATE for the statement.

The head row may be updated in two ways only: keeping its seq and hash (the
append's claim, which takes the lock, and signing), or moving forward onto
the last event (an event with exactly that seq and hash, and none after it).
It cannot be deleted. The head's HMAC (chain.compute_head_mac) is what an
attacker who drops the triggers still cannot forge.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from reviewer.audit.chain import AuditError

EVENTS_TABLE = "audit_events"
APPEND_ONLY_MESSAGE = "audit events are append-only"

_SQLITE_CREATE = [
    f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON {EVENTS_TABLE}
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON {EVENTS_TABLE}
BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
]

_POSTGRESQL_CREATE = [
    f"""CREATE FUNCTION audit_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{APPEND_ONLY_MESSAGE}: ' || TG_OP || ' refused on ' || TG_TABLE_NAME;
END
$$""",
    f"""CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON {EVENTS_TABLE}
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change()""",
    f"""CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON {EVENTS_TABLE}
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change()""",
]
_POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS audit_events_no_truncate ON {EVENTS_TABLE}",
    f"DROP TRIGGER IF EXISTS audit_events_no_update_or_delete ON {EVENTS_TABLE}",
    "DROP FUNCTION IF EXISTS audit_events_reject_change()",
]

HEAD_TABLE = "audit_head"
HEAD_MESSAGE = "the audit head moves only forward, onto the last event, and is never deleted"
_HEAD_UPDATE_OK = f"""(NEW.id = OLD.id AND (
    (NEW.seq = OLD.seq AND NEW.hash = OLD.hash)
    OR (NEW.seq > OLD.seq
        AND EXISTS (SELECT 1 FROM {EVENTS_TABLE} WHERE seq = NEW.seq AND hash = NEW.hash)
        AND NOT EXISTS (SELECT 1 FROM {EVENTS_TABLE} WHERE seq > NEW.seq))))"""

_SQLITE_HEAD_CREATE = [
    f"""CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON {HEAD_TABLE}
WHEN NOT {_HEAD_UPDATE_OK}
BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON {HEAD_TABLE}
BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END""",
]
_SQLITE_HEAD_DROP = [
    "DROP TRIGGER IF EXISTS audit_head_forward_only",
    "DROP TRIGGER IF EXISTS audit_head_no_delete",
]
_POSTGRESQL_HEAD_CREATE = [
    f"""CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF {_HEAD_UPDATE_OK} THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION USING MESSAGE = '{HEAD_MESSAGE}: ' || TG_OP || ' refused on ' || TG_TABLE_NAME;
END
$$""",
    f"""CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON {HEAD_TABLE}
FOR EACH ROW EXECUTE FUNCTION audit_head_guard()""",
    f"""CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON {HEAD_TABLE}
FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard()""",
]
_POSTGRESQL_HEAD_DROP = [
    f"DROP TRIGGER IF EXISTS audit_head_no_truncate ON {HEAD_TABLE}",
    f"DROP TRIGGER IF EXISTS audit_head_forward_only ON {HEAD_TABLE}",
    "DROP FUNCTION IF EXISTS audit_head_guard()",
]

_CREATE = {"sqlite": _SQLITE_CREATE, "postgresql": _POSTGRESQL_CREATE}
_DROP = {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRESQL_DROP}
_HEAD_CREATE = {"sqlite": _SQLITE_HEAD_CREATE, "postgresql": _POSTGRESQL_HEAD_CREATE}
_HEAD_DROP = {"sqlite": _SQLITE_HEAD_DROP, "postgresql": _POSTGRESQL_HEAD_DROP}


def _for(dialect_name: str, table: dict[str, list[str]]) -> list[str]:
    try:
        return list(table[dialect_name])
    except KeyError:
        raise AuditError(
            f"append-only audit triggers exist for {', '.join(sorted(table))} only; "
            f"this database is {dialect_name}"
        ) from None


def create_statements(dialect_name: str) -> list[str]:
    """The DDL that installs the triggers on `dialect_name`."""
    return _for(dialect_name, _CREATE)


def drop_statements(dialect_name: str) -> list[str]:
    """The DDL that removes them (used by the downgrade, and by tamper tests)."""
    return _for(dialect_name, _DROP)


def install_events(connection: Connection) -> None:
    """The append-only triggers of `audit_events` (migration 0002, and `create_all` through models.py)."""
    for statement in create_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def install_head(connection: Connection) -> None:
    """The triggers that guard `audit_head` (migration 0010, and `create_all` after the head row)."""
    for statement in _for(connection.dialect.name, _HEAD_CREATE):
        connection.exec_driver_sql(statement)


def head_drop_statements(dialect_name: str) -> list[str]:
    return _for(dialect_name, _HEAD_DROP)


def install(connection: Connection) -> None:
    """Every trigger of both tables (what tamper tests put back after `uninstall`)."""
    install_events(connection)
    install_head(connection)


def uninstall(connection: Connection) -> None:
    """Drop the triggers of both tables, as an attacker with DDL rights would."""
    for statement in drop_statements(connection.dialect.name) + head_drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
