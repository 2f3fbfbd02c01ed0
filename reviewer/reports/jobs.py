"""Big reports in the background: the report task, its progress record, the finished PDF.

The queue itself is `reviewer.jobs` (one huey per app). The web app calls
`submit_report`, which stores a `ReportJob` record in the queue's key-value
store (so the page and the worker see the same thing on SQLite and on
Redis) and queues `generate_report_job`; the worker updates the record as
it goes and writes the PDF to `instance/reports/<job id>.pdf`.

A finished PDF holds people's texts, so it is kept `REPORT_FILE_KEEP_HOURS`
(default 72) and then removed: a status read after that time removes it and
says `expired`, and the worker sweeps older files (and half-written ones
left by a crash) when it starts and after each job.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask import Flask

from reviewer.db import app_session, read_session
from reviewer.jobs import jobs_of, on_worker_start, task
from reviewer.private_files import make_private_folder, write_private_bytes
from reviewer.reports.data import ReportInputError
from reviewer.reports.services import DEFAULT_AGENCY, generate_report, record_generated

TASK_NAME = "reviewer.reports.generate"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_KEEP_HOURS = 72
log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass(frozen=True)
class ReportJob:
    """What the progress page shows about one background report (times are ISO 8601 UTC strings)."""

    id: str
    user_id: int
    since: str
    until: str
    first_day: str
    last_day: str
    account_id: int | None
    drafts: int
    created_at: str
    state: str = "queued"  # queued | running | done | failed | expired
    stage: str = "Waiting for a worker"
    percent: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    filename: str | None = None
    pdf_sha256: str | None = None
    bytes: int | None = None
    expired_at: str | None = None
    keep_hours: int | None = None

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> ReportJob:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in stored.items() if key in known})


def submit_report(app: Flask, user: Any, *, since: datetime, until: datetime, account_id: int | None, drafts: int) -> str:
    """Queue a report for `user`; returns the job id (the status says `queued` at once)."""
    job_id = secrets.token_hex(16)
    job = ReportJob(
        id=job_id, user_id=user.id, since=since.isoformat(), until=until.isoformat(),
        first_day=since.date().isoformat(), last_day=(until - timedelta(microseconds=1)).date().isoformat(),
        account_id=account_id, drafts=drafts, created_at=_now(),
    )
    _save(app, job)
    jobs_of(app).enqueue(TASK_NAME, job_id, user.id, job.since, job.until, account_id)
    return job_id


def report_status(app: Flask, job_id: str) -> ReportJob | None:
    """The job's record, or None for an id that is malformed or unknown."""
    if not JOB_ID.match(job_id or ""):
        return None
    stored = jobs_of(app).get(_key(job_id))
    if stored is None:
        return None
    job = ReportJob.from_stored(stored)
    if job.state == "done" and _past_keep(job, keep_hours(app)):
        job = _expire(app, job)
    return job


def update_report_job(app: Flask, job_id: str, **changes: Any) -> ReportJob:
    """Change fields of the job's record (the worker's progress; tests move times)."""
    stored = jobs_of(app).get(_key(job_id))
    job = replace(ReportJob.from_stored(stored), **changes)
    _save(app, job)
    return job


def reports_dir(app: Flask) -> Path:
    return Path(app.config.get("REPORTS_DIR") or Path(app.instance_path) / "reports")


def report_pdf_path(app: Flask, job_id: str) -> Path:
    if not JOB_ID.match(job_id):
        raise ValueError(f"not a job id: {job_id!r}")
    return reports_dir(app) / f"{job_id}.pdf"


def keep_hours(app: Flask) -> int:
    """How long a finished PDF is kept (REPORT_FILE_KEEP_HOURS)."""
    value = app.config.get("REPORT_FILE_KEEP_HOURS")
    return DEFAULT_KEEP_HOURS if value is None else int(value)


@on_worker_start
def remove_expired_report_files(app: Flask, now: datetime | None = None) -> int:
    """Remove every report file (finished or half-written) older than the keep time; returns how many."""
    folder = reports_dir(app)
    if not folder.is_dir():
        return 0
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(hours=keep_hours(app))
    removed = 0
    for path in folder.glob("*.pdf"):
        if JOB_ID.match(path.stem) and _modified_before(path, cutoff):
            stored = jobs_of(app).get(_key(path.stem))
            if stored is not None and stored.get("state") == "done":
                _expire(app, ReportJob.from_stored(stored))
            else:
                path.unlink(missing_ok=True)
            removed += 1
    for path in folder.glob(".*.pdf.*.tmp"):
        if _modified_before(path, cutoff):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@task(TASK_NAME)
def generate_report_job(app: Flask, job_id: str, user_id: int, since: str, until: str, account_id: int | None) -> None:
    """The task: render the PDF, store it, audit `report.generated`, and keep the record up to date."""
    from reviewer.accounts.models import User

    update_report_job(app, job_id, state="running", stage="Starting", percent=1, started_at=_now())

    def progress(stage: str, percent: int) -> None:
        update_report_job(app, job_id, stage=stage, percent=min(int(percent), 99))

    try:
        with read_session(app) as session:
            user = session.get(User, user_id)
            if user is None:
                raise ReportInputError(f"the user {user_id} who asked for this report no longer exists")
            made = generate_report(
                session, user, since=datetime.fromisoformat(since), until=datetime.fromisoformat(until),
                account_id=account_id, agency=app.config.get("AGENCY_NAME") or DEFAULT_AGENCY, progress=progress,
            )
        target = report_pdf_path(app, job_id)
        make_private_folder(target.parent)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        write_private_bytes(temporary, made.pdf)
        temporary.replace(target)
        with app_session(app) as session:
            record_generated(session, session.get(User, user_id), made, account_id=account_id, via="background", job_id=job_id)
            session.commit()
    except ReportInputError as error:
        update_report_job(app, job_id, state="failed", stage="Failed", error=str(error), finished_at=_now())
        return
    except Exception as error:  # the page must learn the job died, not wait forever
        log.exception("report job %s failed", job_id)
        update_report_job(
            app, job_id, state="failed", stage="Failed",
            error=f"the report could not be made ({type(error).__name__}: {error})", finished_at=_now(),
        )
        return
    update_report_job(
        app, job_id, state="done", stage="Ready to download", percent=100, filename=made.filename,
        pdf_sha256=made.sha256, bytes=len(made.pdf), finished_at=_now(),
    )
    remove_expired_report_files(app)


def _key(job_id: str) -> str:
    return f"report-job:{job_id}"


def _save(app: Flask, job: ReportJob) -> None:
    jobs_of(app).put(_key(job.id), asdict(job))


def _expire(app: Flask, job: ReportJob) -> ReportJob:
    report_pdf_path(app, job.id).unlink(missing_ok=True)
    expired = replace(job, state="expired", stage="Removed", expired_at=_now(), keep_hours=keep_hours(app))
    _save(app, expired)
    return expired


def _past_keep(job: ReportJob, hours: int) -> bool:
    if not job.finished_at:
        return False
    return datetime.fromisoformat(job.finished_at) < datetime.now(timezone.utc) - timedelta(hours=hours)


def _modified_before(path: Path, cutoff: datetime) -> bool:
    try:
        return path.stat().st_mtime < cutoff.timestamp()
    except FileNotFoundError:  # another worker removed it first
        return False
