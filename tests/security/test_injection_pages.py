"""Hostile drafts, posts, names, comments, reasons and token names are shown as text on every page that shows them.

For each page: it answers 200, its markup has no inline script, handler,
style or javascript: URL and no element the templates never emit (so no
payload became markup), and the payload's markers are in the page text (so
it was shown, escaped, not silently dropped).
"""

from __future__ import annotations

import payloads
import pytest
from html_checks import foreign_elements, inline_problems, page_text

from reviewer.drafting.models import Draft


@pytest.fixture
def hostile(db_session, make_user, make_account, make_inbound, checker):
    return payloads.build(db_session, make_user, make_account, make_inbound, checker)


@pytest.mark.parametrize("role", ["staff", "approver", "auditor", "admin"])
def test_every_page_shows_the_payloads_as_text(hostile, web_as, role) -> None:
    user = {"staff": hostile.staff, "approver": hostile.approver, "auditor": hostile.auditor, "admin": hostile.admin}[role]
    web = web_as(user)
    for url, markers in payloads.pages_showing(hostile)[role]:
        response = web.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, f"{role} {url} -> {response.status_code}"
        assert inline_problems(page) == [], f"{role} {url}: payload became markup"
        assert foreign_elements(page) == [], f"{role} {url}: payload became an element"
        text = page_text(page)
        missing = [m for m in markers if m not in text]
        assert missing == [], f"{role} {url}: not shown as text: {missing}"


def test_the_admin_edit_forms_keep_hostile_values_inside_their_attributes(hostile, web_as) -> None:
    """An attribute breakout (`">`) stays in the value: the form field holds the exact payload."""
    from html.parser import HTMLParser

    class Values(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.values: dict[str, str] = {}

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            named = dict(attrs)
            if tag == "input" and named.get("name"):
                self.values[named["name"]] = named.get("value") or ""

    web = web_as(hostile.admin)
    for url, field in ((f"/admin/users/{hostile.staff.id}", "display_name"), (f"/admin/accounts/{hostile.account.id}", "name")):
        parser = Values()
        parser.feed(web.get(url).get_data(as_text=True))
        assert parser.values[field] == payloads.SHORT, url


def test_the_live_check_answers_json_that_carries_the_text_as_data(hostile, web_as) -> None:
    """The editor's live check returns JSON (drafting.js inserts it with textContent); nothing is pre-rendered HTML."""
    web = web_as(hostile.staff)
    text = payloads.HTML_TEXT + " " + payloads.UNICODE_TEXT
    response = web.post_json("/drafting/check", {"account_id": hostile.account.id, "text": text})
    assert response.status_code == 200 and response.mimetype == "application/json"
    joined = "".join(segment["text"] for segment in response.json["segments"])
    assert joined == text


def test_hostile_texts_are_stored_exactly_as_typed(hostile, db_session) -> None:
    """Escaping happens when shown, never by changing what was written (the audit hashes the exact text)."""
    db_session.rollback()
    assert db_session.get(Draft, hostile.draft.id).text == payloads.HTML_TEXT + " " + payloads.UNICODE_TEXT


def test_the_drafting_script_never_builds_html_from_strings() -> None:
    from pathlib import Path

    import reviewer

    static = Path(reviewer.__file__).parent / "web" / "static"
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout(\"")
    for script in static.glob("*.js"):
        source = script.read_text(encoding="utf-8")
        assert [s for s in sinks if s in source] == [], script.name
