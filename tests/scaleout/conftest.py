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
from skips import skip_or_fail



@pytest.fixture
def redis_url(redis_server) -> str:
    """The URL of a redis-server of this test's own (tests/conftest.py's redis_server)."""
    return redis_server.url


@pytest.fixture
def postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database (reviewer_scaleout_<random>) on the test PostgreSQL server, dropped afterwards."""
    base = os.environ.get("REVIEWER_TEST_POSTGRES_URL")
    if not base:
        skip_or_fail("REVIEWER_TEST_POSTGRES_URL is not set: no PostgreSQL for the scale-out test")
    url = create_database(base, "reviewer_scaleout")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def site(tmp_path: Path, postgres_database: str) -> Site:
    """A migrated site on that database: staff, approvers (two per group), an auditor, two accounts."""
    return create_site(tmp_path / "site", postgres_database, staff=6, approvers=8, auditors=1, toxicity="none")
