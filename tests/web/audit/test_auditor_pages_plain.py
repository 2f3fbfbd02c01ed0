"""Auditor pages in plain words (#14 item 8): report dates, the rule filter, readable details, refusals, PDF cells."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone

import pytest

from reviewer.reports.forms import last_full_month


def flat(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", page))


@pytest.mark.parametrize(("today", "since", "until"), [
    (date(2026, 12, 5), date(2026, 11, 1), date(2026, 11, 30)),
    (date(2026, 1, 31), date(2025, 12, 1), date(2025, 12, 31)),
    (date(2024, 3, 1), date(2024, 2, 1), date(2024, 2, 29)),
])
def test_last_full_month(today: date, since: date, until: date) -> None:
    assert last_full_month(today) == (since, until)


def test_the_report_form_starts_on_the_last_full_month(auditor_client) -> None:
    since, until = last_full_month(datetime.now(timezone.utc).date())
    page = auditor_client.get("/reports/").get_data(as_text=True)
    assert re.search(rf'name="since"[^>]*value="{since.isoformat()}"', page) or re.search(rf'value="{since.isoformat()}"[^>]*name="since"', page)
    assert re.search(rf'name="until"[^>]*value="{until.isoformat()}"', page) or re.search(rf'value="{until.isoformat()}"[^>]*name="until"', page)


def test_the_rule_filter_offers_the_policies_rule_ids_and_a_real_placeholder(auditor_client, make_account) -> None:
    make_account("@HarbourCityNZ", name="Harbour City Council")
    page = auditor_client.get("/audit/").get_data(as_text=True)
    offered = re.findall(r'<option value="([a-z0-9_.-]+)"></option>', re.search(r'<datalist id="rule-ids">(.*?)</datalist>', page, re.S).group(1))
    assert "pii.public" in offered and "abuse.toxicity" in offered and "safeguarding.inbound" in offered
    placeholder = re.search(r'id="f-rule"[^>]*placeholder="([^"]*)"', page).group(1)
    assert placeholder.split(" ")[-1].strip("()") in offered or placeholder.startswith("pii")
    assert 'list="rule-ids"' in page


def test_the_details_column_is_readable_key_value_pairs(auditor_client, make_draft) -> None:
    draft = make_draft("pending")
    page = flat(auditor_client.get(f"/audit/?draft={draft.id}").get_data(as_text=True))
    routed = re.search(r'<code>draft\.routed</code>.*?</tr>', page).group(0)
    assert "<dt>Groups</dt> <dd>comms</dd>" in routed.replace("><", "> <") or "<dt>Groups</dt><dd>comms</dd>" in routed
    assert "<dt>Approvals required</dt>" in routed
    assert '{"account_id"' not in re.sub(r"<details class=\"stored-json\">.*?</details>", "", routed)


def test_refusal_reasons_read_as_words() -> None:
    from reviewer.audit.wording import refusal_words

    assert refusal_words("own_edit") == "Tried to approve their own edit"
    assert refusal_words("own_draft") == "Tried to approve their own draft"
    assert refusal_words("something_new") == "Refused (something_new)"


def test_pdf_table_cells_wrap_long_words_inside_the_cell() -> None:
    """A username and a date with no space between them must not run past the cell's right edge."""
    from weasyprint import HTML

    from reviewer import resources

    css = (resources.TEMPLATES / "reports" / "compliance.css").read_text()
    cell = "lee.safeguarding.approver.with.a.very.long.name" + "x" * 40
    page = f"""<html><head><style>{css}</style></head><body>
      <table class="refusals fixed"><colgroup><col style="width: 10%"><col style="width: 16%"><col style="width: 74%"></colgroup>
      <tr><td>1</td><td>{cell}</td><td>2026-12-04 10:00 UTC</td></tr></table></body></html>"""
    document = HTML(string=page).render()

    def walk(box):
        yield box
        for child in getattr(box, "children", ()) or ():
            yield from walk(child)

    overflows = []
    for box in walk(document.pages[0]._page_box):
        if type(box).__name__ == "TableCellBox":
            right = box.content_box_x() + box.width
            for inner in walk(box):
                if type(inner).__name__ == "TextBox" and inner.position_x + inner.width > right + 0.5:
                    overflows.append(inner.text)
    assert overflows == []
