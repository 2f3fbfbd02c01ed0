"""PostgreSQL: pg_dump --format=custom from an exported snapshot, and pg_restore --clean back.

The dump runs with `--snapshot` of a REPEATABLE READ transaction that also
reads the schema revision, the chain's head and the counts, so the manifest
describes exactly what the dump holds while the app goes on writing.

The client tools are looked up as: `--pg-bin DIR`, then
/usr/lib/postgresql/<server major>/bin (Debian/Ubuntu), then PATH. pg_dump
cannot dump a newer server, and pg_restore cannot read an archive from a
newer pg_dump: both are checked, with a message saying which tools to use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine

from reviewer.backup.manifest import BackupError

DEBIAN_BIN = "/usr/lib/postgresql/{major}/bin"
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
TIMEOUT_SECONDS = 6 * 60 * 60  # a dump or restore that runs longer than this is stuck


def server_version(connection: Connection) -> tuple[int, str]:
    """(major, "15.18") of the server."""
    number = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
    return number // 10000, connection.exec_driver_sql("SHOW server_version").scalar_one().split()[0]


def find_tool(name: str, major: int, pg_bin: Path | None) -> Path:
    """The pg_dump / pg_restore to use; BackupError naming where it looked."""
    candidates = []
    if pg_bin is not None:
        candidates.append(Path(pg_bin) / name)
    else:
        candidates.append(Path(DEBIAN_BIN.format(major=major)) / name)
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(str(c) for c in candidates) or "PATH"
    raise BackupError(
        f"{name} not found (looked at {looked}): install the PostgreSQL {major} client tools "
        f"(Debian/Ubuntu: apt-get install postgresql-client-{major}) or pass --pg-bin DIR"
    )


def tool_version(tool: Path) -> tuple[int, str]:
    """(major, "15.18") of a client tool, from `--version`."""
    try:
        output = subprocess.run([str(tool), "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError as exc:
        raise BackupError(f"{tool}: cannot run it ({exc.strerror})") from None
    match = _VERSION.search(output)
    if not match:
        first = output.strip().splitlines()[0] if output.strip() else ""
        raise BackupError(f"{tool}: `--version` printed {first!r}, not a PostgreSQL version")
    return int(match.group(1)), f"{match.group(1)}.{match.group(2) or 0}"


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it (never on a command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    bare = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )  # no password: `url.set(password=None)` would keep it
    return bare.render_as_string(hide_password=False), env


@contextmanager
def exported_snapshot(engine: Engine) -> Iterator[tuple[Connection, str]]:
    """A REPEATABLE READ transaction and its exported snapshot id, open for as long as the block runs."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            yield connection, snapshot


def dump(pg_dump: Path, url: URL, snapshot: str, destination: Path) -> None:
    """pg_dump --format=custom of the whole database, as of `snapshot`, into `destination` (mode 0600)."""
    target, env = libpq_target(url)
    command = [str(pg_dump), "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={destination}", f"--dbname={target}"]
    _run(command, env, "pg_dump")
    os.chmod(destination, 0o600)


def check_archive(pg_restore: Path, archive: Path) -> int:
    """`pg_restore --list`: the archive is readable; returns how many entries it lists."""
    result = subprocess.run(
        [str(pg_restore), "--list", str(archive)], capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{archive}: pg_restore cannot read it: {_last_lines(result.stderr)}")
    return sum(1 for line in result.stdout.splitlines() if line and not line.startswith(";"))


def restore(pg_restore: Path, url: URL, archive: Path) -> None:
    """pg_restore --clean into the database `url` names, in one transaction (all or nothing)."""
    target, env = libpq_target(url)
    command = [
        str(pg_restore), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
        "--exit-on-error", "--no-password", f"--dbname={target}", str(archive),
    ]
    _run(command, env, "pg_restore")


def _run(command: list[str], env: dict[str, str], name: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS, check=False)
    except OSError as exc:
        raise BackupError(f"{command[0]}: cannot run it ({exc.strerror})") from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{name} ran longer than {TIMEOUT_SECONDS} s and was stopped") from None
    if result.returncode != 0:
        raise BackupError(f"{name} failed (exit status {result.returncode}): {_last_lines(result.stderr)}")


def _last_lines(text: str, count: int = 5) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no message"
