"""Alembic environment: runs on the connection `reviewer.db.upgrade` hands over.

Without one (plain `alembic` use), it connects to `sqlalchemy.url` from the
config, or REVIEWER_DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from reviewer.models import metadata

config = context.config
target_metadata = metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("REVIEWER_DATABASE_URL")
    if not url:
        raise SystemExit("No database: use `reviewer db upgrade`, or set REVIEWER_DATABASE_URL.")
    engine = create_engine(url)
    with engine.begin() as connection:
        _configure(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run `reviewer db upgrade`.")
run_migrations()
