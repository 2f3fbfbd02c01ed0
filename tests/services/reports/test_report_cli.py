"""`reviewer report ...`: the PDF, the audit event, and clear errors for bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from reviewer.cli import main


@pytest.fixture
def cli_env(app, monkeypatch):
    """Point the command's own app at this test's database and instance folder (same audit key)."""
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("REVIEWER_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REVIEWER_POLICY_DIR", app.config["POLICY_DIR"])
    monkeypatch.setenv("REVIEWER_AGENCY_NAME", "Test Agency")
    return app


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


@pytest.fixture
def open_umask():
    """The common 022 umask (open() would make files 0644): reports must still be 0600."""
    import os

    old = os.umask(0o022)
    yield
    os.umask(old)


def test_report_command_writes_the_pdf_and_audits_it(cli_env, make_account, make_draft, db_session, tmp_path, open_umask) -> None:
    from reviewer.audit import AuditEvent

    account = make_account("@CliCity", name="Cli City")
    make_draft("approved", account=account)
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report", "--from", _today(), "--to", _today(), "--account", "@clicity", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output and "1 drafts" in result.output and "audit chain verified" in result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert out.stat().st_mode & 0o777 == 0o600  # the report holds people's texts
    db_session.rollback()
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "report.generated")).one()
    data = json.loads(event.data)
    assert data["via"] == "cli" and data["account_id"] == account.id and event.actor_name is None


def test_without_dates_the_report_covers_the_last_30_days(cli_env, make_account, make_draft, tmp_path) -> None:
    make_draft("approved", account=make_account("@CliCity", name="Cli City"))
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 drafts" in result.output and "No drafts were written" not in result.output
    assert out.read_bytes().startswith(b"%PDF-")


def test_an_empty_period_says_so_and_how_to_choose_another(cli_env, make_account, make_draft, tmp_path) -> None:
    make_draft("approved", account=make_account("@CliCity", name="Cli City"))
    result = CliRunner().invoke(main, ["report", "--from", "2026-01-01", "--to", "2026-01-31", "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 0, result.output
    assert "0 drafts" in result.output
    assert "No drafts were written from 2026-01-01 to 2026-01-31: choose another period with --from and --to." in result.output


def test_the_default_period_ends_today_and_runs_30_days() -> None:
    from datetime import date, timedelta

    from reviewer.cli.report import default_period

    today = datetime.now(timezone.utc).date()
    assert default_period(None, None) == (today - timedelta(days=29), today)
    assert default_period(None, date(2026, 3, 31)) == (date(2026, 3, 2), date(2026, 3, 31))
    assert default_period(date(2026, 3, 1), None) == (date(2026, 3, 1), today)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-01", "--to", "2026-01-01"], "is before the start"),
        (["--from", "2026-13-01", "--to", "2026-01-01"], "'2026-13-01' does not match the format"),
        (["--from", "2026-01-01", "--to", "2026-01-02", "--account", "@nobody"], "no account with handle '@nobody'"),
        (["--from", "2026-01-01", "--to", "2026-01-02", "--account", "4242"], "no organisation account has id 4242"),
        (["--from", "9999-12-01", "--to", "9999-12-31"], "out of range"),  # the day after the end does not exist
        (["--from", "2026-01-01", "--to", "2026-01-02", "--account", "4²"], "no account with handle '4²'"),
        (["--from", "2026-01-01", "--to", "2026-01-02", "--account", str(2**63)], "no organisation account has id"),
    ],
)
def test_bad_input_is_a_clear_error(cli_env, tmp_path, args, message) -> None:
    result = CliRunner().invoke(main, ["report", *args, "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.pdf").exists()


def test_a_missing_output_folder_is_named(cli_env, tmp_path) -> None:
    result = CliRunner().invoke(main, ["report", "--from", "2026-01-01", "--to", "2026-01-02", "--out", str(tmp_path / "no" / "r.pdf")])
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.slow
def test_jobs_worker_command_renders_a_queued_report(cli_env, make_account, make_draft, make_user, db_session, open_umask) -> None:
    """`reviewer jobs worker` (a real process, huey on SQLite) picks up a job the web app queued."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from reviewer.reports.data import period_of
    from reviewer.reports.jobs import report_pdf_path, report_status, submit_report

    make_draft("approved", account=make_account("@WorkerCity"))
    auditor = make_user(roles=["auditor"])
    since, until = period_of(datetime.now(timezone.utc).date(), datetime.now(timezone.utc).date())
    job_id = submit_report(cli_env, auditor, since=since, until=until, account_id=None, drafts=1)
    worker = subprocess.Popen(
        [sys.executable, "-m", "reviewer", "jobs", "worker"], env=os.environ.copy(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and getattr(report_status(cli_env, job_id), "state", None) not in ("done", "failed"):
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=60)
    status = report_status(cli_env, job_id)
    assert status.state == "done", (status, output[-2000:])
    assert "Job worker: 1 thread(s)" in output
    assert report_pdf_path(cli_env, job_id).read_bytes().startswith(b"%PDF-")
    assert report_pdf_path(cli_env, job_id).stat().st_mode & 0o777 == 0o600


def test_a_redis_queue_needs_the_redis_client(make_app) -> None:
    import importlib.util

    from reviewer.jobs import JobsUnavailable, jobs_of

    jobs = jobs_of(make_app(REDIS_URL="redis://127.0.0.1:6399/0"))
    assert jobs.describe() == "Redis redis://127.0.0.1:6399/0"
    if importlib.util.find_spec("redis") is None:
        with pytest.raises(JobsUnavailable, match="pip install redis"):
            jobs.huey  # noqa: B018 -- made on first use, which is what refuses
    else:
        assert type(jobs.huey).__name__ == "RedisHuey"
