"""Render a `ReportData` to PDF with WeasyPrint, fetching nothing.

The HTML comes from the Jinja template `templates/reports/compliance.html`
(autoescaped: drafts hold HTML on purpose in the security tests), the CSS
from `templates/reports/compliance.css`, the charts are embedded as `data:`
SVG. `LockedFetcher` refuses every URL but `data:` ones, so a draft that
says `<img src="file:///etc/passwd">` stays inert text and, were markup ever
to slip through, still could not make WeasyPrint read a file or call a host.

The PDF is tagged (PDF/UA-1: structure tree, embedded fonts, XMP), carries title,
author, keywords and dates, and numbers its pages in a running footer.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime

import jinja2
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from reviewer import resources
from reviewer.audit.wording import refusal_words
from reviewer.bidi import as_written, isolate
from reviewer.reports import charts
from reviewer.reports.data import ReportData

TEMPLATE = "reports/compliance.html"
PDF_VARIANT = "pdf/ua-1"

#: progress(stage, percent): called as the report is drawn and laid out.
Progress = Callable[[str, int], None]


class FetchRefused(ValueError):
    """WeasyPrint asked for a URL the report may not fetch."""


class LockedFetcher(URLFetcher):
    """Only `data:` URLs (the embedded charts); every other URL is refused and noted in `refused`."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):  # WeasyPrint's signature
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise FetchRefused(f"the compliance report fetches nothing; refused {url[:200]!r}")
        return super().fetch(url, headers)


def _minutes(value: float | None) -> str:
    """`45 min`, `3.5 h`, `2.1 days`; `-` when there is nothing to measure."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.0f} min"
    if value < 48 * 60:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} days"


def _datetime(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=isolate,  # user text cannot reorder the report around it
    )
    env.filters["minutes"] = _minutes
    env.filters["datetime"] = _datetime
    env.filters["as_written"] = as_written
    env.filters["refusal_words"] = refusal_words
    return env


_ENV: jinja2.Environment | None = None


def render_html(data: ReportData) -> str:
    """The report as HTML (escaped user text, charts as data: SVG)."""
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    chart_uris = {
        "weeks": charts.data_uri(charts.drafts_per_week(data.weeks)),
        "categories": charts.data_uri(charts.findings_by_category(data.categories)),
        "approvals": charts.data_uri(charts.approval_times(data.approval_minutes)),
    }
    keywords = ["compliance report", "social media", "audit", *(f"policy {p.id} {p.version}" for p in data.policies)]
    return _ENV.get_template(TEMPLATE).render(r=data, charts=chart_uris, keywords=", ".join(keywords))


def title_of(data: ReportData) -> str:
    return f"Compliance report: {data.agency}, {data.since:%Y-%m-%d} to {data.last_day:%Y-%m-%d}"


def render_pdf(data: ReportData, progress: Progress | None = None, fetcher: LockedFetcher | None = None) -> bytes:
    """The PDF bytes. `progress` hears the stages (percent 0-100) of this thread's render."""
    report = progress or (lambda stage, percent: None)
    report("Drawing the charts", 15)
    html = render_html(data)
    fetcher = fetcher or LockedFetcher()
    expected_pages = 4 + data.row_count // 12 + len(data.breaches) // 30
    with _listening(report, expected_pages), _old_objects_frozen():
        document = HTML(string=html, url_fetcher=fetcher, base_url=None).render(
            stylesheets=[CSS(string=resources.REPORT_STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)],
        )
        report(f"Writing {len(document.pages)} pages", 80)  # about a quarter of the time on big reports
        pdf = document.write_pdf(pdf_tags=True, pdf_variant=PDF_VARIANT)
    report("Done", 100)
    return pdf


class _old_objects_frozen:
    """Move the objects that exist before the render out of the garbage collector's sight while it runs.

    A render makes hundreds of thousands of objects, which triggers many
    collections; each full one would otherwise walk the whole heap of the
    process too (in the web app: the toxicity model). Measured: about 25%
    less CPU for the layout. Cycles made during the render are still collected.
    """

    def __enter__(self) -> None:
        gc.freeze()

    def __exit__(self, *exc: object) -> None:
        gc.unfreeze()


class _ProgressHandler(logging.Handler):
    """Turns WeasyPrint's progress log lines (from this thread only) into percentages."""

    PAGE = re.compile(r"Step 5 - Creating layout - Page (\d+)")

    def __init__(self, report: Progress, expected_pages: int) -> None:
        super().__init__(logging.INFO)
        self.report = report
        self.thread = threading.get_ident()
        self.expected = max(expected_pages, 1)

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        page = self.PAGE.match(message)
        if page:
            number = int(page.group(1))
            done = min(number / self.expected, 1.0)
            self.report(f"Laying out page {number}", 30 + int(48 * done))
        elif message.startswith("Step 1"):
            self.report("Reading the report", 20)
        elif message.startswith("Step 3"):
            self.report("Applying styles", 25)


class _listening:
    """Attach a `_ProgressHandler` to WeasyPrint's progress logger for the duration of a render."""

    def __init__(self, report: Progress, expected_pages: int) -> None:
        self.handler = _ProgressHandler(report, expected_pages)
        self.logger = logging.getLogger("weasyprint.progress")

    def __enter__(self) -> None:
        self._level = self.logger.level
        if self.logger.level == logging.NOTSET or self.logger.level > logging.INFO:
            self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self.handler)

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        if not self.logger.handlers:
            self.logger.setLevel(self._level)
