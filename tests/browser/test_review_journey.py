"""The whole journey in a real Chromium: staff draft with live checks, approvers return, edit and approve.

Staff see live highlights on a risky reply, fix it and submit a clean one
(approved at once); submit one that needs approval; approver A returns it
with a comment; staff revise and resubmit; approver A edits it, and A is not
offered Approve on that edit; approver B approves; the inbox shows the
post answered with its response time, and the dashboard counts it.

This module serves its own app (`shipped.site` in conftest.py: the shipped
policies, so drafts get real findings; CSRF on, as in production) and opens one browser context per person.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

pytestmark = pytest.mark.browser

ACCOUNT = "Harbour City Council (@HarbourCityNZ on X)"
RISKY = "Call me on 021 555 0199 and I'll sort it."
CLEAN = "Thanks for letting us know, the crew will fix the light this week."
NEEDS_REVIEW = "We promise the pool will reopen by Friday."
RETURN_COMMENT = "Don't name a day we can't keep."
REVISED = "We promise the pool will reopen soon, and we'll confirm the date here."
EDITED = "We promise the pool will reopen soon, and we will confirm the date on this page."
PEOPLE = {
    "sam": ("Sam Patel", ["staff"], []),
    "mere": ("Mere Tainui", ["approver"], ["comms"]),
    "hemi": ("Hemi Walker", ["approver"], ["comms"]),
}


@pytest.fixture(scope="module")
def journey_site(shipped) -> Iterator[SimpleNamespace]:
    """The app with the shipped policies on a loopback port; a staff member, two comms approvers, three posts."""
    from reviewer.db import app_session
    from reviewer.drafting.inbound import create_inbound

    now = datetime.now(timezone.utc)
    with shipped.site("review-journey") as site:
        with app_session(site.app) as session:
            shipped.add_people(session, PEOPLE)
            account = shipped.add_harbour_account(session)
            account.response_target_minutes = 240
            for handle, text, age in (
                ("@resident", "The street light outside 12 Wharf Road has been out for a week.", timedelta(hours=3)),
                ("@swimmer", "When will the Harbour pool reopen?", timedelta(hours=2)),
                ("@waiting", "Is anyone reading these messages?", timedelta(days=2)),
            ):
                create_inbound(session, None, account, author_handle=handle, text=text, received_at=now - age)
            session.commit()
        yield SimpleNamespace(url=site.url, shipped=shipped)


DECISION_URL = re.compile(r"/review/drafts/\d+/(approve|reject|return|edit)$")


def console_problem(shipped: SimpleNamespace, message) -> bool:
    """A console error, except a missing favicon and the refused decision's page (a deliberate 403/409/422)."""
    if not shipped.console_problem(message):
        return False
    url = (message.location or {}).get("url", "")
    return not (message.text.startswith("Failed to load resource") and DECISION_URL.search(url))


class People:
    """One signed-in browser context per person; every page's script errors are collected."""

    def __init__(self, browser: Browser, site: SimpleNamespace) -> None:
        self.browser, self.url, self.shipped = browser, site.url, site.shipped
        self.contexts: dict[str, BrowserContext] = {}
        self.pages: dict[str, Page] = {}
        self.problems: list[str] = []

    def __getitem__(self, username: str) -> Page:
        if username not in self.pages:
            context = self.browser.new_context(base_url=self.url, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: self.problems.append(f"{username}: {m.text}") if console_problem(self.shipped, m) else None)
            page.on("pageerror", lambda error: self.problems.append(f"{username}: {error}"))
            self.shipped.sign_in(page, username)
            expect(page.get_by_role("heading", name=f"Welcome, {PEOPLE[username][0]}")).to_be_visible()
            self.contexts[username], self.pages[username] = context, page
        return self.pages[username]

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()


@pytest.fixture
def people(browser: Browser, journey_site) -> Iterator[People]:
    found = People(browser, journey_site)
    try:
        yield found
    finally:
        found.close()


def _luminance(css_rgb: str) -> float:
    """WCAG relative luminance of a computed `rgb(r, g, b)` colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_rgb)[:3]]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(locator) -> float:
    """WCAG contrast ratio of an element's text colour against its own background colour."""
    colour, background = locator.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    light, dark = sorted((_luminance(colour), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def flash(page: Page, text: str) -> None:
    expect(page.locator(".flashes").get_by_text(text)).to_be_visible()


def open_inbox(page: Page) -> None:
    page.get_by_role("link", name="Inbox", exact=True).click()
    page.get_by_role("link", name=ACCOUNT).click()


def open_from_queue(page: Page, handle: str) -> None:
    page.get_by_role("link", name="Review queue", exact=True).click()
    page.get_by_role("link", name=re.compile(f"reply to {handle}$")).click()


def test_the_whole_journey_from_a_risky_draft_to_an_answered_post(people: People, artifacts_dir: Path) -> None:
    def shot(page: Page, name: str) -> None:
        page.screenshot(path=str(artifacts_dir / f"screen-{name}.png"), full_page=True)

    # Staff: live highlights on a risky reply, fixed, submitted clean: approved at once.
    sam = people["sam"]
    open_inbox(sam)
    sam.get_by_role("link", name="Reply to @resident").click()
    expect(sam.locator("form[data-live-ready]")).to_have_count(1)
    decision = sam.locator("[data-live='decision']")
    reply = sam.get_by_role("textbox", name="Your reply")
    reply.press_sequentially(RISKY, delay=10)
    expect(decision).to_have_text("Blocked: change the highlighted words")
    expect(sam.locator("[data-live='mirror-draft'] mark.hl-block .hl-text")).to_have_text("021 555 0199")
    reply.fill(CLEAN)
    expect(decision).to_have_text("Passes policy")
    expect(sam.locator("[data-live='mirror-draft'] mark")).to_have_count(0)
    sam.get_by_role("button", name="Submit").click()
    flash(sam, "Submitted: it passes policy and is approved for posting.")

    # Staff: a reply that needs approval goes to comms.
    open_inbox(sam)
    sam.get_by_role("link", name="Reply to @swimmer").click()
    expect(sam.locator("form[data-live-ready]")).to_have_count(1)
    sam.get_by_role("textbox", name="Your reply").fill(NEEDS_REVIEW)
    expect(sam.locator("[data-live='decision']")).to_have_text("Needs approval by comms")
    sam.get_by_role("button", name="Send for comms approval").click()
    flash(sam, "Submitted for approval by comms.")
    draft_url = sam.url

    # Approver A: sees it in the comms queue, returns it with a comment.
    mere = people["mere"]
    mere.get_by_role("link", name="Review queue", exact=True).click()
    expect(mere.get_by_role("heading", name="Review queue: comms")).to_be_visible()
    row = mere.locator("table.queue tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("reply to @swimmer")
    expect(row).to_contain_text("commitments.deadlines")
    expect(row.locator("mark.hl-review .hl-text").first).to_have_text("We promise")
    shot(mere, "review-queue")
    row.get_by_role("link", name=re.compile("reply to @swimmer$")).click()
    expect(mere.get_by_role("region", name="The post being answered")).to_contain_text("When will the Harbour pool reopen?")
    expect(mere.locator(".highlighted mark.hl-review .hl-text").first).to_have_text("We promise")
    shot(mere, "review-page")
    reject = mere.get_by_role("button", name="Reject", exact=True)
    expect(reject).to_have_css("background-color", "rgb(179, 38, 30)")  # the danger red, not the primary blue
    assert contrast(reject) >= 4.5
    reject.hover()
    expect(reject).to_have_css("background-color", "rgb(140, 29, 23)")
    assert contrast(reject) >= 4.5
    mere.get_by_label("What to change").fill(RETURN_COMMENT)
    mere.get_by_role("button", name="Return for changes").click()
    flash(mere, "for changes; the staff member sees your comment.")
    expect(mere.locator("table.queue")).to_have_count(0)

    # Staff: sees the comment, revises and resubmits.
    sam.goto(draft_url)
    expect(sam.get_by_role("alert")).to_contain_text(f"Returned for changes by Mere Tainui: “{RETURN_COMMENT}”")
    sam.get_by_role("textbox", name="Your reply").fill(REVISED)
    expect(sam.locator("[data-live='decision']")).to_have_text("Needs approval by comms")
    sam.get_by_role("button", name="Send for comms approval").click()
    flash(sam, "Submitted for approval by comms.")

    # Approver A: edits the text; approving their own edit is refused.
    open_from_queue(mere, "@swimmer")
    expect(mere.get_by_text("Changes from version 1")).to_be_visible()
    mere.get_by_text("Edit the text yourself").click()
    mere.get_by_label("Edited text").fill(EDITED)
    mere.get_by_role("button", name="Save edit").click()
    flash(mere, "Your edit is saved as version 3; another approver must approve it.")
    # Approve is not offered on her own edit; the page says why, and who can.
    expect(mere.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    expect(mere.locator(".cannot-approve")).to_contain_text("You edited this version, so another approver must approve it.")
    expect(mere.locator(".cannot-approve")).to_contain_text("Who can approve it: Hemi Walker.")
    expect(mere.get_by_role("heading", level=1)).to_contain_text("waiting for approval")
    shot(mere, "review-self-approval-not-offered")

    # Approver B: approves the edited text.
    hemi = people["hemi"]
    open_from_queue(hemi, "@swimmer")
    expect(hemi.get_by_role("heading", name="Version 3 (edited by Mere Tainui)")).to_be_visible()
    expect(hemi.locator(".history")).to_contain_text("Mere Tainui returned it for changes version 1")
    hemi.get_by_role("button", name="Approve", exact=True).click()
    flash(hemi, "is ready to post.")
    expect(hemi.get_by_text("Nothing waiting for comms")).to_be_visible()

    # The dashboard: two answered, the two-day-old post past its target.
    hemi.get_by_role("link", name="Response times").click()
    accounts = hemi.locator("table.response-accounts tbody tr")
    expect(accounts).to_contain_text("Harbour City Council")
    expect(accounts.locator("td").nth(2)).to_have_text("2 (1 not yet)")
    breaches = hemi.locator("table.breaches")
    expect(breaches).to_contain_text("@waiting")
    expect(breaches).to_contain_text("not answered yet")
    shot(hemi, "review-dashboard")
    since, account = hemi.get_by_label("From", exact=True), hemi.get_by_label("Account", exact=True)
    for prop in ("border-top-color", "border-top-width", "border-top-left-radius", "padding-left", "font-size", "background-color"):
        expect(since).to_have_css(prop, account.evaluate(f"e => getComputedStyle(e).getPropertyValue('{prop}')"))

    # Staff: the inbox shows the post answered, with how long the answer took.
    open_inbox(sam)
    expect(sam.locator("table.inbox")).not_to_contain_text("@swimmer")
    sam.get_by_label("Show answered posts too").check()
    sam.get_by_role("button", name="Filter").click()
    answered = sam.locator("table.inbox tr", has_text="@swimmer")
    expect(answered.locator(".tag-ok")).to_have_text("answered")
    expect(answered.locator("td").nth(3)).to_have_text(re.compile(r"^2 h( \d+ min)? answered$"))
    shot(sam, "inbox-answered")

    assert people.problems == [], people.problems  # no script errors, no Content-Security-Policy violations
