"""The app refuses to start on a database that is not at the latest migration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer import create_app
from reviewer.db import SchemaOutOfDateError, get_database, upgrade

FLASK = Path(sys.executable).with_name("flask")


def test_an_unmigrated_database_is_refused_with_the_command_to_run(tmp_path) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    with pytest.raises(SchemaOutOfDateError) as caught:
        create_app(config)
    assert "has no tables yet" in caught.value.message
    assert "Run `reviewer db upgrade`" in caught.value.message


def test_a_database_one_migration_behind_is_refused(tmp_path) -> None:
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}"}
    app = create_app(config | {"SCHEMA_CHECK": False})
    upgrade(app, "0001_accounts")
    get_database(app).engine.dispose()
    with pytest.raises(SchemaOutOfDateError, match=r"is at revision 0001_accounts but this version of reviewer needs"):
        create_app(config)
    upgrade(app)
    get_database(app).engine.dispose()
    create_app(config)  # up to date: starts


def test_a_database_from_a_newer_version_is_refused(tmp_path) -> None:
    from sqlalchemy import text

    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    app = create_app(config | {"SCHEMA_CHECK": False})
    upgrade(app)
    with get_database(app).engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    get_database(app).engine.dispose()
    with pytest.raises(SchemaOutOfDateError, match="migrated by a newer version"):
        create_app(config)


@pytest.mark.slow  # a fresh `flask` process loads the whole app
def test_flask_run_exits_with_the_message_and_no_traceback(tmp_path) -> None:
    env = os.environ | {"REVIEWER_INSTANCE_PATH": str(tmp_path), "REVIEWER_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    result = subprocess.run(
        [str(FLASK), "--app", "reviewer", "run", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert "Run `reviewer db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_migrations_build_exactly_the_models(app) -> None:
    """No drift: what `reviewer db upgrade` builds is what the models describe (both databases)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from reviewer.models import metadata

    with get_database(app).engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert differences == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", "is not usable"),
        ("nosuchdb://x/y", "is not usable"),
        ("postgresql+psycopg://nobody@127.0.0.1:9/none", "Cannot open the database"),
    ],
)
def test_a_bad_database_url_is_a_clear_error(tmp_path, url, words) -> None:
    from reviewer.db import DatabaseConfigError

    with pytest.raises(DatabaseConfigError, match=words):
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
