"""Finding pg_dump / pg_restore and reading their versions: clear errors when they are missing or not PostgreSQL's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import make_url

from reviewer.backup import BackupError
from reviewer.backup.postgres_store import find_tool, libpq_target, tool_version


def test_a_missing_tool_says_where_it_looked_and_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as caught:
        find_tool("pg_dump", 15, tmp_path)
    message = str(caught.value)
    assert f"pg_dump not found (looked at {tmp_path / 'pg_dump'})" in message
    assert "apt-get install postgresql-client-15" in message and "--pg-bin DIR" in message


def test_a_program_that_is_not_postgres_is_refused() -> None:
    echo = Path(shutil.which("true") or "/bin/true")
    with pytest.raises(BackupError, match=r"`--version` printed '.*', not a PostgreSQL version"):
        tool_version(echo)


def test_the_installed_tools_report_their_version() -> None:
    tool = Path("/usr/lib/postgresql/15/bin/pg_dump")
    if not tool.exists():
        pytest.skip("PostgreSQL 15's client tools are not installed here")
    major, version = tool_version(tool)
    assert major == 15 and version.startswith("15.")


def test_the_password_travels_in_the_environment_never_on_the_command_line() -> None:
    target, env = libpq_target(make_url("postgresql+psycopg://app:s3cret@db.example:5433/reviewer?sslmode=require"))
    assert target == "postgresql://app@db.example:5433/reviewer?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret" and "s3cret" not in target
