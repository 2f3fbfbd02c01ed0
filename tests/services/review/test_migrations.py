"""Migrations 0003_drafting and 0004_review match the models, and go down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from reviewer.db import alembic_config, get_database
from reviewer.models import metadata

OURS = {"inbound_posts", "drafts", "draft_versions", "approvals", "review_actions"}


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if isinstance(part, str) and part in OURS | {"org_accounts"}:
            return part
        if name in OURS:
            return name
    return None


def test_the_schema_matches_the_models(app) -> None:
    engine = get_database(app).engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, metadata) if _table_of(d) in OURS | {"org_accounts"}]
    assert diffs == []


def test_down_to_0002_and_up_again(app) -> None:
    engine = get_database(app).engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002_audit")
    names = set(inspect(engine).get_table_names())
    assert not names & OURS
    assert "response_target_minutes" not in {c["name"] for c in inspect(engine).get_columns("org_accounts")}
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert OURS <= set(inspect(engine).get_table_names())
    columns = {c["name"]: c for c in inspect(engine).get_columns("org_accounts")}
    assert "response_target_minutes" in columns
