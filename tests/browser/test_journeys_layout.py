"""Every main page of the three journeys (staff, approver, auditor) fits a phone: nothing scrolls sideways.

The demo agency (the shipped policies, real findings, drafts in every state)
is served once for the module; each page is opened at 390 px and 1280 px by
the person who uses it, measured (`scrollWidth <= innerWidth`) and saved as a
full-page screenshot in test-artifacts/ (screen-journey-<page>-<width>.png).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo-browser-password"
WIDTHS = (360, 390, 768, 1280)


@pytest.fixture(scope="module")
def demo_site(shipped) -> Iterator[SimpleNamespace]:
    """The demo agency loaded through the real services, served on a loopback port."""
    from pathlib import Path as _Path

    from reviewer.db import app_session
    from reviewer.demo import load_demo

    with shipped.site("journeys") as site:
        with app_session(site.app) as session:
            load_demo(session, _Path(site.app.config["POLICY_DIR"]), DEMO_PASSWORD,
                      checker=site.app.extensions["reviewer.checker"])
            session.commit()
        yield SimpleNamespace(url=site.url, app=site.app, shipped=shipped)


def open_as(browser: Browser, site: SimpleNamespace, username: str, width: int) -> Page:
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    site.shipped.sign_in(page, username, DEMO_PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
    return page


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def first_href(page: Page, selector: str) -> str:
    return page.locator(selector).first.get_attribute("href")


def staff_pages(page: Page) -> Iterator[str]:
    page.goto("/inbox/")
    yield "inbox-accounts"
    page.locator("main a[href*='/inbox/']").first.click()
    yield "inbox"
    page.get_by_role("link", name=re.compile("^(Reply|Open) to")).first.click()
    yield "editor"


def approver_pages(page: Page) -> Iterator[str]:
    page.goto("/review/")
    yield "queue"
    page.locator("table.queue a[href*='/review/drafts/']").first.click()
    yield "review-draft"
    page.goto("/notifications")
    yield "notifications"


def auditor_pages(page: Page) -> Iterator[str]:
    page.goto("/audit/")
    yield "audit"
    page.locator("main a[href*='/audit/drafts/']").first.click()
    yield "story"
    page.goto("/reports/")
    yield "reports"
    page.goto("/review/response-times")
    yield "response-times"


AXE = Path(__file__).parent / "assets" / "axe.min.js"
AXE_SHA256 = "e9e5863c33a874f09bc01acd9234b7e3c871479f5eef8802fa582544465e6d01"  # axe-core 4.11.0 (assets/README.md)


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it stands: 'rule-id: target' per offending node."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's own CSP (script-src 'self') refuses a script tag.
        page.evaluate("() => { " + AXE.read_text(encoding="utf-8") + "\n}")
        assert page.evaluate("typeof window.axe !== 'undefined'"), "axe-core did not load"
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
        ".map(v => v.nodes.map(n => v.id + ': ' + n.target.join(' '))).flat()"
    )
    return list(result)


JOURNEYS = {"sam.staff": staff_pages, "lee.safeguarding": approver_pages, "pat.auditor": auditor_pages}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("username", list(JOURNEYS))
def test_no_page_scrolls_sideways(browser: Browser, demo_site, artifacts_dir: Path, username: str, width: int) -> None:
    page = open_as(browser, demo_site, username, width)
    too_wide, inaccessible = {}, {}
    try:
        for name in JOURNEYS[username](page):
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(artifacts_dir / f"screen-journey-{name}-{width}.png"), full_page=True)
            if (extra := overflow(page)) > 0:
                too_wide[name] = extra
            if violations := axe_violations(page):
                inaccessible[name] = violations
    finally:
        page.context.close()
    assert not too_wide, f"pages wider than {width} px (by px): {too_wide}"
    assert not inaccessible, f"axe-core violations at {width} px: {inaccessible}"


def test_the_vendored_axe_core_is_the_one_recorded() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
