"""The auditor's journey in a real Chromium: filter the trail, open a draft's story, verify the chain.

This module serves its own app (`shipped.site` in conftest.py: the shipped
policies, so drafts get real findings; CSRF on) with an auditor and a few
drafts walked through the real services, and opens its own browser context on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser

NEEDS_REVIEW = "We promise the pool will reopen by Friday."
CLEAN = "Thanks for letting us know, the crew will fix the light this week."


@pytest.fixture(scope="module")
def audit_site(shipped) -> Iterator[SimpleNamespace]:
    """The app on a loopback port: an auditor, a staff member, an approver, two drafts with their trail."""
    from reviewer.db import app_session
    from reviewer.drafting.inbound import create_inbound
    from reviewer.drafting.services import create_draft
    from reviewer.review import services as review
    from reviewer.review.submitting import submit_draft

    with shipped.site("audit-live") as site:
        checker = site.app.extensions["reviewer.checker"]
        with app_session(site.app) as session:
            people = shipped.add_people(session, {
                "ana": ("Ana Auditor", ["auditor"], []),
                "rangi": ("Rangi Walker", ["staff"], []),
                "mere": ("Mere Tainui", ["approver"], ["comms"]),
            })
            staff, approver = people["rangi"], people["mere"]
            account = shipped.add_harbour_account(session)
            post = create_inbound(
                session, staff, account, author_handle="@swimmer", text="When does the pool reopen?",
                received_at=datetime.now(timezone.utc) - timedelta(hours=2),
            )
            flagged = create_draft(session, staff, checker, account, NEEDS_REVIEW, inbound=post)
            submit_draft(session, staff, checker, flagged)
            review.approve(session, approver, flagged, expected_version=flagged.lock_version)
            clean = create_draft(session, staff, checker, account, CLEAN)
            submit_draft(session, staff, checker, clean)
            session.commit()
            ids = SimpleNamespace(flagged=flagged.id, clean=clean.id)
        yield SimpleNamespace(url=site.url, drafts=ids)


def test_auditor_filters_the_trail_opens_a_story_and_verifies_the_chain(
    browser: Browser, audit_site, shipped, artifacts_dir: Path
) -> None:
    context = browser.new_context(base_url=audit_site.url, viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    flagged = audit_site.drafts.flagged
    try:
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if shipped.console_problem(m) else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        shipped.sign_in(page, "ana")
        page.get_by_role("link", name="Audit", exact=True).click()
        expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
        rows = page.locator("table.audit-events tbody tr")
        expect(rows.first).to_be_visible()

        # Filter: the flagged draft's decision and the approvals of one account.
        page.get_by_label("Decision").select_option("review")
        page.get_by_label("Action", exact=True).select_option("draft.checked")
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("draft.checked")
        expect(rows.first).to_contain_text(f"draft:{flagged}")
        page.screenshot(path=str(artifacts_dir / "screen-audit-filtered.png"), full_page=True)
        page.get_by_role("link", name="Clear filters").click()
        page.get_by_label("Account").select_option(label="Harbour City Council (@HarbourCityNZ on X)")
        page.get_by_label("Actor").fill("mere")
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("draft.approved")

        # The draft's full story.
        rows.first.get_by_role("link", name=f"draft:{flagged}").click()
        expect(page.get_by_role("heading", name=f"Draft {flagged}: full story")).to_be_visible()
        expect(page.get_by_text("When does the pool reopen?")).to_be_visible()
        expect(page.locator(".story-versions mark.hl-review").first).to_be_visible()
        expect(page.locator("ol.history")).to_contain_text("Mere Tainui (mere)")
        expect(page.locator("table.audit-events")).to_contain_text("inbound.created")
        page.screenshot(path=str(artifacts_dir / "screen-audit-story.png"), full_page=True)

        # Verify the chain and read the head to write down.
        page.get_by_role("link", name="Audit", exact=True).click()
        page.get_by_role("button", name="Verify chain").click()
        expect(page.locator(".verify-result")).to_contain_text("OK")
        expect(page.locator(".verify-result")).to_contain_text("events verified")
        anchor = page.locator("#head-anchor").inner_text()
        assert re.fullmatch(r"\d+:[0-9a-f]{64}", anchor), anchor
        page.screenshot(path=str(artifacts_dir / "screen-audit-verified.png"), full_page=True)

        # The noted anchor checks out on a later verification (which is itself in the trail now).
        page.get_by_role("link", name="Back to the audit trail").click()
        page.get_by_label("Anchor noted earlier (optional)").fill(anchor)
        page.get_by_role("button", name="Verify chain").click()
        expect(page.locator(".verify-result")).to_contain_text("OK")
        expect(page.locator(".verify-result")).to_contain_text(f"and the anchor {anchor.split(':')[0]}")

        # A mistyped anchor: the same page again, what was typed kept, the error beside the field.
        page.get_by_role("link", name="Back to the audit trail").click()
        field = page.get_by_label("Anchor noted earlier (optional)")
        field.fill(anchor[:20])
        page.get_by_role("button", name="Verify chain").click()
        expect(page.locator("#anchor-error")).to_contain_text("HASH must be the full 64 hex characters")
        expect(field).to_have_value(anchor[:20])
        expect(field).to_have_attribute("aria-invalid", "true")
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(artifacts_dir / f"screen-audit-anchor-error-{width}.png"), full_page=True)
    finally:
        context.close()
    refused = [problem for problem in problems if "status of 422" in problem]
    assert len(refused) == 1, problems  # the mistyped anchor's page, deliberately 422
    assert [problem for problem in problems if problem not in refused] == [], problems
