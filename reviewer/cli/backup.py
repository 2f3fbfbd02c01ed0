"""`reviewer backup create DEST_DIR`, `reviewer backup verify SRC_DIR`, `reviewer backup restore SRC_DIR [--force]`.

A backup folder holds the database (SQLite online backup, or pg_dump
--format=custom), audit.key (mode 0600) and manifest.json (sha256 of every
file, schema revision, time, app version, the chain's head as an anchor).
Exit status 0 on success, 1 when the backup cannot be made, checked or
restored (the message says what and where), 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path

import click

from reviewer.cli.errors import database_unusable

_PG_BIN = click.option(
    "--pg-bin", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder with pg_dump/pg_restore (default: /usr/lib/postgresql/<server major>/bin, then PATH).",
)
_KEY_FILE = click.option(
    "--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The audit key, when it is kept apart from the backup folder.",
)


def _app():
    """The app for its configuration and database; no toxicity model, any schema revision."""
    from reviewer import create_app

    return create_app({"TOXICITY": "none", "SCHEMA_CHECK": False})


def _run(action) -> None:
    from sqlalchemy.exc import DBAPIError

    from reviewer.backup import BackupError

    try:
        outcome = action()
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise database_unusable(exc) from None
    for line in outcome.lines:
        click.echo(line)


@click.group("backup")
def backup() -> None:
    """Back up and restore the database and the audit key."""


@backup.command("create")
@click.argument("dest_dir", type=click.Path(path_type=Path))
@_PG_BIN
def create_cli(dest_dir: Path, pg_bin: Path | None) -> None:
    """Write a backup into DEST_DIR (new or empty); audited as backup.created."""
    from reviewer.backup import create_backup

    app = _app()
    _run(lambda: create_backup(app, dest_dir, pg_bin=pg_bin))


@backup.command("verify")
@click.argument("src_dir", type=click.Path(path_type=Path))
@_KEY_FILE
@_PG_BIN
def verify_cli(src_dir: Path, key_file: Path | None, pg_bin: Path | None) -> None:
    """Check a backup without restoring it (sha256s; for SQLite also integrity, counts and the audit chain)."""
    from reviewer.backup import verify_backup

    _run(lambda: verify_backup(src_dir, key_file=key_file, pg_bin=pg_bin))


@backup.command("restore")
@click.argument("src_dir", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@_KEY_FILE
@_PG_BIN
def restore_cli(src_dir: Path, force: bool, key_file: Path | None, pg_bin: Path | None) -> None:
    """Restore SRC_DIR into DATABASE_URL and the instance folder (stop the app first), then verify the chain."""
    from reviewer.backup import restore_backup

    app = _app()
    _run(lambda: restore_backup(app, src_dir, force=force, key_file=key_file, pg_bin=pg_bin))


commands = [backup]
