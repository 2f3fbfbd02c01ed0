"""`reviewer audit verify [--anchor SEQ:HASH] [--anchors FILE] [--reconcile] [--file EXPORT.jsonl [--key-file KEY]]`,
`reviewer audit anchor [--out FILE] [--syslog]`, `reviewer audit init-key` and
`reviewer audit export --from D --to D --format jsonl|csv --out FILE`.

`verify --reconcile` then checks the drafts, versions and approvals against
what the events recorded (reviewer.audit.reconcile), naming each row that
disagrees. `anchor` verifies the chain (against the anchors already in FILE too) and
then writes the signed head outside the database: appended to FILE, sent
to syslog, and printed. Run it on a schedule; `verify --anchors FILE` then
catches a cut tail without anyone noting a head by hand.

`verify` checks the trail in the database, or (with `--file`) an export
offline, with no database: with `--key-file` every HMAC too, without it the
hashes and links only, and it says so. Exit status: 0 when the chain (or
file) verifies, 1 when it does not (or the check could not run), 2 for a
usage error (a malformed anchor, a missing file).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

from reviewer.audit.chain import AuditError, VerifyResult, parse_anchor
from reviewer.numbers import whole_number

ANCHOR_HELP = (
    "A head noted earlier, as printed by this command (SEQ:HASH). The check fails "
    "if the chain no longer holds that event: it catches a cut tail."
)


def _anchor_option(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    try:
        return parse_anchor(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def describe(result: VerifyResult) -> str:
    """The one line a person (or a script) reads."""
    if result.ok:
        head = f"{result.head[0]}:{result.head[1]}" if result.head else "none (the chain is empty)"
        return f"OK: {result.count} events, head {head}"
    bad = result.first_bad
    line = f"FAILED at event {bad.seq}: {bad.reason}"
    if bad.seq == 1 and bad.reason == "HMAC mismatch":
        line += "\nhint: if every event fails its HMAC, instance/audit.key is not the key that signed this chain"
    return line


def verify_command(
    session, key: bytes, anchor: tuple[int, str] | None, anchors: list[tuple[int, str]] | None = None,
    *, reconcile: bool = False,
) -> tuple[str, int]:
    """Verify the chain in `session` with `key` (and, with `reconcile`, the domain rows); (message, exit status)."""
    from reviewer.audit import verify

    result = verify(session, key, anchor, anchors or ())
    message, status = describe(result), 0 if result.ok else 1
    if reconcile:
        from reviewer.audit.reconcile import reconcile as reconcile_rows

        found = reconcile_rows(session, upto=result.head[0] if result.head else 0)
        message += "\n" + found.describe()
        status = status or (0 if found.ok else 1)
    return message, status


ANCHORS_HELP = (
    "A file of signed heads written by `reviewer audit anchor --out`. Every line's HMAC is checked, "
    "then the chain must still hold each anchored event."
)


def load_anchors(path: Path | None, key: bytes) -> list[tuple[int, str]]:
    """The anchors in `path` (none when it is None or does not exist yet); ClickException for a bad line."""
    from reviewer.audit.anchors import read_anchors

    if path is None or not path.exists():
        return []
    try:
        with path.open(encoding="utf-8") as lines:
            return read_anchors(lines, key, str(path))
    except (AuditError, UnicodeDecodeError, OSError) as exc:
        raise click.ClickException(f"FAILED: {exc}") from None


@click.group("audit")
def audit() -> None:
    """Check the tamper-evident audit trail."""


@audit.command("verify")
@click.option("--anchor", metavar="SEQ:HASH", callback=_anchor_option, help=ANCHOR_HELP)
@click.option(
    "--file",
    "export_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check this JSON Lines export offline instead of the database.",
)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The audit key (a copy of instance/audit.key), to check the HMACs of an export too.",
)
@click.option(
    "--anchors", "anchors_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help=ANCHORS_HELP
)
@click.option(
    "--reconcile", is_flag=True,
    help="Also check every draft, version and approval against what the events recorded "
    "(text hashes, decisions, approvers); each row that disagrees is named.",
)
def verify_cli(
    anchor: tuple[int, str] | None, export_file: Path | None, key_file: Path | None, anchors_file: Path | None,
    reconcile: bool,
) -> None:
    """Check every event's hash, HMAC and link, and the signed head; print OK with the head, or the first bad event."""
    if export_file is not None and (anchors_file is not None or reconcile):
        raise click.UsageError("--anchors and --reconcile check the database; for an export use --anchor SEQ:HASH")
    if export_file is not None:
        message, status = verify_file(export_file, key_file, anchor)
        click.echo(message)
        click.get_current_context().exit(status)
    if key_file is not None:
        raise click.UsageError("--key-file goes with --file (the database check uses the instance's key)")
    from reviewer import create_app
    from reviewer.audit.services import session_key

    app = create_app()
    with reading_session(app) as session:
        try:
            key = session_key(session)
            message, status = verify_command(session, key, anchor, load_anchors(anchors_file, key), reconcile=reconcile)
        except AuditError as exc:
            raise click.ClickException(str(exc)) from None
    if status:
        _tell_of_failure(app, message.splitlines()[0])
    click.echo(message)
    click.get_current_context().exit(status)


def _tell_of_failure(app, what: str) -> None:
    """Administrators and auditors (and the "*" webhooks) hear of a failed check, as from the web page."""
    from reviewer.db import app_session, get_database
    from reviewer.notify.outbox import verification_failed

    try:
        with app_session(app) as session:
            verification_failed(session, None, None, what)
            session.commit()
    finally:
        get_database(app).engine.dispose()  # as reading_session: no pooled connection left behind


@audit.command("anchor")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path),
    help="Append the signed head to this file (made 0600); keep it where database administrators cannot write.",
)
@click.option("--syslog", "to_syslog", is_flag=True, help="Also send the signed head to syslog (facility auth).")
@click.option(
    "--syslog-address", default="/dev/log", show_default=True, metavar="PATH|HOST:PORT",
    help="The syslog socket, or a host and UDP port.",
)
def anchor_cli(out: Path | None, to_syslog: bool, syslog_address: str) -> None:
    """Verify the chain, then write its signed head outside the database (a file, syslog, and stdout).

    Exit status 1, and nothing written, when the chain (or an anchor already in --out) fails.
    """
    from reviewer import create_app
    from reviewer.audit.anchors import anchor_line
    from reviewer.audit.services import recorded_head, session_key
    from reviewer.orm import utcnow

    with reading_session(create_app()) as session:
        try:
            key = session_key(session)
            message, status = verify_command(session, key, None, load_anchors(out, key))
            head = recorded_head(session) if status == 0 else None
        except AuditError as exc:
            raise click.ClickException(str(exc)) from None
    if status != 0:
        click.echo(message)
        click.echo("No anchor written: investigate the failure first.", err=True)
        click.get_current_context().exit(1)
    if head is None or head.seq == 0:
        click.echo("Nothing to anchor: the chain is empty.")
        return
    line = anchor_line(head, utcnow())
    if out is not None:
        append_line(out, line)
    if to_syslog:
        send_to_syslog(line, syslog_address)
    click.echo(line)


@audit.command("init-key")
def init_key_cli() -> None:
    """Make this instance's audit key (instance/audit.key, 0600), once, while the audit trail is empty.

    Production never makes the key on its own: run this before the first `reviewer db upgrade`, then
    back the key up. Refused (exit 1) when the database already holds events: restore their key instead.
    An existing key is kept, never replaced.
    """
    from reviewer import create_app
    from reviewer.audit.key_setup import init_key
    from reviewer.db import get_database

    app = create_app({"TOXICITY": "none", "SCHEMA_CHECK": False})
    try:
        path, made = init_key(app.instance_path, get_database(app).engine)
    except AuditError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        get_database(app).engine.dispose()
    if made:
        click.echo(f"Made the audit key {path} (mode 0600). Back it up with the database; every instance needs this file.")
    else:
        click.echo(f"The audit key {path} already exists; kept (a key is never replaced).")


def append_line(path: Path, line: str) -> None:
    """Append one line and fsync it; the file is made owner-only (0600)."""
    import os

    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot append the anchor ({exc.strerror})") from None


def send_to_syslog(line: str, address: str) -> None:
    """Send `reviewer-audit-anchor: LINE` to syslog at `address` (a socket path, or HOST:PORT over UDP)."""
    import logging.handlers

    host, sep, port = address.rpartition(":")
    target: str | tuple[str, int] = address
    port_number = whole_number(port, 65535) if sep and not address.startswith("/") else None
    if port_number is not None:
        target = (host, port_number)
    try:
        handler = logging.handlers.SysLogHandler(address=target, facility=logging.handlers.SysLogHandler.LOG_AUTH)
    except OSError as exc:
        raise click.ClickException(f"syslog at {address}: {exc.strerror or exc}") from None
    try:
        record = logging.LogRecord("reviewer.audit", logging.INFO, __file__, 0, "reviewer-audit-anchor: %s", (line,), None)
        handler.emit(record)
    finally:
        handler.close()


@contextmanager
def reading_session(app):
    """A session for a long read (SQLite's deferred BEGIN: no write lock); the engine's connections closed after."""
    from reviewer.db import app_session, get_database

    try:
        with app_session(app) as session:
            session.connection(execution_options={"sqlite_begin": "DEFERRED"})
            yield session
    finally:
        get_database(app).engine.dispose()  # no pooled connection left for the garbage collector


def verify_file(path: Path, key_file: Path | None, anchor: tuple[int, str] | None) -> tuple[str, int]:
    """Check an export offline; return (message, exit status)."""
    from reviewer.audit.keys import read_key_file
    from reviewer.audit.offline import check_export

    try:
        key = read_key_file(key_file) if key_file is not None else None
    except AuditError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with path.open(encoding="utf-8", newline="") as lines:
            result = check_export(lines, key, anchor)
    except UnicodeDecodeError as exc:
        return f"FAILED: {path} is not UTF-8 text ({exc.reason} at byte {exc.start}): not a JSON Lines export", 1
    return result.describe(), 0 if result.ok else 1


def _day(ctx: click.Context, param: click.Parameter, value: str | None):
    from reviewer.audit.browse import FilterError, parse_bound

    try:
        return parse_bound(value, param.name or "date", end=param.name == "until")
    except FilterError as exc:
        raise click.BadParameter(exc.message, ctx=ctx, param=param) from None


@audit.command("export")
@click.option("--from", "since", metavar="DATE", callback=_day, help="First UTC day (YYYY-MM-DD) or an ISO time; default: the start.")
@click.option("--to", "until", metavar="DATE", callback=_day, help="Last UTC day, included (or an ISO time, excluded); default: now.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True, help="The file to write.")
def export_cli(since, until, fmt: str, out: Path) -> None:
    """Write an evidence export of a period (every event with both hashes); audited as `audit.exported`."""
    from reviewer import create_app
    from reviewer.audit import export
    from reviewer.db import app_session

    if since and until and since >= until:
        raise click.BadParameter("must be after --from", param_hint="'--to'")
    app = create_app()
    with app_session(app) as session:
        try:
            span = export.resolve_range(session, since, until)
            export.record_export(session, None, fmt, span, via="cli")
            session.commit()
        except (AuditError, export.ExportError) as exc:
            raise click.ClickException(str(exc)) from None
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        try:
            with out.open("w", encoding="utf-8", newline="") as handle:
                written = export.write(session, fmt, span, handle)
        except OSError as exc:
            raise click.ClickException(f"{out}: cannot write the export ({exc.strerror})") from None
    click.echo(f"Wrote {written} events (seq {span.low}..{span.high}) to {out}")
    if fmt == "jsonl":
        click.echo(f"Check it offline: reviewer audit verify --file {out} --key-file instance/audit.key")


commands = [audit]
