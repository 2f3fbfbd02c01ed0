"""Fixtures for the scale-out test: a fresh PostgreSQL database, a redis-server, a site built with loadgen.

PostgreSQL comes from REVIEWER_TEST_POSTGRES_URL (a database of its own is
created on that server and dropped afterwards); redis-server is started on a
free loopback port. Either missing: skipped locally, a failure in CI
(REVIEWER_TEST_REQUIRE_ALL=1), like the other PostgreSQL and browser tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from loadgen import create_database, create_site, drop_database
from loadgen.site import Site

ROOT = Path(__file__).resolve().parents[2]
ROOT_CONFTEST = ROOT / "tests" / "conftest.py"


def skip_or_fail(config: pytest.Config, reason: str) -> None:
    """tests/conftest.py's skip_or_fail (every conftest is module `conftest`, so ask pytest for it)."""
    root = config.pluginmanager.get_plugin(str(ROOT_CONFTEST))
    if root is None:
        raise RuntimeError(f"{ROOT_CONFTEST} is not loaded")
    root.skip_or_fail(reason)


@pytest.fixture
def redis_url(redis_server) -> str:
    """The URL of a redis-server of this test's own (tests/conftest.py's redis_server)."""
    return redis_server.url


@pytest.fixture
def postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database (reviewer_scaleout_<random>) on the test PostgreSQL server, dropped afterwards."""
    base = os.environ.get("REVIEWER_TEST_POSTGRES_URL")
    if not base:
        skip_or_fail(request.config, "REVIEWER_TEST_POSTGRES_URL is not set: no PostgreSQL for the scale-out test")
    url = create_database(base, "reviewer_scaleout")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def site(tmp_path: Path, postgres_database: str) -> Site:
    """A migrated site on that database: staff, approvers (two per group), an auditor, two accounts."""
    return create_site(tmp_path / "site", postgres_database, staff=6, approvers=8, auditors=1, toxicity="none")
