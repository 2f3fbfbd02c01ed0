"""Database triggers that make `audit_events` append-only, per dialect.

Used by migration 0002 and by `metadata.create_all` (through the table's
`after_create` hook in models.py), so every way of building the schema gets
them. SQLite: BEFORE UPDATE / BEFORE DELETE triggers that RAISE(ABORT).
PostgreSQL: a plpgsql function that raises, fired BEFORE UPDATE OR DELETE
for each row and BEFORE TRUNCATE for the statement.
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

_CREATE = {"sqlite": _SQLITE_CREATE, "postgresql": _POSTGRESQL_CREATE}
_DROP = {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRESQL_DROP}


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


def install(connection: Connection) -> None:
    for statement in create_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    for statement in drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
