"""An auditor in a real Chromium: opens the reports page, makes a small report and downloads it;
then a big one (forced to the queue) whose progress page polls until the PDF is ready.

This module serves its own app (`shipped.site` in conftest.py: the shipped policies, so drafts get real
findings; CSRF on, as in production).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def reports_site(shipped, checker) -> Iterator[SimpleNamespace]:
    """The app on a loopback port: an auditor, a staff member, one account with a passed and a blocked draft."""
    from reviewer.db import app_session
    from reviewer.drafting.services import create_draft
    from reviewer.review.submitting import submit_draft

    with shipped.site("reports-browser") as site:
        with app_session(site.app) as session:
            sam = shipped.add_people(session, {
                "pat": ("Pat Hughes", ["auditor"], []),
                "sam": ("Sam Patel", ["staff"], []),
            })["sam"]
            account = shipped.add_harbour_account(session)
            session.flush()
            passed = create_draft(session, sam, checker, account, "Thanks for letting us know, the crew will fix the light this week.")
            submit_draft(session, sam, checker, passed)
            create_draft(session, sam, checker, account, "Call me on 021 555 0199 and I'll sort it.")
            session.commit()
        yield SimpleNamespace(app=site.app, url=site.url, shipped=shipped)


def _sign_in(page: Page, site: SimpleNamespace) -> None:
    site.shipped.sign_in(page, "pat", url=site.url)
    expect(page.get_by_text("Signed in as Pat Hughes", exact=True)).to_be_visible()


def _fill_period(page: Page) -> None:
    today = datetime.now(timezone.utc).date().isoformat()
    page.get_by_label("From", exact=True).fill(today)
    page.get_by_label("To (inclusive)").fill(today)


def test_auditor_makes_a_small_report_and_downloads_it(page: Page, reports_site, shots) -> None:
    _sign_in(page, reports_site)
    page.goto(f"{reports_site.url}/reports/")
    expect(page.get_by_role("heading", name="Compliance reports")).to_be_visible()
    _fill_period(page)
    page.get_by_label("Account", exact=True).select_option(label="Harbour City Council (@HarbourCityNZ on X)")
    shots.take(page, "reports-form")
    expect(page.locator("#report-making")).to_be_hidden()
    with page.expect_download() as info:
        page.get_by_role("button", name="Make the report").click()
        expect(page.locator("#report-making")).to_be_visible()  # said at once, while the PDF is made
        expect(page.locator("form.report-form")).to_have_attribute("aria-busy", "true")
    download = info.value
    assert download.suggested_filename.endswith("-account.pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")


def test_a_big_report_shows_progress_then_a_download_link(page: Page, reports_site, shots) -> None:
    from reviewer.jobs import consumer_running, jobs_of

    reports_site.app.config["REPORTS_INLINE_MAX_DRAFTS"] = 0  # every report with a draft is queued
    try:
        _sign_in(page, reports_site)
        page.goto(f"{reports_site.url}/reports/")
        _fill_period(page)
        page.get_by_role("button", name="Make the report").click()
        expect(page.get_by_text("being made in the background")).to_be_visible()
        expect(page.locator("progress#report-progress")).to_be_visible()
        shots.take(page, "reports-progress")
        with consumer_running(jobs_of(reports_site.app), workers=1):
            # reports.js polls the status and reloads the page when the job is done.
            link = page.get_by_role("link", name="Download")
            expect(link).to_be_visible(timeout=60_000)
        shots.take(page, "reports-ready")
        with page.expect_download() as info:
            link.click()
        assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")
    finally:
        reports_site.app.config.pop("REPORTS_INLINE_MAX_DRAFTS", None)
