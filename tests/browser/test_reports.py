"""An auditor in a real Chromium: opens the reports page, makes a small report and downloads it;
then a big one (forced to the queue) whose progress page polls until the PDF is ready.

This module serves its own app (the shipped policies, so drafts get real
findings; CSRF on, as in production).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_POLICIES = ROOT / "policies"
PASSWORD = "reports-browser-password"


@pytest.fixture(scope="module")
def reports_site(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config, checker) -> Iterator[SimpleNamespace]:  # noqa: ANN001
    """The app on a loopback port: an auditor, a staff member, one account with a passed and a blocked draft."""
    from reviewer import create_app
    from reviewer.accounts.services import create_user
    from reviewer.db import app_session, get_database, upgrade
    from reviewer.drafting.services import create_draft
    from reviewer.orgs.services import create_account
    from reviewer.review.services import submit_draft

    root_conftest = pytestconfig.pluginmanager.get_plugin(str(ROOT / "tests" / "conftest.py"))
    folder = tmp_path_factory.mktemp("reports-browser")
    config = root_conftest.app_config(
        folder / "instance", f"sqlite:///{folder / 'reviewer.sqlite3'}", SHIPPED_POLICIES, WTF_CSRF_ENABLED=True, TESTING=False
    )
    app = create_app(config)
    upgrade(app)
    with app_session(app) as session:
        create_user(session, None, "pat", PASSWORD, ["auditor"], [], display_name="Pat Hughes")
        sam = create_user(session, None, "sam", PASSWORD, ["staff"], [], display_name="Sam Patel")
        account = create_account(
            session, None, name="Harbour City Council", platform="x", handle="@HarbourCityNZ",
            policy_file="city-council.yaml", policy_dir=SHIPPED_POLICIES,
        )
        session.flush()
        passed = create_draft(session, sam, checker, account, "Thanks for letting us know, the crew will fix the light this week.")
        submit_draft(session, sam, checker, passed)
        create_draft(session, sam, checker, account, "Call me on 021 555 0199 and I'll sort it.")
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="reports-server", daemon=True)
    thread.start()
    yield SimpleNamespace(app=app, url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    get_database(app).engine.dispose()


def _sign_in(page: Page, site: SimpleNamespace) -> None:
    page.goto(f"{site.url}/login")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Pat Hughes", exact=True)).to_be_visible()


def _fill_period(page: Page) -> None:
    today = datetime.now(timezone.utc).date().isoformat()
    page.get_by_label("From", exact=True).fill(today)
    page.get_by_label("To (inclusive)").fill(today)


def test_auditor_makes_a_small_report_and_downloads_it(page: Page, reports_site, shots) -> None:  # noqa: ANN001
    _sign_in(page, reports_site)
    page.goto(f"{reports_site.url}/reports/")
    expect(page.get_by_role("heading", name="Compliance reports")).to_be_visible()
    _fill_period(page)
    page.get_by_label("Account", exact=True).select_option(label="Harbour City Council (@HarbourCityNZ on X)")
    shots.take(page, "reports-form")
    with page.expect_download() as info:
        page.get_by_role("button", name="Make the report").click()
    download = info.value
    assert download.suggested_filename.endswith("-account.pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")


def test_a_big_report_shows_progress_then_a_download_link(page: Page, reports_site, shots) -> None:  # noqa: ANN001
    from reviewer.reports.jobs import consumer_running, jobs_of

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
