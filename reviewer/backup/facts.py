"""What a database holds, read the same way from a snapshot, a restored copy or the live one.

The schema revision (alembic_version), the audit chain's head (the anchor
a backup promises) and row counts of the main tables, so a restore can say
what it brought back and check it brought back everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, inspect, select, table, column

COUNTED_TABLES = (
    "users", "org_accounts", "inbound_posts", "drafts", "draft_versions", "review_actions", "audit_events",
)
#: A database with a row in any of these holds an agency's data: restore refuses to overwrite it without --force.
DATA_TABLES = ("users", "org_accounts", "inbound_posts", "drafts", "audit_events")


@dataclass(frozen=True)
class Facts:
    revision: str | None
    anchor: str | None  # SEQ:HASH of the last audit event, None when there is none
    counts: dict[str, int]


def read_facts(connection: Connection) -> Facts:
    names = set(inspect(connection).get_table_names())
    revision = None
    if "alembic_version" in names:
        revision = connection.execute(select(column("version_num")).select_from(table("alembic_version"))).scalar()
    anchor = None
    if "audit_events" in names:
        events = table("audit_events", column("seq"), column("hash"))
        row = connection.execute(select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)).first()
        anchor = f"{row.seq}:{row.hash}" if row else None
    counts = {
        name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in COUNTED_TABLES
        if name in names
    }
    return Facts(revision, anchor, counts)


def has_data(connection: Connection) -> bool:
    """True when any table in DATA_TABLES has a row (a freshly migrated database has none)."""
    names = set(inspect(connection).get_table_names())
    return any(
        connection.execute(select(1).select_from(table(name)).limit(1)).first() is not None
        for name in DATA_TABLES
        if name in names
    )
