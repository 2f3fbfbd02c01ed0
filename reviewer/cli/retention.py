"""`reviewer retention purge [--dry-run] [--days N]`: remove the texts of drafts finished N days ago.

Days come from `--days`, else RETENTION_DRAFT_TEXT_DAYS; when neither is
set texts are kept forever and the command says so (exit status 2). A run
is one transaction: the texts and its `retention.purged` audit event
commit together. Run it daily from cron (docs/backups-and-retention.md).
"""

from __future__ import annotations

import click

from reviewer.cli.errors import database_unusable


@click.group("retention")
def retention() -> None:
    """Apply the retention policy to stored texts."""


@retention.command("purge")
@click.option("--days", type=click.IntRange(min=0), default=None, help="Keep texts this many days after a draft finished (default: RETENTION_DRAFT_TEXT_DAYS).")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
def purge_cli(days: int | None, dry_run: bool) -> None:
    """Replace the texts of posted and rejected drafts (and the posts they answered) with markers; audited."""
    from sqlalchemy.exc import DBAPIError

    from reviewer import create_app
    from reviewer.audit.chain import AuditError
    from reviewer.db import app_session
    from reviewer.retention import RetentionError, purge, retention_days

    app = create_app({"TOXICITY": "none"})
    try:
        keep = retention_days(app.config.get("RETENTION_DRAFT_TEXT_DAYS"), days)
    except RetentionError as exc:
        raise click.UsageError(str(exc)) from None
    with app_session(app) as session:
        try:
            result = purge(session, None, keep, dry_run=dry_run)
            if not dry_run:
                session.commit()
        except AuditError as exc:
            raise click.ClickException(str(exc)) from None
        except DBAPIError as exc:
            raise database_unusable(exc) from None
    click.echo(result.describe())


commands = [retention]
