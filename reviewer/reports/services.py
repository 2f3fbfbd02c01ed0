"""Generate a compliance report and record it in the audit trail.

`(session, actor, ...)`, flush never commit, like every service: the
`report.generated` and `report.downloaded` events commit with the caller's
transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from reviewer.audit import record
from reviewer.reports.data import ReportData, build_report
from reviewer.reports.pdf import Progress, render_pdf

#: Ask for this many drafts or fewer and the page renders the report in the request (config
#: REPORTS_INLINE_MAX_DRAFTS). bench/bench_report.py times 500 drafts (16 pages): seconds of CPU, long for
#: a request already, so bigger reports go to the background queue.
INLINE_MAX_DRAFTS = 300
DEFAULT_AGENCY = "Harbour City Council"  # the demo agency (reviewer.demo.AGENCY); set AGENCY_NAME


@dataclass(frozen=True)
class GeneratedReport:
    pdf: bytes
    data: ReportData
    sha256: str

    @property
    def filename(self) -> str:
        return filename_for(self.data.since, self.data.last_day, self.data.account_filter is not None)


def filename_for(since: datetime, last_day: Any, one_account: bool) -> str:
    scope = "account" if one_account else "all"
    return f"compliance-{since:%Y-%m-%d}-to-{last_day:%Y-%m-%d}-{scope}.pdf"


def who(actor: Any) -> str:
    """How the report names the person who asked for it."""
    if actor is None:
        return "reviewer command line"
    display, username = getattr(actor, "display_name", None), actor.username
    return f"{display} ({username})" if display and display != username else username


def generate_report(
    session: Session,
    actor: Any,
    *,
    since: datetime,
    until: datetime,
    account_id: int | None,
    agency: str,
    progress: Progress | None = None,
) -> GeneratedReport:
    """Build the data and render the PDF; reads only (record it with `record_generated`).

    Kept apart from the audit write so a long render never holds SQLite's
    write lock: read in a deferred session, then record in a short one.
    """
    if progress:
        progress("Collecting the period's drafts and events", 5)
    data = build_report(
        session, since=since, until=until, account_id=account_id, agency=agency, generated_by=who(actor)
    )
    pdf = render_pdf(data, progress)
    return GeneratedReport(pdf, data, hashlib.sha256(pdf).hexdigest())


def record_generated(
    session: Session, actor: Any, report: GeneratedReport, *, account_id: int | None, via: str, job_id: str | None = None
) -> None:
    """Audit `report.generated` with the period, the scope and the PDF's sha256 (flush, no commit)."""
    details: dict[str, Any] = {
        "since": report.data.since.isoformat(),
        "until": report.data.until.isoformat(),
        "account_id": account_id,
        "via": via,
        "drafts": report.data.summary.written,
        "pdf_sha256": report.sha256,
        "bytes": len(report.pdf),
    }
    if job_id:
        details["job"] = job_id
    record(session, actor, "report.generated", "report:compliance", details)


def record_download(session: Session, actor: Any, *, filename: str, pdf_sha256: str, job_id: str | None = None) -> None:
    """Audit one download of a report (flush, no commit)."""
    details: dict[str, Any] = {"file": filename, "pdf_sha256": pdf_sha256}
    if job_id:
        details["job"] = job_id
    record(session, actor, "report.downloaded", "report:compliance", details)
