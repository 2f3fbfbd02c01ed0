"""Findings in staff language (#14 item 6): titles, merged findings, the character count, Submit by outcome."""

from __future__ import annotations

import html
import re

from fixtures_workflow import BLOCKED_TEXT, CLEAN_TEXT, REVIEW_TEXT  # type: ignore[import-not-found]

RUDE = "Honestly, what a useless complaint. Get a life."


def check(client, account, text: str) -> dict:
    response = client.post("/drafting/check", json={"account_id": account.id, "text": text, "inbound_id": None})
    assert response.status_code == 200
    return response.get_json()


def test_the_live_check_speaks_staff_language(staff_client, account) -> None:
    blocked = check(staff_client, account, BLOCKED_TEXT)
    assert blocked["findings"][0]["title"] == "Personal details in a public reply"
    assert blocked["submit"] == {
        "label": "Blocked: cannot submit", "blocked": "Blocked by the policy: change the highlighted words before you submit.",
    }
    assert check(staff_client, account, REVIEW_TEXT)["submit"] == {"label": "Send for comms approval", "blocked": None}
    assert check(staff_client, account, CLEAN_TEXT)["submit"] == {"label": "Submit: passes policy, approved at once", "blocked": None}
    assert blocked["length"] == {"count": len(BLOCKED_TEXT), "limit": 280, "platform": "X"}

    rude = check(staff_client, account, RUDE)
    actions_by_words = {}
    for finding in rude["findings"]:
        key = tuple(map(tuple, finding["spans"] or ())) or finding["rule"].split(".")[0]
        assert key not in actions_by_words, f"two findings about the same words: {finding['rule']}"
        actions_by_words[key] = finding["action"]


def test_the_editor_page_shows_the_count_and_the_outcome_of_a_refused_submit(staff_client, account, make_inbound) -> None:
    post = make_inbound(account)
    page = staff_client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert re.search(r'data-live="count"[^>]*data-limit="280"', page)
    assert "0 of 280 characters (X)" in html.unescape(page)

    refused = staff_client.post(f"/posts/{post.id}", data={"text": BLOCKED_TEXT, "submit_reply": "Submit"})
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    assert f"{len(BLOCKED_TEXT)} of 280 characters (X)" in text
    assert "Blocked by the policy: change the highlighted words before you submit." in text
    assert 'value="Blocked: cannot submit"' in text
    assert '<strong class="finding-title">Personal details in a public reply</strong>' in text


def test_a_returned_draft_says_it_goes_back_to_the_group_that_returned_it(client_for, make_draft, staff, account, db_session, checker) -> None:
    from fixtures_workflow import CLEAN_TEXT as PASSING  # type: ignore[import-not-found]

    from reviewer.drafting.services import revise_draft

    draft = make_draft("returned", text=REVIEW_TEXT, author=staff, account=account)
    revise_draft(db_session, staff, checker, draft, PASSING)
    db_session.commit()
    page = html.unescape(client_for(staff).get(f"/drafts/{draft.id}").get_data(as_text=True))
    assert 'value="Send back to comms for approval"' in page  # it passes now, but goes back to who returned it
    assert 'data-back-to="comms"' in page  # the live check keeps saying so
