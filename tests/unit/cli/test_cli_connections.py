"""Commands close their database connections: none is left for the garbage collector.

psycopg warns (ResourceWarning) when a connection is garbage-collected while
still open, which is what an app's engine does if a command never disposes it.
"""

from __future__ import annotations

import gc
import warnings

import pytest
from click.testing import CliRunner

from reviewer.cli import main


@pytest.fixture
def cli_env(app, monkeypatch):
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("REVIEWER_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REVIEWER_POLICY_DIR", app.config["POLICY_DIR"])
    return app


@pytest.mark.parametrize(
    "args",
    [
        ["db", "current"],
        ["audit", "verify"],
        ["report", "--from", "2026-01-01", "--to", "2026-01-02", "--account", "4242", "--out", "unused.pdf"],
    ],
    ids=["db-current", "audit-verify", "report-bad-account"],
)
def test_commands_leave_no_open_connection_behind(cli_env, args) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CliRunner().invoke(main, args)
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []
