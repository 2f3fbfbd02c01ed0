"""`reviewer jobs worker` (the huey consumer) and `reviewer jobs tick` (reminders and delivery, for cron)."""

from __future__ import annotations

import click


def _app():
    """The app without the toxicity model: background jobs never check text."""
    from reviewer import create_app

    return create_app({"TOXICITY": "none"})


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: big PDF reports, notifications, reminders."""


@jobs_group.command("worker")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 8), help="Worker threads.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the periodic tick (reminders, escalation, delivery retries) every minute.")
def worker_command(workers: int, periodic: bool) -> None:
    """Run the job consumer: reports, notification delivery, the periodic tick (stop with Ctrl-C)."""
    import logging

    from reviewer.jobs import JobsUnavailable, jobs_of

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # WeasyPrint's per-page lines go to the job status instead
        handler.addFilter(lambda record: record.name != "weasyprint.progress")
    app = _app()
    try:
        jobs = jobs_of(app)
        click.echo(f"Job worker: {workers} thread(s), queue {jobs.describe()}. Ctrl-C stops it.")
        jobs.consumer(workers=workers, periodic=periodic).run()
    except JobsUnavailable as error:
        raise click.ClickException(str(error)) from None
    finally:
        from reviewer.db import get_database

        get_database(app).engine.dispose()


@jobs_group.command("tick")
def tick_command() -> None:
    """Send due reminders, escalations, digests and notifications once (for cron; the worker does it every minute)."""
    from reviewer.db import get_database
    from reviewer.notify.tasks import tick

    app = _app()
    try:
        report = tick(app, queue_retries=False)
    finally:
        get_database(app).engine.dispose()
    run = report.delivery
    click.echo(f"Reminders {report.reminders}, escalations {report.escalations}, digests {report.digests}; "
               f"delivered {run.sent}, failed {run.failed}, deleted {report.purged} old"
               + (f"; next retry due in {run.next_due_in:.0f} s" if run.next_due_in is not None else ""))
    if run.failed:
        click.get_current_context().exit(1)


commands = [jobs_group]
