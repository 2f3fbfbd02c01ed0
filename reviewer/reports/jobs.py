"""Big reports in the background, with huey: queue, progress, the finished PDF.

The queue is `SqliteHuey` in `instance/jobs.sqlite3` (config `JOBS_DATABASE`)
or `RedisHuey` when `REDIS_URL` (env `REVIEWER_REDIS_URL`) is set. The web
app queues a job and polls its status; `reviewer jobs worker` runs the
consumer. A job's status (state, stage, percent, the PDF's sha256) lives in
huey's key-value store, so the page and the worker see the same thing on
SQLite and on Redis; the PDF goes to `instance/reports/<job id>.pdf`.

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
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask import Flask

from reviewer.db import app_session, read_session
from reviewer.reports.data import ReportInputError
from reviewer.reports.services import DEFAULT_AGENCY, generate_report, record_generated

EXTENSION_KEY = "reviewer.report_jobs"
TASK_NAME = "reviewer.reports.generate"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_KEEP_HOURS = 72
log = logging.getLogger(__name__)


class JobsUnavailable(RuntimeError):
    """The job queue cannot be set up (e.g. REDIS_URL set but the redis package missing)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class ReportJobs:
    """One app's report queue: submit, status, the finished file, and the consumer."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.reports_dir = Path(app.config.get("REPORTS_DIR") or Path(app.instance_path) / "reports")
        self._huey: Any = None
        self._task: Any = None

    # --- the queue ---------------------------------------------------------------------

    @property
    def huey(self) -> Any:
        """The huey instance, made on first use (so an app that never queues creates no file)."""
        if self._huey is None:
            self._huey = self._make_huey()
            self._task = self._huey.task(name=TASK_NAME)(self._run)
        return self._huey

    def _ensure_task(self) -> Any:
        """The registered huey task (registering it with the queue on first use)."""
        if self._huey is None:
            self._huey = self.huey
        return self._task

    def _make_huey(self) -> Any:
        redis_url = self.app.config.get("REDIS_URL")
        if redis_url:
            try:
                from huey import RedisHuey
                import redis  # noqa: F401 - RedisHuey needs it; say so plainly when it is missing
            except ImportError as error:
                raise JobsUnavailable(
                    f"REDIS_URL is set but the redis client is not installed ({error}); "
                    "pip install redis, or unset REVIEWER_REDIS_URL to use the SQLite queue"
                ) from None
            return RedisHuey("reviewer", url=str(redis_url))
        from huey import SqliteHuey

        path = Path(self.app.config.get("JOBS_DATABASE") or Path(self.app.instance_path) / "jobs.sqlite3")
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("reviewer", filename=str(path))

    def describe(self) -> str:
        redis_url = self.app.config.get("REDIS_URL")
        if redis_url:
            return f"Redis {redis_url}"
        return str(self.app.config.get("JOBS_DATABASE") or Path(self.app.instance_path) / "jobs.sqlite3")

    def consumer(self, workers: int = 1) -> Any:
        """A huey consumer with thread workers (call `.run()` to block, `.start()`/`.stop()` in tests).

        Report files past their keep time are removed first."""
        self.remove_expired_files()
        return self.huey.create_consumer(
            workers=workers, worker_type="thread", periodic=False, check_worker_health=False, max_delay=1.0
        )

    # --- jobs ---------------------------------------------------------------------------

    def submit(self, user: Any, *, since: datetime, until: datetime, account_id: int | None, drafts: int) -> str:
        """Queue a report for `user`; returns the job id (the status says `queued` at once)."""
        task = self._ensure_task()
        job_id = secrets.token_hex(16)
        self._save(
            job_id,
            {
                "id": job_id,
                "state": "queued",
                "stage": "Waiting for a worker",
                "percent": 0,
                "user_id": user.id,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "first_day": since.date().isoformat(),
                "last_day": (until - timedelta(microseconds=1)).date().isoformat(),
                "account_id": account_id,
                "drafts": drafts,
                "created_at": _now(),
            },
        )
        task(job_id, user.id, since.isoformat(), until.isoformat(), account_id)
        return job_id

    def status(self, job_id: str) -> dict[str, Any] | None:
        """The job's status, or None for an id that is malformed or unknown."""
        if not JOB_ID.match(job_id or ""):
            return None
        status = self.huey.get(self._key(job_id), peek=True)
        if status is not None and status.get("state") == "done" and _past_keep(status, self.keep_hours):
            status = self._expire(job_id, status)
        return status

    def pdf_path(self, job_id: str) -> Path:
        if not JOB_ID.match(job_id):
            raise ValueError(f"not a job id: {job_id!r}")
        return self.reports_dir / f"{job_id}.pdf"

    @property
    def keep_hours(self) -> int:
        """How long a finished PDF is kept (REPORT_FILE_KEEP_HOURS)."""
        value = self.app.config.get("REPORT_FILE_KEEP_HOURS")
        return DEFAULT_KEEP_HOURS if value is None else int(value)

    def remove_expired_files(self, now: datetime | None = None) -> int:
        """Remove every report file (finished or half-written) older than the keep time; returns how many."""
        if not self.reports_dir.is_dir():
            return 0
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(hours=self.keep_hours)
        removed = 0
        for path in self.reports_dir.glob("*.pdf"):
            if JOB_ID.match(path.stem) and _modified_before(path, cutoff):
                status = self.huey.get(self._key(path.stem), peek=True)
                if status is not None and status.get("state") == "done":
                    self._expire(path.stem, status)
                else:
                    path.unlink(missing_ok=True)
                removed += 1
        for path in self.reports_dir.glob(".*.pdf.*.tmp"):
            if _modified_before(path, cutoff):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _expire(self, job_id: str, status: dict[str, Any]) -> dict[str, Any]:
        self.pdf_path(job_id).unlink(missing_ok=True)
        status.update(state="expired", stage="Removed", expired_at=_now(), keep_hours=self.keep_hours)
        self._save(job_id, status)
        return status

    def _key(self, job_id: str) -> str:
        return f"report-job:{job_id}"

    def _save(self, job_id: str, status: dict[str, Any]) -> None:
        self.huey.put(self._key(job_id), status)

    def _update(self, job_id: str, **changes: Any) -> None:
        status = self.status(job_id) or {"id": job_id}
        status.update(changes)
        self._save(job_id, status)

    # --- the task (runs in the worker) -----------------------------------------------

    def _run(self, job_id: str, user_id: int, since: str, until: str, account_id: int | None) -> None:
        from reviewer.accounts.models import User

        self._update(job_id, state="running", stage="Starting", percent=1, started_at=_now())

        def progress(stage: str, percent: int) -> None:
            self._update(job_id, stage=stage, percent=min(int(percent), 99))

        try:
            with read_session(self.app) as session:
                user = session.get(User, user_id)
                if user is None:
                    raise ReportInputError(f"the user {user_id} who asked for this report no longer exists")
                made = generate_report(
                    session,
                    user,
                    since=datetime.fromisoformat(since),
                    until=datetime.fromisoformat(until),
                    account_id=account_id,
                    agency=self.app.config.get("AGENCY_NAME") or DEFAULT_AGENCY,
                    progress=progress,
                )
            self.reports_dir.mkdir(parents=True, exist_ok=True)
            target = self.pdf_path(job_id)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temporary.write_bytes(made.pdf)
            temporary.replace(target)
            with app_session(self.app) as session:
                record_generated(
                    session, session.get(User, user_id), made, account_id=account_id, via="background", job_id=job_id
                )
                session.commit()
        except ReportInputError as error:
            self._update(job_id, state="failed", stage="Failed", error=str(error), finished_at=_now())
            return
        except Exception as error:  # noqa: BLE001 - the page must learn the job died, not wait forever
            log.exception("report job %s failed", job_id)
            self._update(
                job_id, state="failed", stage="Failed", error=f"the report could not be made ({type(error).__name__}: {error})",
                finished_at=_now(),
            )
            return
        self._update(
            job_id,
            state="done",
            stage="Ready to download",
            percent=100,
            filename=made.filename,
            pdf_sha256=made.sha256,
            bytes=len(made.pdf),
            finished_at=_now(),
        )
        self.remove_expired_files()


def _past_keep(status: dict[str, Any], keep_hours: int) -> bool:
    finished = status.get("finished_at")
    if not finished:
        return False
    return datetime.fromisoformat(finished) < datetime.now(timezone.utc) - timedelta(hours=keep_hours)


def _modified_before(path: Path, cutoff: datetime) -> bool:
    try:
        return path.stat().st_mtime < cutoff.timestamp()
    except FileNotFoundError:  # another worker removed it first
        return False


def jobs_of(app: Flask) -> ReportJobs:
    """The app's report queue (made once per app; `current_app` is unwrapped, the worker thread has no context)."""
    unwrap = getattr(app, "_get_current_object", None)
    app = unwrap() if unwrap is not None else app
    jobs = app.extensions.get(EXTENSION_KEY)
    if jobs is None:
        jobs = app.extensions[EXTENSION_KEY] = ReportJobs(app)
    return jobs


@contextmanager
def consumer_running(jobs: ReportJobs, workers: int = 1) -> Iterator[Any]:
    """A real huey consumer with thread workers inside this process, stopped on exit (tests, benchmarks).

    huey's consumer installs signal handlers; they are put back as they were.
    """
    names = ("SIGTERM", "SIGINT", "SIGHUP")
    saved = {getattr(signal, n): signal.getsignal(getattr(signal, n)) for n in names if hasattr(signal, n)}
    consumer = jobs.consumer(workers)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for number, handler in saved.items():
            signal.signal(number, handler)
