"""Fixtures for the scale-out test: a fresh PostgreSQL database, a redis-server, a site built with loadgen.

PostgreSQL comes from REVIEWER_TEST_POSTGRES_URL (a database of its own is
created on that server and dropped afterwards); redis-server is started on a
free loopback port. Either missing: skipped locally, a failure in CI
(REVIEWER_TEST_REQUIRE_ALL=1), like the other PostgreSQL and browser tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOT_CONFTEST = ROOT / "tests" / "conftest.py"
sys.path.insert(0, str(ROOT / "bench"))

from loadgen import create_database, create_site, drop_database, free_port  # noqa: E402
from loadgen.site import Site  # noqa: E402


def skip_or_fail(config: pytest.Config, reason: str) -> None:
    """tests/conftest.py's skip_or_fail (every conftest is module `conftest`, so ask pytest for it)."""
    root = config.pluginmanager.get_plugin(str(ROOT_CONFTEST))
    if root is None:
        raise RuntimeError(f"{ROOT_CONFTEST} is not loaded")
    root.skip_or_fail(reason)


@pytest.fixture
def redis_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A redis-server of this test's own (no persistence), on a free loopback port; stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail(request.config, "redis-server is not installed (apt-get install redis-server): the scale-out test needs it")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        client = redis.Redis.from_url(url)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        pytest.fail(f"redis-server on port {port} did not answer within 10 s")
                    time.sleep(0.05)
        finally:
            client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


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
