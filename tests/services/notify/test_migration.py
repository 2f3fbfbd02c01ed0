"""Migration 0009_notify_notifications matches the notify models, and goes down (to 0010, which it follows) and up."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from reviewer.db import alembic_config, get_database
from reviewer.models import metadata

OURS = {"notifications", "notification_preferences", "reminder_steps"}


def _tables_named(diff) -> set[str]:
    """The table names a compare_metadata entry mentions (its parts are tables, columns, indexes, constraints)."""
    items = diff if isinstance(diff, list) else [diff]
    names = set()
    for item in items:
        for part in item[1:]:
            table = getattr(part, "table", None)
            names.add(getattr(table, "name", None) or getattr(part, "name", None) or (part if isinstance(part, str) else None))
    return names


def test_the_schema_matches_the_models(app) -> None:
    with get_database(app).engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, metadata) if _tables_named(d) & OURS]
    assert diffs == []


def test_down_to_the_previous_head_and_up_again(app) -> None:
    engine = get_database(app).engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0010_secauth_head_mac")
    assert not set(inspect(engine).get_table_names()) & OURS
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert OURS <= set(inspect(engine).get_table_names())
