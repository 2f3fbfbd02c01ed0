"""Apps on databases of their own (SQLite files, or whole PostgreSQL databases made and dropped here).

Backups dump a whole database, so these tests never use the shared test
database's throwaway schemas: on PostgreSQL each test creates databases
`rvbk_<random>_<name>` on the REVIEWER_TEST_POSTGRES_URL server and drops
them afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from skips import skip_or_fail
from sqlalchemy import create_engine, make_url

ROOT_CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def root_conftest(config: pytest.Config):
    """tests/conftest.py as loaded by pytest (every conftest is module `conftest`, so ask pytest for it)."""
    root = config.pluginmanager.get_plugin(str(ROOT_CONFTEST))
    if root is None:
        raise RuntimeError(f"{ROOT_CONFTEST} is not loaded")
    return root


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fresh_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """fresh_url(name): the URL of a new, empty database of this test's kind."""
    made: list[str] = []
    base = os.environ.get("REVIEWER_TEST_POSTGRES_URL")
    if kind == "postgres" and not base:
        skip_or_fail("REVIEWER_TEST_POSTGRES_URL is not set: no PostgreSQL to test backups on")
    admin = create_engine(base, isolation_level="AUTOCOMMIT") if kind == "postgres" else None

    def make(name: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / name}.sqlite3"
        database = f"rvbk_{secrets.token_hex(4)}_{name}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {database}")
        made.append(database)
        return make_url(base).set(database=database).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as connection:
            for database in made:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def build_app(tmp_path: Path, policy_dir: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    """build_app(url, instance_name): a migrated app on `url` with its own instance folder (its own audit key)."""
    from reviewer import create_app
    from reviewer.db import get_database, upgrade

    apps = []

    def build(url: str, instance: str, migrate: bool = True):
        app = create_app(root_conftest(request.config).app_config(tmp_path / instance, url, policy_dir, TOXICITY="none"))
        apps.append(app)
        if migrate:
            upgrade(app)
        return app

    yield build
    for app in apps:
        get_database(app).engine.dispose()
