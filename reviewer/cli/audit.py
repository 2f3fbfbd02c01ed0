"""`reviewer audit verify [--anchor SEQ:HASH] [--file EXPORT.jsonl [--key-file KEY]]` and
`reviewer audit export --from D --to D --format jsonl|csv --out FILE`.

`verify` checks the trail in the database, or (with `--file`) an export
offline, with no database: with `--key-file` every HMAC too, without it the
hashes and links only, and it says so. Exit status: 0 when the chain (or
file) verifies, 1 when it does not (or the check could not run), 2 for a
usage error (a malformed anchor, a missing file).
"""

from __future__ import annotations

from pathlib import Path

import click

from reviewer.audit.chain import AuditError, VerifyResult, parse_anchor

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


def verify_command(session, key: bytes, anchor: tuple[int, str] | None) -> tuple[str, int]:
    """Verify the chain in `session` with `key`; return (message, exit status)."""
    from reviewer.audit import verify

    result = verify(session, key, anchor)
    return describe(result), 0 if result.ok else 1


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
def verify_cli(anchor: tuple[int, str] | None, export_file: Path | None, key_file: Path | None) -> None:
    """Check every event's hash, HMAC and link; print OK with the head, or the first bad event."""
    if export_file is not None:
        message, status = verify_file(export_file, key_file, anchor)
        click.echo(message)
        click.get_current_context().exit(status)
    if key_file is not None:
        raise click.UsageError("--key-file goes with --file (the database check uses the instance's key)")
    from reviewer import create_app
    from reviewer.audit.services import session_key, verify
    from reviewer.db import app_session

    app = create_app()
    with app_session(app) as session:
        # A long check must not hold SQLite's write lock (see reviewer.audit.sqlite).
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        try:
            result = verify(session, session_key(session), anchor)
        except AuditError as exc:
            raise click.ClickException(str(exc)) from None
    if not result.ok:
        _tell_of_failure(app, result.first_bad)
    click.echo(describe(result))
    click.get_current_context().exit(0 if result.ok else 1)


def _tell_of_failure(app, bad) -> None:  # noqa: ANN001
    """Administrators and auditors (and the "*" webhooks) hear of a failed check, as from the web page."""
    from reviewer.db import app_session
    from reviewer.notify.outbox import verification_failed

    with app_session(app) as session:
        verification_failed(session, None, bad.seq if bad else None, bad.reason if bad else "the chain did not verify")
        session.commit()


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


def _day(ctx: click.Context, param: click.Parameter, value: str | None):  # noqa: ANN202
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
def export_cli(since, until, fmt: str, out: Path) -> None:  # noqa: ANN001
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
