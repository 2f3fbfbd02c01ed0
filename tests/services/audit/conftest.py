"""Audit test databases: a SQLite file per test, and PostgreSQL when REVIEWER_TEST_POSTGRES_URL is set.

Each PostgreSQL test gets its own schema (dropped afterwards), so these
tests never collide with other tests using the same database. Only the
audit tables are created, through `metadata.create_all`, which installs
the append-only triggers and the head row exactly as migration 0002 does.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from reviewer.orm import Base

from audit_db import AUDIT_TABLES, sqlite_engine
from skips import skip_or_fail


@pytest.fixture
def postgres_base_url(request: pytest.FixtureRequest) -> str:
    url = os.environ.get("REVIEWER_TEST_POSTGRES_URL")
    if not url:
        skip_or_fail("REVIEWER_TEST_POSTGRES_URL is not set: no PostgreSQL to test on")
    return url


@pytest.fixture
def postgres_schema_engine(postgres_base_url: str) -> Iterator[Callable[[], Engine]]:
    """Make engines whose search_path is one throwaway schema (the same for every engine made)."""
    schema = f"audit_test_{secrets.token_hex(6)}"
    admin = create_engine(postgres_base_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    made: list[Engine] = []

    def make() -> Engine:
        engine = create_engine(postgres_base_url, connect_args={"options": f"-csearch_path={schema}"})
        made.append(engine)
        return engine

    try:
        yield make
    finally:
        for engine in made:
            engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database on each dialect."""
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "audit.db")
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("postgres_schema_engine")()


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    """A database holding the audit tables, triggers and head row."""
    Base.metadata.create_all(bare_engine, tables=AUDIT_TABLES)
    return bare_engine


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def sessions(engine: Engine, key: bytes) -> sessionmaker[Session]:
    """A sessionmaker like the app's: the audit key in `info`."""
    return sessionmaker(bind=engine, info={"audit_key": key})


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def alice() -> SimpleNamespace:
    """A user-like actor: the audit core needs only `.id` and `.username`."""
    return SimpleNamespace(id=7, username="alice")
