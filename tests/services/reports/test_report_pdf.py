"""The compliance report over a seeded period: its data match the database, its PDF says so.

Real WeasyPrint, real pypdf; page images from poppler's pdftoppm go to the
test artefacts folder.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from reviewer.reports.data import build_report, count_drafts
from reviewer.reports.pdf import LockedFetcher, render_html, render_pdf
from reviewer.reports.services import generate_report, record_generated


def _report(db_session, period, account_id=None):
    db_session.rollback()
    since, until = period
    return build_report(
        db_session, since=since, until=until, account_id=account_id, agency="Report City Council", generated_by="Pat Auditor (pat)"
    )


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_summary_counts_match_the_database(db_session, seeded, today_period) -> None:
    data = _report(db_session, today_period, seeded.account.id)
    s = data.summary
    assert s.written == 8 == count_drafts(db_session, *today_period, seeded.account.id)
    assert (s.passed_directly, s.approved, s.rejected, s.returned, s.blocked, s.posted) == (2, 1, 1, 1, 2, 1)
    assert s.routed == 4  # approved, rejected, returned, self (pending)
    assert s.approval.count == 1 and s.approval.median_minutes is not None
    assert s.reply.count == 1  # the posted reply answered its inbound post
    assert data.accounts == [seeded.account.label]
    # All accounts: the other account's draft counts too.
    assert _report(db_session, today_period).summary.written == 9


def test_tables_list_blocked_rejected_flagged_approvals_refusals_and_policies(db_session, seeded, today_period) -> None:
    data = _report(db_session, today_period, seeded.account.id)
    outcomes = {row.draft_id: row.outcome for row in data.blocked_or_rejected}
    assert outcomes == {
        seeded.drafts["blocked"].id: "blocked by policy",
        seeded.drafts["hostile"].id: "blocked by policy",
        seeded.drafts["rejected"].id: "rejected",
    }
    rejected = next(r for r in data.blocked_or_rejected if r.outcome == "rejected")
    assert seeded.drafts["rejected"].test_approver.username in rejected.decided_by
    assert rejected.reason == "Not for us to answer."
    blocked = next(r for r in data.blocked_or_rejected if r.draft_id == seeded.drafts["blocked"].id)
    assert [p.text for p in blocked.text if p.rules] == ["021 555 0199"]
    assert [a.draft_id for a in data.flagged_approvals] == [seeded.drafts["approved"].id]
    assert [(r.draft_id, r.reason) for r in data.refusals] == [(seeded.drafts["self"].id, "own_draft")]
    assert seeded.self_approver.username in data.refusals[0].actor
    shas = {v.policy_sha256 for d in seeded.drafts.values() for v in d.versions}
    assert {p.sha256 for p in data.policies} <= shas and data.policies
    assert {p.id for p in data.policies} == {"city-council"}
    # The policy was first used today: a change in the period.
    assert any("first used" in c.what for c in data.policy_changes)
    assert data.top_rules and data.top_rules[0].findings >= 1


def test_integrity_section_names_the_chain_head(db_session, seeded, today_period) -> None:
    from reviewer.audit import AuditEvent, head

    data = _report(db_session, today_period)
    assert data.integrity.ok
    assert data.integrity.head == head(db_session)
    first = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq).limit(1)).one()
    assert data.integrity.first[:2] == (first.seq, first.hash)
    assert data.integrity.last[:2] == head(db_session)


@pytest.mark.slow
def test_pdf_text_metadata_marks_and_page_images(db_session, seeded, today_period, artifacts_dir) -> None:
    data = _report(db_session, today_period, seeded.account.id)
    fetcher = LockedFetcher()
    pdf = render_pdf(data, fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert fetcher.refused == []  # the report itself asks for nothing but its embedded charts
    text = _flat(_text(pdf))
    s = data.summary
    for label, number in (
        ("Drafts written", s.written), ("Approved automatically (passed policy)", s.passed_directly), ("Routed for approval", s.routed),
        ("Blocked by policy", s.blocked), ("Approved by approvers", s.approved), ("Rejected", s.rejected),
        ("Returned for changes", s.returned),
    ):
        assert f"{label} {number}" in text, label
    assert "021 555 0199" in text  # the flagged words are in the table (and marked, below)
    head_seq, head_hash = data.integrity.head
    assert f"seq {head_seq}, hash" in text and head_hash[:40] in text.replace(" ", "")
    assert "Chain verified" in text
    assert "Page 1 of" in text and "Report City Council" in text
    assert 'file:///etc/passwd' in text  # the draft's markup is shown as text
    reader = PdfReader(io.BytesIO(pdf))
    meta = reader.metadata
    assert meta.title.startswith("Compliance report: Report City Council")
    assert meta.author == "Pat Auditor (pat)"
    assert "compliance report" in reader.trailer["/Info"]["/Keywords"]
    assert meta.creation_date is not None
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged
    html = render_html(data)
    assert "<mark" in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    if shutil.which("pdftoppm"):
        for old in artifacts_dir.glob("report-seeded-page*.png"):
            old.unlink()
        path = artifacts_dir / "report-seeded.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(artifacts_dir / "report-seeded-page")], check=True)
        assert list(artifacts_dir.glob("report-seeded-page*.png"))


def test_progress_is_reported_in_order(db_session, seeded, today_period) -> None:
    data = _report(db_session, today_period)
    heard: list[tuple[str, int]] = []
    render_pdf(data, progress=lambda stage, percent: heard.append((stage, percent)))
    percents = [percent for _, percent in heard]
    assert percents == sorted(percents) and percents[-1] == 100
    stages = [stage for stage, _ in heard]
    assert "Laying out page 1" in stages and stages[-1] == "Done"


def test_the_fetcher_refuses_file_and_http_urls() -> None:
    fetcher = LockedFetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/font.woff2", "ftp://host/x"):
        with pytest.raises(ValueError, match="fetches nothing"):
            fetcher.fetch(url)
    assert fetcher.refused == ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/font.woff2", "ftp://host/x"]
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_markup_that_reached_weasyprint_would_fetch_nothing(tmp_path) -> None:
    """Belt and braces: even raw HTML with file and http references renders without reading them."""
    from weasyprint import HTML

    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not read")
    fetcher = LockedFetcher()
    html = f'<p>x</p><img src="file://{secret}"><img src="http://127.0.0.1:9/a.png"><link rel="stylesheet" href="http://127.0.0.1:9/s.css">'
    pdf = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF-")
    assert sorted(fetcher.refused) == sorted([f"file://{secret}", "http://127.0.0.1:9/a.png", "http://127.0.0.1:9/s.css"])


def test_generation_is_audited(db_session, seeded, today_period) -> None:
    from reviewer.audit import AuditEvent

    db_session.rollback()
    since, until = today_period
    made = generate_report(db_session, seeded.self_approver, since=since, until=until, account_id=None, agency="X")
    record_generated(db_session, seeded.self_approver, made, account_id=None, via="test")
    db_session.commit()
    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.action == "report.generated" and made.sha256 in event.data
    assert made.filename == f"compliance-{since:%Y-%m-%d}-to-{since:%Y-%m-%d}-all.pdf"


def test_an_empty_period_still_makes_a_report(db_session) -> None:
    from datetime import date

    from reviewer.reports.data import ReportInputError, period_of

    since, until = period_of(date(2001, 1, 1), date(2001, 1, 31))
    data = build_report(db_session, since=since, until=until, agency="A", generated_by="b")
    assert data.summary.written == 0 and data.integrity.first is None
    assert "No draft was blocked or rejected" in _flat(_text(render_pdf(data)))
    with pytest.raises(ReportInputError, match="before the start"):
        period_of(date(2001, 2, 1), date(2001, 1, 1))
    with pytest.raises(ReportInputError, match="no organisation account with id 999"):
        build_report(db_session, since=since, until=until, account_id=999, agency="A", generated_by="b")


def test_a_post_waiting_past_its_target_is_listed_with_its_account_and_author(
    db_session, make_account, make_inbound
) -> None:
    from datetime import datetime, timedelta, timezone

    from reviewer.reports.data import period_of

    today = datetime.now(timezone.utc).date()
    period = period_of(today - timedelta(days=1), today)  # 90 minutes ago may be yesterday
    account = make_account("@SlowCity", name="Slow City")
    account.response_target_minutes = 60
    db_session.commit()
    make_inbound(account, received_at=datetime.now(timezone.utc) - timedelta(minutes=90), author_handle="@waiting")
    data = _report(db_session, period)
    assert [(b.account_label, b.author_handle, b.answered_at) for b in data.breaches] == [(account.label, "@waiting", None)]
    html = _flat(render_html(data))
    assert f"<td>{account.label}, @waiting</td>" in html
