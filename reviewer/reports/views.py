"""The auditors' report page: pick a period and account, get the PDF.

A report over at most `REPORTS_INLINE_MAX_DRAFTS` drafts (default 300) is
rendered in the request and downloaded at once; a bigger one is queued as a
background job (huey) with a progress page that polls a small JSON status
endpoint (`static/reports.js`; without JavaScript the page refreshes itself)
and a download link when the PDF is ready.

Rendering reads in a deferred session and the audit events are written in
a short transaction afterwards, so a render never holds SQLite's write lock.
Every generation is audited `report.generated`, every download
`report.downloaded`.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, render_template, send_file, url_for
from werkzeug.wrappers import Response

from reviewer.db import get_database, get_session, read_session

from reviewer.orm import commit_keeping_loaded, utcnow
from reviewer.orgs.services import list_accounts
from reviewer.reports.data import ReportInputError, count_drafts, period_of
from reviewer.jobs import JobsUnavailable
from reviewer.reports.forms import ReportForm, last_full_month
from reviewer.reports.jobs import ReportJob, report_pdf_path, report_status, submit_report
from reviewer.reports.services import (
    DEFAULT_AGENCY,
    INLINE_MAX_DRAFTS,
    generate_report,
    record_download,
    record_generated,
)
from reviewer.web import signed_in_user
from reviewer.web.access import role_required
from reviewer.web.refusals import refusal_for

bp = Blueprint("reports", __name__, url_prefix="/reports")
ROLES = ("auditor", "admin")



def _inline_limit() -> int:
    value = current_app.config.get("REPORTS_INLINE_MAX_DRAFTS")
    return INLINE_MAX_DRAFTS if value is None else int(value)


def _form() -> ReportForm:
    form = ReportForm()
    form.set_accounts([(str(a.id), a.label) for a in list_accounts(get_session())])
    return form


def _end_request_transaction() -> None:
    """End the request session's transaction (it only read the user), keeping what it loaded.

    A POST's session takes SQLite's write lock on its first statement; the
    report must not hold it while it renders.
    """
    commit_keeping_loaded(get_session())


def _write(action: Any) -> None:
    """Run `action(session)` in a short writing transaction of its own and commit it."""
    with get_database().sessions() as session:
        action(session)
        session.commit()


@bp.route("/", methods=["GET"])
@role_required(*ROLES)
def index():
    """The form: period and account."""
    form = _form()
    if not form.is_submitted():  # start on the last full month (UTC)
        form.since.data, form.until.data = last_full_month(utcnow().date())
    return render_template("reports/index.html", form=form, inline_limit=_inline_limit())


@bp.route("/generate", methods=["POST"])
@role_required(*ROLES)
def generate():
    """Render a small report now (a download), or queue a big one and show its progress page."""
    form = _form()
    if not form.validate():
        for name, errors in form.errors.items():
            field = getattr(form, name, None)
            label = field.label.text if field is not None else ""
            for error in errors:
                flash(f"{label}: {error}" if label else error, "error")
        return render_template("reports/index.html", form=form, inline_limit=_inline_limit()), 422
    me = signed_in_user()
    _end_request_transaction()
    since, until = period_of(form.since.data, form.until.data)
    account_id = form.account_id
    agency = current_app.config.get("AGENCY_NAME") or DEFAULT_AGENCY
    with read_session() as session:
        drafts = count_drafts(session, since, until, account_id)
        if drafts > _inline_limit():
            made = None
        else:
            try:
                made = generate_report(session, me, since=since, until=until, account_id=account_id, agency=agency)
            except ReportInputError as error:
                flash(f"The report could not be made: {error}.", "error")
                return render_template("reports/index.html", form=form, inline_limit=_inline_limit()), refusal_for(error).status
    if made is None:
        try:
            job_id = submit_report(current_app, me, since=since, until=until, account_id=account_id, drafts=drafts)
        except JobsUnavailable as error:
            flash(str(error), "error")
            return render_template("reports/index.html", form=form, inline_limit=_inline_limit()), refusal_for(error).status
        flash(f"The report covers {drafts:,} drafts: it is being made in the background.", "success")
        return Response(status=303, headers={"Location": url_for("reports.job", job_id=job_id)})

    def audit(session: Any) -> None:
        record_generated(session, me, made, account_id=account_id, via="web")
        record_download(session, me, filename=made.filename, pdf_sha256=made.sha256)

    _write(audit)
    return send_file(io.BytesIO(made.pdf), mimetype="application/pdf", as_attachment=True, download_name=made.filename)


def _my_job(job_id: str) -> ReportJob:
    """The job's record when it is this user's; 404 otherwise (other people's jobs stay private)."""
    status = report_status(current_app, job_id)
    if status is None or status.user_id != signed_in_user().id:
        abort(404)
    return status


@bp.route("/jobs/<job_id>", methods=["GET"])
@role_required(*ROLES)
def job(job_id: str):
    """The progress page of a background report."""
    status = _my_job(job_id)
    return render_template("reports/job.html", status=status, job_id=job_id)


@bp.route("/jobs/<job_id>/status", methods=["GET"])
@role_required(*ROLES)
def job_status(job_id: str):
    """What the progress page polls: state, stage, percent, and the download link once done."""
    status = _my_job(job_id)
    body = {key: getattr(status, key) for key in ("state", "stage", "percent", "error", "filename")}
    if status.state == "done":
        body["download_url"] = url_for("reports.download", job_id=job_id)
    return jsonify(body)


@bp.route("/jobs/<job_id>/download", methods=["GET"])
@role_required(*ROLES)
def download(job_id: str):
    """The finished PDF (audited `report.downloaded`)."""
    status = _my_job(job_id)
    path = report_pdf_path(current_app, job_id)
    if status.state == "expired":
        return render_template("reports/job.html", status=status, job_id=job_id), 410
    if status.state != "done" or not path.is_file():
        flash("That report is not ready yet.", "error")
        return render_template("reports/job.html", status=status, job_id=job_id), 409
    me = signed_in_user()
    pdf = path.read_bytes()
    filename = status.filename or f"compliance-{job_id}.pdf"
    _write(lambda session: record_download(session, me, filename=filename, pdf_sha256=status.pdf_sha256 or "", job_id=job_id))
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename)
