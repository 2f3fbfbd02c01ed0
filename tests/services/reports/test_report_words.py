"""The report says refusals in plain words, not codes (#14 item 8)."""

from __future__ import annotations

import html
import re

from reviewer.reports.data import build_report
from reviewer.reports.pdf import render_html


def test_refusal_reasons_are_plain_words_in_the_report(db_session, seeded, today_period) -> None:
    db_session.rollback()
    since, until = today_period
    data = build_report(db_session, since=since, until=until, account_id=seeded.account.id, agency="R", generated_by="P")
    assert [r.reason for r in data.refusals] == ["own_draft"]  # the data keeps the code
    page = html.unescape(re.sub(r"\s+", " ", render_html(data)))
    refusals = page[page.index("Self-approval attempts refused"):page.index("Policy changes in the period")]
    assert "Tried to approve their own draft" in refusals
    assert "own_draft" not in refusals
