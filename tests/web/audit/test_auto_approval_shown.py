"""Automatic approval reads as the policy's decision in the story, the trail and the report (#14 item 4)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

from reviewer.reports.data import build_report, period_of
from reviewer.reports.pdf import render_html


def flat(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_story_trail_and_report_say_approved_automatically_by_the_policy(auditor_client, client_for, make_draft, db_session) -> None:
    draft = make_draft("approved")  # passes policy: approved at submission, nobody approved it
    policy = draft.current_version.verdict["policy"]
    said = f"Approved automatically: passed policy {policy['id']} version {policy['version']}"

    story = flat(auditor_client.get(f"/audit/drafts/{draft.id}").get_data(as_text=True))
    assert said in story
    assert "No approvals." not in story

    trail = flat(auditor_client.get(f"/audit/?draft={draft.id}").get_data(as_text=True))
    assert "draft.auto_approved" in trail and said.lower() in trail.lower()
    assert "draft.approved " not in trail  # the staff member is not the actor of an approval

    staff_page = flat(client_for(draft.test_author).get(f"/drafts/{draft.id}").get_data(as_text=True))
    assert said in staff_page

    db_session.rollback()
    today = datetime.now(timezone.utc).date()
    since, until = period_of(today, today)
    data = build_report(db_session, since=since, until=until, agency="Harbour", generated_by="Ana")
    report = flat(render_html(data))
    assert re.search(rf"{said} 1\b", report), report[report.find("Summary"):][:800]
