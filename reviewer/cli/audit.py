"""`reviewer audit verify [--anchor SEQ:HASH]`: check the audit chain, name the first bad event.

Exit status: 0 when the chain verifies, 1 when it does not (or the check
could not run), 2 for a malformed anchor (a usage error).
"""

from __future__ import annotations

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
def verify_cli(anchor: tuple[int, str] | None) -> None:
    """Check every event's hash, HMAC and link; print OK with the head, or the first bad event."""
    from reviewer import create_app
    from reviewer.audit.services import session_key
    from reviewer.db import app_session

    app = create_app()
    with app_session(app) as session:
        # A long check must not hold SQLite's write lock (see reviewer.audit.sqlite).
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        try:
            message, status = verify_command(session, session_key(session), anchor)
        except AuditError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(message)
    click.get_current_context().exit(status)


commands = [audit]
