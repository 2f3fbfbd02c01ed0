"""The reply editor's live checks in a real Chromium: highlights and the decision change as staff type.

This module serves its own app (the shipped policies, so drafts get real
findings; CSRF on, as in production) and opens its own browser contexts on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

RISKY = "Call me on 021 555 0199 and I'll sort it."
FIXED = "Thanks for letting us know, the crew will fix the light this week."
NEEDS_REVIEW = "We promise the pool will reopen by Friday."


@pytest.fixture(scope="module")
def drafting_site(shipped) -> Iterator[SimpleNamespace]:
    """The app with the shipped policies on a loopback port, a staff member, an account and a post to answer."""
    from reviewer.db import app_session
    from reviewer.drafting.inbound import create_inbound

    with shipped.site("drafting-live") as site:
        with app_session(site.app) as session:
            staff = shipped.add_people(session, {"rangi": ("Rangi Walker", ["staff"], [])})["rangi"]
            account = shipped.add_harbour_account(session)
            post = create_inbound(
                session, staff, account, author_handle="@resident",
                text="The street light outside 12 Wharf Road has been out for a week.",
                received_at=datetime.now(timezone.utc) - timedelta(hours=3, minutes=12),
            )
            # A post of its own for the no-JavaScript test: the first test answers `post`, and a
            # second reply to an answered post must be confirmed first (#14).
            unanswered = create_inbound(
                session, staff, account, author_handle="@commuter", text="The bus shelter on Quay St is broken.",
                received_at=datetime.now(timezone.utc) - timedelta(hours=1),
            )
            session.commit()
            post_id, unanswered_id = post.id, unanswered.id
        yield SimpleNamespace(url=site.url, post_id=post_id, unanswered_id=unanswered_id, shipped=shipped)


def sign_in(page: Page, site: SimpleNamespace) -> None:
    site.shipped.sign_in(page, "rangi")
    expect(page.get_by_role("heading", name="Welcome, Rangi Walker")).to_be_visible()


def test_staff_see_live_highlights_fix_the_reply_and_submit_it(browser: Browser, drafting_site, artifacts_dir: Path) -> None:
    context = browser.new_context(base_url=drafting_site.url, viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: problems.append(message.text) if drafting_site.shipped.console_problem(message) else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        sign_in(page, drafting_site)

        page.goto("/inbox/")
        page.get_by_role("link", name="Harbour City Council (@HarbourCityNZ on X)").click()
        expect(page.get_by_text("3 h 12 min")).to_be_visible()
        page.screenshot(path=str(artifacts_dir / "screen-drafting-inbox.png"), full_page=True)
        page.get_by_role("link", name="Reply to @resident").click()
        expect(page.locator("form[data-live-ready]")).to_have_count(1)

        decision = page.locator("[data-live='decision']")
        mirror = page.locator("[data-live='mirror-draft']")
        reply = page.get_by_role("textbox", name="Your reply")
        expect(decision).to_have_text("Not checked yet")

        reply.press_sequentially(RISKY, delay=15)
        expect(decision).to_have_text("Blocked: change the highlighted words")
        expect(decision).to_have_class("decision decision-block")
        expect(mirror.locator("mark.hl-block .hl-text")).to_have_text("021 555 0199")
        expect(page.locator("[data-live='findings-draft'] .finding-block .finding-source")).to_contain_text("Policy:")
        page.screenshot(path=str(artifacts_dir / "screen-drafting-editor-blocked.png"), full_page=True)

        reply.fill(NEEDS_REVIEW)
        expect(decision).to_have_text("Needs approval by comms")
        expect(mirror.locator("mark.hl-review")).not_to_have_count(0)

        reply.fill('<img src=x onerror="window.pwned = 1"> ' + RISKY)
        expect(decision).to_have_text("Blocked: change the highlighted words")
        expect(mirror).to_contain_text('<img src=x onerror="window.pwned = 1">')
        expect(mirror.locator("img")).to_have_count(0)
        assert page.evaluate("window.pwned") is None

        reply.fill(FIXED)
        expect(decision).to_have_text("Passes policy")
        expect(decision).to_have_class("decision decision-pass")
        expect(mirror.locator("mark")).to_have_count(0)
        expect(mirror).to_have_text(FIXED)
        page.screenshot(path=str(artifacts_dir / "screen-drafting-editor.png"), full_page=True)

        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Submitted: it passes policy and is approved for posting.")).to_be_visible()
        expect(page.get_by_role("heading", name="Reply to @resident")).to_contain_text("approved")
        page.screenshot(path=str(artifacts_dir / "screen-drafting-draft-approved.png"), full_page=True)
    finally:
        context.close()
    assert problems == [], problems  # no script errors, no Content-Security-Policy violations


def test_without_javascript_the_server_checks_on_submit(browser: Browser, drafting_site, artifacts_dir: Path) -> None:
    context = browser.new_context(base_url=drafting_site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, drafting_site)
        page.goto(f"/posts/{drafting_site.unanswered_id}")
        page.get_by_role("textbox", name="Your reply").fill(RISKY)
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("The policy blocks this text")).to_be_visible()
        expect(page.locator("[data-live='decision']")).to_have_text("Blocked: change the highlighted words")
        expect(page.locator("[data-live='mirror-draft'] mark.hl-block .hl-text")).to_have_text("021 555 0199")
        expect(page.get_by_role("textbox", name="Your reply")).to_have_value(RISKY)
        page.screenshot(path=str(artifacts_dir / "screen-drafting-no-js-blocked.png"), full_page=True)
    finally:
        context.close()


SARCASTIC = "Honestly, a broken light is hardly the end of the world. Some of us have real work to do."


@pytest.mark.parametrize("width", [1280, 390])
def test_a_reply_that_means_something_risky_is_caught_without_any_listed_word(
    browser: Browser, drafting_site, artifacts_dir: Path, width: int
) -> None:
    """A semantic rule: no lexicon word, the sentence marked as typed, the example it reads like shown."""
    context = browser.new_context(base_url=drafting_site.url, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, drafting_site)
        page.goto(f"/posts/{drafting_site.post_id}")
        expect(page.locator("form[data-live-ready]")).to_have_count(1)
        page.get_by_role("textbox", name="Your reply").fill(SARCASTIC)
        expect(page.locator("[data-live='decision']")).to_have_text("Needs approval by comms")
        mirror = page.locator("[data-live='mirror-draft']")
        expect(mirror.locator("mark.hl-review .hl-text").last).to_have_text("Some of us have real work to do.")
        expect(page.locator("[data-live='findings-draft']")).to_contain_text("Reads like:")
        page.screenshot(path=str(artifacts_dir / f"screen-drafting-semantic-{width}.png"), full_page=True)
    finally:
        context.close()
