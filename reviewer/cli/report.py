"""`reviewer report [--from D] [--to D] [--account A] --out FILE.pdf`.

The report is rendered in this process (no job queue); `reviewer jobs worker`
(reviewer/cli/jobs.py) renders the big reports the web page queues.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click

from reviewer.numbers import whole_number
from reviewer.private_files import write_private_bytes

DEFAULT_DAYS = 30  # `reviewer report` with no dates: the last 30 days, today included


def _app():
    """The app without the toxicity model: reports never check text."""
    from reviewer import create_app

    return create_app({"TOXICITY": "none"})


def resolve_account(session, wanted: str | None) -> int | None:
    """An account id from `--account`: its number, or its handle (`@HarbourCityNZ`, optionally `platform:handle`)."""
    from sqlalchemy import func, select

    from reviewer.orm import MAX_ID
    from reviewer.orgs.models import OrgAccount

    if wanted is None:
        return None
    text = wanted.strip()
    number = whole_number(text)
    if number is not None:
        if number > MAX_ID or session.get(OrgAccount, number) is None:
            raise click.BadParameter(f"no organisation account has id {text}", param_hint="--account")
        return number
    platform, _, handle = text.rpartition(":")
    query = select(OrgAccount).where(func.lower(OrgAccount.handle) == handle.lower())
    if platform:
        query = query.where(OrgAccount.platform == platform.lower())
    found = list(session.scalars(query))
    if len(found) == 1:
        return found[0].id
    known = ", ".join(f"{a.id}={a.platform}:{a.handle}" for a in session.scalars(select(OrgAccount).order_by(OrgAccount.id)))
    if not found:
        raise click.BadParameter(f"no account with handle {text!r} (accounts: {known or 'none'})", param_hint="--account")
    raise click.BadParameter(
        f"{text!r} matches {len(found)} accounts: give platform:handle or the id (accounts: {known})",
        param_hint="--account",
    )


@click.command("report")
@click.option("--from", "first_day", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help=f"First day (YYYY-MM-DD, UTC; default: {DEFAULT_DAYS - 1} days before --to).")
@click.option("--to", "last_day", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day, included (YYYY-MM-DD, UTC; default: today).")
@click.option("--account", default=None, metavar="A", help="One account: its id or handle (default: all accounts).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Where to write the PDF.")
def report_command(first_day, last_day, account: str | None, out: Path) -> None:
    """Write the PDF compliance report for a period (audited as report.generated); default: the last 30 days."""
    from reviewer.db import app_session, get_database
    from reviewer.reports.data import ReportInputError, period_of
    from reviewer.reports.services import record_generated

    first, last = default_period(_day(first_day) if first_day else None, _day(last_day) if last_day else None)
    try:
        since, until = period_of(first, last)
    except ReportInputError as error:
        raise click.BadParameter(str(error), param_hint="--to") from None
    if out.parent and not out.parent.is_dir():
        raise click.BadParameter(f"the folder {out.parent} does not exist", param_hint="--out")
    app = _app()
    try:
        made, account_id, seconds = _render(app, account, since, until)
        temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        write_private_bytes(temporary, made.pdf)
        temporary.replace(out)
        with app_session(app) as session:
            record_generated(session, None, made, account_id=account_id, via="cli")
            session.commit()
    finally:
        get_database(app).engine.dispose()  # close pooled connections before the process moves on
    summary = made.data.summary
    click.echo(
        f"Wrote {out} ({len(made.pdf):,} bytes, sha256 {made.sha256}) in {seconds:.1f} s: "
        f"{summary.written} drafts, {summary.blocked} blocked, {summary.rejected} rejected; "
        f"audit chain {'verified' if made.data.integrity.ok else 'FAILED verification'}."
    )
    if summary.written == 0:
        click.echo(f"No drafts were written from {first} to {last}: choose another period with --from and --to.")
    if not made.data.integrity.ok:
        sys.exit(1)


def default_period(first: date | None, last: date | None) -> tuple[date, date]:
    """The days a report covers when --from or --to is left out: up to today, DEFAULT_DAYS long."""
    if last is None:
        last = max(datetime.now(timezone.utc).date(), first) if first else datetime.now(timezone.utc).date()
    return (first or last - timedelta(days=DEFAULT_DAYS - 1)), last


def _render(app, account: str | None, since, until):
    """Resolve --account and render the report in a read-only session; (report, account id, seconds)."""
    from reviewer.db import read_session
    from reviewer.reports.data import ReportInputError
    from reviewer.reports.services import DEFAULT_AGENCY, generate_report

    started = time.perf_counter()
    with read_session(app) as session:
        account_id = resolve_account(session, account)
        try:
            made = generate_report(
                session, None, since=since, until=until, account_id=account_id,
                agency=app.config.get("AGENCY_NAME") or DEFAULT_AGENCY,
            )
        except ReportInputError as error:
            raise click.ClickException(str(error)) from None
    return made, account_id, time.perf_counter() - started


def _day(value) -> date:
    return value.date()


commands = [report_command]
