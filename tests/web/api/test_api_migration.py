"""Migration 0005_api_tokens matches the ApiToken model, and goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from reviewer.api.models import ApiToken
from reviewer.db import alembic_config, get_database

TABLE = ApiToken.__tablename__


def _about_api_tokens(diff) -> bool:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        table = getattr(part, "table", None)
        if getattr(part, "name", None) == TABLE or getattr(table, "name", None) == TABLE or part == TABLE:
            return True
    return False


def test_the_table_matches_the_model(app) -> None:
    with get_database(app).engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, ApiToken.metadata) if _about_api_tokens(d)]
    assert diffs == []


def test_down_to_0004_and_up_again(app) -> None:
    engine = get_database(app).engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004_review")
    assert TABLE not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert TABLE in inspect(engine).get_table_names()
    assert {"ix_api_tokens_user_id"} <= {index["name"] for index in inspect(engine).get_indexes(TABLE)}


def test_tokens_made_before_expiry_existed_get_90_days_from_the_upgrade(app, make_user, make_token, db_session) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from reviewer.orm import utcnow

    make_token(make_user("before.expiry", roles=["staff"]))
    db_session.close()
    engine = get_database(app).engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0009_notify_notifications")
    assert "expires_at" not in {column["name"] for column in inspect(engine).get_columns(TABLE)}
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    expires_at = db_session.scalar(select(ApiToken.expires_at))
    assert abs(expires_at - (utcnow() + timedelta(days=90))) < timedelta(minutes=1)
    assert not inspect(engine).get_columns(TABLE)[-1]["nullable"]
