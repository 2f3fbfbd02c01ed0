"""Triage (#14 item 7): what 'unanswered' is made of, the most urgent account first, a second reply warned."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from fixtures_workflow import REVIEW_TEXT  # type: ignore[import-not-found]

from drafting_pages import page_text  # type: ignore[import-not-found]
from reviewer.drafting.inbound import inbox_summary


def test_unanswered_posts_are_split_by_where_their_reply_is(db_session, make_inbound, make_draft, account) -> None:
    now = datetime.now(timezone.utc)
    make_inbound(account)  # nobody has started a reply
    make_draft("draft", inbound=make_inbound(account))  # a reply saved, not sent
    make_draft("pending", inbound=make_inbound(account))
    make_draft("returned", inbound=make_inbound(account))
    make_draft("approved", inbound=make_inbound(account))  # answered
    old = make_inbound(account, received_at=now - timedelta(days=9))
    make_draft("approved", inbound=old)
    old.answered_at = now - timedelta(days=8)  # answered long ago: outside the last 7 days
    db_session.commit()
    summary = inbox_summary(db_session, account)
    assert (summary.unanswered, summary.no_draft, summary.in_review, summary.returned, summary.answered) == (4, 2, 1, 1, 1)


def test_the_index_shows_the_split_and_puts_the_most_urgent_account_first(staff_client, make_account, make_inbound, make_draft, account) -> None:
    now = datetime.now(timezone.utc)
    calm = make_account("@AaaQuiet", name="Aaa Quiet Library")  # first alphabetically, nothing overdue
    make_inbound(calm, received_at=now - timedelta(minutes=5))
    make_inbound(account, received_at=now - timedelta(hours=30))  # overdue against the one-day target
    make_draft("pending", text=REVIEW_TEXT, inbound=make_inbound(account, received_at=now - timedelta(hours=2)))
    page = page_text(staff_client.get("/inbox/"))
    assert page.index("Harbour City Council") < page.index("Aaa Quiet Library")
    row = re.search(r"<tr>\s*<td data-label=\"Account\"><a [^>]*>Harbour City Council.*?</tr>", page, re.S).group(0)
    for label, number in (("No draft sent", 1), ("In review", 1), ("Returned", 0), ("Answered, last 7 days", 0)):
        assert re.search(rf'data-label="{label}">{number}\b', row), (label, row)


def test_an_account_inbox_says_where_its_replies_are(staff_client, make_inbound, make_draft, account) -> None:
    make_inbound(account)
    make_draft("returned", inbound=make_inbound(account))
    page = page_text(staff_client.get(f"/inbox/{account.id}"))
    assert "2 waiting for a reply: 1 with no draft sent, 0 in review, 1 returned for changes; 0 answered in the last 7 days." in page


def test_home_links_to_the_inbox_and_to_my_drafts_by_their_names(staff_client) -> None:
    home = page_text(staff_client.get("/"))
    assert '<a class="button" href="/inbox/">Go to the inbox</a>' in home
    assert '<a href="/inbox/#your-drafts">Your open drafts</a>' in home
    assert "Go to drafts" not in home
    assert '<h2 id="your-drafts">Your open drafts</h2>' in page_text(staff_client.get("/inbox/"))


def test_a_second_reply_to_an_answered_post_is_warned_and_must_be_confirmed(staff_client, make_inbound, make_draft, account, db_session) -> None:
    from fixtures_workflow import CLEAN_TEXT  # type: ignore[import-not-found]

    post = make_inbound(account, author_handle="@answered")
    first = make_draft("approved", inbound=post)
    page = page_text(staff_client.get(f"/posts/{post.id}"))
    assert "This post already has a reply" in page
    assert f'href="/drafts/{first.id}"' in page
    assert 'name="second_reply"' in page

    refused = staff_client.post(f"/posts/{post.id}", data={"text": CLEAN_TEXT, "submit_reply": "Submit"})
    assert refused.status_code == 422
    assert "Tick this to send a second reply to @answered" in page_text(refused)
    sent = staff_client.post(f"/posts/{post.id}", data={"text": CLEAN_TEXT, "submit_reply": "Submit", "second_reply": "y"})
    assert sent.status_code == 302

    unanswered = make_inbound(account)
    assert 'name="second_reply"' not in page_text(staff_client.get(f"/posts/{unanswered.id}"))
