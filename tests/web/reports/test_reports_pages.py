"""The auditors' report page: a small report downloads at once; a big one runs as a real huey job."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fixtures_workflow import BLOCKED_TEXT


@pytest.fixture
def auditor(make_user):
    return make_user("pat", roles=["auditor"], display_name="Pat Hughes")


@pytest.fixture
def drafts(make_account, make_draft):
    account = make_account("@ReportCity", name="Report City")
    return [make_draft("approved", account=account), make_draft("draft", text=BLOCKED_TEXT, account=account)]


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def _events(db_session, action: str) -> list:
    from reviewer.audit import AuditEvent

    db_session.rollback()
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _pdf_text(data: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)


def test_the_form_is_shown_to_auditors(app, auditor, login) -> None:
    client = app.test_client()
    login(client, auditor)
    page = client.get("/reports/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="since"' in body and 'name="until"' in body and "All accounts" in body


def test_a_small_report_downloads_at_once_and_is_audited(app, auditor, login, drafts, db_session) -> None:
    client = app.test_client()
    login(client, auditor)
    response = client.post("/reports/generate", data={"since": _today(), "until": _today(), "account": str(drafts[0].account_id)})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"] and "-account.pdf" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF-")
    text = _pdf_text(response.data)
    assert "Pat Hughes (pat)" in text and "021 555 0199" in text
    generated, downloaded = _events(db_session, "report.generated"), _events(db_session, "report.downloaded")
    assert len(generated) == 1 and len(downloaded) == 1
    assert generated[0].actor_name == "pat" and json.loads(generated[0].data)["via"] == "web"
    assert json.loads(downloaded[0].data)["pdf_sha256"] == json.loads(generated[0].data)["pdf_sha256"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"since": "2026-02-01", "until": "2026-01-01"}, "is before the start"),
        ({"since": "", "until": "2026-01-01"}, "Give the first day"),
        ({"since": "2026-01-01", "until": "not a date"}, "Not a valid date"),
        ({"since": "2026-01-01", "until": "2026-01-02", "account": "999"}, "Not a valid choice"),
        ({"since": "2026-01-01", "until": "9999-12-31"}, "9999-12-31 is out of range"),
        ({"since": "2001-01-01", "until": "2026-01-01"}, "The period is longer than 3660 days"),
    ],
)
def test_bad_input_is_a_clear_message(app, auditor, login, form, message) -> None:
    client = app.test_client()
    login(client, auditor)
    response = client.post("/reports/generate", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.slow
def test_a_big_report_runs_in_the_background_with_progress_and_a_download(make_app, auditor, make_user, login, drafts, db_session) -> None:
    from reviewer.jobs import consumer_running, jobs_of
    from reviewer.reports.jobs import reports_dir

    app = make_app(REPORTS_INLINE_MAX_DRAFTS=0)  # every report with a draft goes to the queue
    client = app.test_client()
    login(client, auditor)
    queued = client.post("/reports/generate", data={"since": _today(), "until": _today()})
    assert queued.status_code == 303
    job_url = queued.location
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    jobs = jobs_of(app)  # the one the request made: the worker must run without a request context
    page = client.get(job_url).get_data(as_text=True)
    assert "<progress" in page and "Waiting for a worker" in page and "reports.js" in page
    assert 'http-equiv="refresh"' in page  # without JavaScript the page refreshes itself
    assert client.get(f"{job_url}/status").get_json()["state"] == "queued"
    assert client.get(f"{job_url}/download").status_code == 409  # not ready yet

    with consumer_running(jobs, workers=2):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get(f"{job_url}/status").get_json()
            if status["state"] in ("done", "failed"):
                break
            time.sleep(0.05)
    assert status["state"] == "done", status
    assert status["download_url"] == f"{job_url}/download" and status["percent"] == 100
    assert (reports_dir(app) / f"{job_id}.pdf").is_file()
    assert "Download" in client.get(job_url).get_data(as_text=True)

    pdf = client.get(status["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    generated, downloaded = _events(db_session, "report.generated"), _events(db_session, "report.downloaded")
    assert [json.loads(e.data)["via"] for e in generated] == ["background"]
    assert json.loads(generated[0].data)["job"] == job_id and generated[0].actor_name == "pat"
    assert len(downloaded) == 1 and json.loads(downloaded[0].data)["job"] == job_id

    # Someone else's job is not there for them.
    other = make_user("kim", roles=["auditor"])
    other_client = app.test_client()
    login(other_client, other)
    assert other_client.get(job_url).status_code == 404
    assert other_client.get(f"{job_url}/download").status_code == 404


def test_a_finished_report_file_is_removed_after_the_keep_time(make_app, auditor, login, drafts) -> None:
    """Report PDFs hold people's texts: once REPORT_FILE_KEEP_HOURS have passed the file goes, the page says
    so, and the download answers 410; the worker also sweeps old files (and half-written ones) at start-up."""
    import os
    from datetime import timedelta

    from reviewer.jobs import consumer_running, jobs_of
    from reviewer.reports.jobs import report_pdf_path, reports_dir, update_report_job

    app = make_app(REPORTS_INLINE_MAX_DRAFTS=0, REPORT_FILE_KEEP_HOURS=1)
    client = app.test_client()
    login(client, auditor)
    job_url = client.post("/reports/generate", data={"since": _today(), "until": _today()}).location
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    jobs = jobs_of(app)
    with consumer_running(jobs):
        deadline = time.monotonic() + 60
        while client.get(f"{job_url}/status").get_json()["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.05)
    pdf = report_pdf_path(app, job_id)
    assert client.get(f"{job_url}/download").status_code == 200 and pdf.is_file()

    two_hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    update_report_job(app, job_id, finished_at=two_hours_ago.isoformat())
    status = client.get(f"{job_url}/status").get_json()
    assert status["state"] == "expired" and "download_url" not in status
    assert not pdf.exists()
    page = client.get(job_url).get_data(as_text=True)
    assert "removed 1 hour after it was made" in page and "Download" not in page and "reports.js" not in page
    gone = client.get(f"{job_url}/download")
    assert gone.status_code == 410 and "removed 1 hour after it was made" in gone.get_data(as_text=True)

    old, fresh = reports_dir(app) / f"{'a' * 32}.pdf", reports_dir(app) / f"{'b' * 32}.pdf"
    half_written = reports_dir(app) / f".{'c' * 32}.pdf.4242.tmp"
    for path in (old, fresh, half_written):
        path.write_bytes(b"%PDF-")
    for path in (old, half_written):
        os.utime(path, (two_hours_ago.timestamp(), two_hours_ago.timestamp()))
    with consumer_running(jobs):
        pass
    assert not old.exists() and not half_written.exists() and fresh.exists()


def test_unknown_and_malformed_job_ids_are_not_found(app, auditor, login) -> None:
    client = app.test_client()
    login(client, auditor)
    assert client.get("/reports/jobs/" + "0" * 32).status_code == 404
    assert client.get("/reports/jobs/../../etc/status").status_code == 404
    assert client.get("/reports/jobs/x%2F..%2Fy/download").status_code == 404
