"""The live check panel never shows an answer for text that is no longer there (#14 item 5).

From the first keystroke until its answer the panel says it is out of date;
answers that arrive out of order (an older text's after a newer one's) are
dropped. The check requests are held by Playwright and released in the order
the test chooses, so the order is certain, not a race.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, Page, Route, expect

pytestmark = pytest.mark.browser

NEEDS_REVIEW = "We promise the pool will reopen by Friday."
RISKY = "Call me on 021 555 0199 and I'll sort it."
FIXED = "Thanks for letting us know, the crew will fix the light this week."


@pytest.fixture(scope="module")
def site(shipped) -> Iterator[SimpleNamespace]:
    from reviewer.db import app_session
    from reviewer.drafting.inbound import create_inbound

    with shipped.site("live-freshness") as served:
        with app_session(served.app) as session:
            staff = shipped.add_people(session, {"tama": ("Tama Rua", ["staff"], [])})["tama"]
            account = shipped.add_harbour_account(session)
            post = create_inbound(
                session, staff, account, author_handle="@resident", text="When does the pool reopen?",
                received_at=datetime.now(timezone.utc) - timedelta(hours=1),
            )
            session.commit()
            post_id = post.id
            returned_id = _returned_draft(served.app, session, shipped, staff, account)
        yield SimpleNamespace(url=served.url, post_id=post_id, returned_id=returned_id, shipped=shipped)


def _returned_draft(app, session, shipped, staff, account) -> int:
    """A draft comms returned for changes, then revised by staff to a text that passes."""
    from reviewer.checking import EXTENSION_KEY
    from reviewer.drafting.services import create_draft, revise_draft
    from reviewer.review import services as review
    from reviewer.review.submitting import submit_draft

    check = app.extensions[EXTENSION_KEY]
    rawiri = shipped.add_people(session, {"rawiri": ("Rawiri Comms", ["approver"], ["comms"])})["rawiri"]
    draft = create_draft(session, staff, check, account, NEEDS_REVIEW)
    submit_draft(session, staff, check, draft)
    review.return_for_changes(session, rawiri, draft, "No dates, please.", expected_version=draft.lock_version)
    revise_draft(session, staff, check, draft, FIXED)
    session.commit()
    return draft.id


def wait_for(page: Page, held: list, count: int) -> None:
    for _ in range(400):  # up to 20 s on a loaded machine
        if len(held) >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{len(held)} check requests arrived, expected {count}")


def release(route: Route) -> None:
    route.fulfill(response=route.fetch())


def test_the_panel_is_out_of_date_until_the_answer_and_drops_late_answers(browser: Browser, site, artifacts_dir) -> None:
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    held: list[Route] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if site.shipped.console_problem(m) else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        site.shipped.sign_in(page, "tama")
        page.route("**/drafting/check", lambda route: held.append(route))
        page.goto(f"/posts/{site.post_id}")
        expect(page.locator("form[data-live-ready]")).to_have_count(1)
        decision = page.locator("[data-live='decision']")
        status = page.locator("[data-live='status']")
        mirror = page.locator("[data-live='mirror-draft']")
        panel = page.locator(".live-panel")
        reply = page.get_by_role("textbox", name="Your reply")

        # The first keystroke: out of date at once, before the debounce sends anything.
        reply.press("W")
        expect(decision).to_have_text("Checking…")
        expect(panel).to_have_attribute("aria-busy", "true")
        expect(status).to_contain_text("Out of date")
        assert held == []  # nothing sent yet: the panel said so anyway

        reply.fill(NEEDS_REVIEW)
        wait_for(page, held, 1)
        expect(decision).to_have_text("Checking…")
        expect(mirror).to_have_text(NEEDS_REVIEW)  # the words on screen are the words typed, unmarked

        # A newer text goes out before the older answer comes back; its answer arrives first.
        reply.fill(RISKY)
        wait_for(page, held, 2)
        release(held[1])
        expect(decision).to_have_text("Blocked: change the highlighted words")
        expect(panel).to_have_attribute("aria-busy", "false")
        release(held[0])  # the older text's answer, late: dropped
        expect(page.locator("form[data-live-ready]")).to_have_attribute("data-live-dropped", "1")
        expect(decision).to_have_text("Blocked: change the highlighted words")
        expect(mirror.locator("mark.hl-block .hl-text")).to_have_text("021 555 0199")

        # An answer that comes back after the person typed again is dropped too.
        reply.fill(FIXED)
        expect(decision).to_have_text("Checking…")
        expect(mirror.locator("mark")).to_have_count(0)
        wait_for(page, held, 3)
        reply.press("End")
        reply.press_sequentially(" Kia ora.")
        release(held[2])
        expect(page.locator("form[data-live-ready]")).to_have_attribute("data-live-dropped", "2")
        expect(decision).to_have_text("Checking…")
        wait_for(page, held, 4)
        release(held[3])
        expect(decision).to_have_text("Passes policy")
        expect(status).not_to_contain_text("Out of date")
        page.screenshot(path=str(artifacts_dir / "screen-drafting-live-fresh.png"), full_page=True)
    finally:
        context.close()
    assert problems == [], problems


def test_submit_says_what_will_happen_and_is_disabled_with_the_reason_when_blocked(browser: Browser, site, artifacts_dir) -> None:
    context = browser.new_context(base_url=site.url, viewport={"width": 390, "height": 844})
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        site.shipped.sign_in(page, "tama")
        page.goto(f"/posts/{site.post_id}")
        expect(page.locator("form[data-live-ready]")).to_have_count(1)
        reply = page.get_by_role("textbox", name="Your reply")
        submit = page.locator("[data-live='submit']")
        count = page.locator("[data-live='count']")
        expect(count).to_have_text("0 of 280 characters (X)")

        reply.fill(RISKY)
        expect(count).to_have_text(f"{len(RISKY)} of 280 characters (X)")
        expect(submit).to_have_value("Blocked: cannot submit")
        expect(submit).to_be_disabled()
        expect(submit).to_have_css("cursor", "not-allowed")  # looks off, not like a live primary button
        expect(page.locator("#submit-reason")).to_have_text("Blocked by the policy: change the highlighted words before you submit.")
        expect(page.locator("[data-live='findings-draft'] .finding-title")).to_have_text(["Personal details in a public reply"])
        page.screenshot(path=str(artifacts_dir / "screen-drafting-submit-blocked-390.png"), full_page=True)

        reply.fill(NEEDS_REVIEW)
        expect(submit).to_have_value("Send for comms approval")
        expect(submit).to_be_enabled()
        expect(page.locator("#submit-reason")).to_be_hidden()

        reply.fill("x" * 290)
        expect(count).to_have_text("290 of 280 characters (X): 10 over the limit")
        expect(page.locator("[data-live='findings-draft']")).to_contain_text("Too long for the platform")
    finally:
        context.close()
    assert problems == [], problems


def test_a_returned_draft_that_now_passes_says_it_goes_back(browser: Browser, site) -> None:
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        site.shipped.sign_in(page, "tama")
        page.goto(f"/drafts/{site.returned_id}")
        expect(page.locator("form[data-live-ready]")).to_have_count(1)
        submit = page.locator("[data-live='submit']")
        expect(submit).to_have_value("Send back to comms for approval")
        reply = page.get_by_role("textbox", name="Your reply")
        reply.fill(FIXED + " Thanks again.")
        expect(page.locator("[data-live='decision']")).to_have_text("Passes policy")
        expect(submit).to_have_value("Send back to comms for approval")  # the live check keeps saying so
    finally:
        context.close()
