"""The reply editor and the draft page: save, submit (server re-check), blocked submits, versions, diffs, posting."""

from __future__ import annotations

import re

from sqlalchemy import select

from reviewer.drafting.models import Draft, InboundPost

from drafting_pages import page_text  # type: ignore[import-not-found]
from fixtures_workflow import BLOCKED_TEXT, CLEAN_TEXT, REVIEW_TEXT  # type: ignore[import-not-found]


def drafts_in(db_session) -> list[Draft]:
    db_session.rollback()
    return list(db_session.scalars(select(Draft).order_by(Draft.id)))


def test_the_post_page_shows_the_post_and_a_live_checked_editor(staff_client, make_inbound, account) -> None:
    post = make_inbound(account, text="The light on <b>Wharf Road</b> is out")
    response = staff_client.get(f"/posts/{post.id}")
    assert response.status_code == 200
    page = page_text(response)
    assert "The light on &lt;b&gt;Wharf Road&lt;/b&gt; is out" in page
    assert "data-live-check" in page
    assert f'data-account-id="{account.id}"' in page and f'data-inbound-id="{post.id}"' in page
    assert 'src="/static/drafting.js"' in page and 'href="/static/drafting.css"' in page
    assert "Not checked yet" in page
    assert "onclick" not in page and "<script>" not in page  # no inline script: the CSP forbids it


def test_saving_a_blocked_draft_keeps_it_and_highlights_the_exact_words(staff_client, make_inbound, account, db_session) -> None:
    post = make_inbound(account)
    response = staff_client.post(f"/posts/{post.id}", data={"text": BLOCKED_TEXT, "save": "Save draft"})
    assert response.status_code == 302
    (draft,) = drafts_in(db_session)
    assert (draft.state, draft.decision, draft.inbound_post_id) == ("draft", "block", post.id)
    page = page_text(staff_client.get(response.location))
    assert "Blocked: change the highlighted words" in page
    assert re.search(r'<mark class="hl hl-block" title="pii\.[a-z_.]+: [^"]+"><span class="hl-text">021 555 0199</span>', page)
    finding = draft.verdict["findings"][0]
    assert finding["message"] in page and f"Policy: {finding['source']}" in page


def test_a_blocked_submit_shows_the_findings_stores_no_draft_and_audits_the_attempt(staff_client, make_inbound, account, db_session, audit_actions) -> None:
    post = make_inbound(account)
    before = audit_actions()
    response = staff_client.post(f"/posts/{post.id}", data={"text": BLOCKED_TEXT, "submit_reply": "Submit"})
    assert response.status_code == 422
    page = page_text(response)
    assert "The policy blocks this text" in page
    assert "Blocked: change the highlighted words" in page
    assert '<span class="hl-text">021 555 0199</span>' in page
    assert BLOCKED_TEXT.replace("'", "&#39;") in page  # the text stays in the editor to fix
    assert drafts_in(db_session) == []
    assert audit_actions() == [*before, "draft.blocked"]  # the attempt is on the record, the text is not stored


def test_submitting_a_clean_reply_approves_it_and_answers_the_post(staff_client, make_inbound, account, db_session) -> None:
    post = make_inbound(account)
    response = staff_client.post(f"/posts/{post.id}", data={"text": CLEAN_TEXT, "submit_reply": "Submit"}, follow_redirects=True)
    assert "Submitted: it passes policy and is approved for posting." in page_text(response)
    (draft,) = drafts_in(db_session)
    assert draft.state == "approved"
    assert db_session.get(InboundPost, post.id).answered_at is not None
    assert "Nothing waiting" in page_text(staff_client.get(f"/inbox/{account.id}"))


def test_submitting_a_risky_reply_sends_it_for_approval(staff_client, make_inbound, account, db_session) -> None:
    post = make_inbound(account)
    response = staff_client.post(f"/posts/{post.id}", data={"text": REVIEW_TEXT, "submit_reply": "Submit"}, follow_redirects=True)
    page = page_text(response)
    assert "Submitted for approval by comms." in page
    assert "Waiting for approval by comms" in page
    assert "Needs approval by comms" in page
    assert drafts_in(db_session)[0].state == "pending"


def test_a_standalone_post_and_an_empty_reply(staff_client, account, db_session) -> None:
    response = staff_client.post(f"/inbox/{account.id}/compose", data={"text": "", "save": "Save draft"})
    assert response.status_code == 422
    assert "Write the reply first." in page_text(response)
    response = staff_client.post(f"/inbox/{account.id}/compose", data={"text": CLEAN_TEXT, "save": "Save draft"})
    assert response.status_code == 302
    (draft,) = drafts_in(db_session)
    assert draft.inbound_post_id is None and draft.state == "draft"
    assert "Passes policy" in page_text(staff_client.get(response.location))


def test_html_in_drafts_is_shown_as_text(staff_client, account, db_session) -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)"> call 021 555 0199'
    response = staff_client.post(f"/inbox/{account.id}/compose", data={"text": evil, "save": "Save draft"})
    page = page_text(staff_client.get(response.location))
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page


def test_revising_keeps_every_version_and_shows_the_diff(staff_client, make_draft, staff, account, db_session) -> None:
    draft = make_draft("draft", text=REVIEW_TEXT, author=staff, account=account)
    response = staff_client.post(
        f"/drafts/{draft.id}",
        data={"text": "We hope the pool will reopen soon.", "expected_version": str(draft.lock_version), "save": "Save draft"},
    )
    assert response.status_code == 302
    page = page_text(staff_client.get(f"/drafts/{draft.id}"))
    assert "version 2 of 2" in page
    assert "Changes from version 1 to version 2" in page
    assert '<del><span class="visually-hidden">[removed: </span>promise' in page
    assert '<ins><span class="visually-hidden">[added: </span>hope' in page
    assert page_text(staff_client.get(f"/drafts/{draft.id}?from=2&to=1")).count("Changes from version 1 to version 2") == 1


def test_a_returned_draft_shows_the_comment_and_can_be_revised_and_resubmitted(staff_client, make_draft, staff, account, db_session) -> None:
    draft = make_draft("returned", author=staff, account=account)
    page = page_text(staff_client.get(f"/drafts/{draft.id}"))
    assert "Returned for changes" in page and "Drop the date." in page
    response = staff_client.post(
        f"/drafts/{draft.id}",
        data={"text": "We are working to reopen the pool soon.", "expected_version": str(draft.lock_version), "submit_reply": "Submit"},
        follow_redirects=True,
    )
    db_session.rollback()
    db_session.refresh(draft)
    assert len(draft.versions) == 2
    assert draft.state in ("pending", "approved")
    assert "Submitted" in page_text(response)


def test_a_blocked_revision_is_not_submitted_and_nothing_is_stored(staff_client, make_draft, staff, account, db_session) -> None:
    draft = make_draft("draft", author=staff, account=account)
    response = staff_client.post(
        f"/drafts/{draft.id}",
        data={"text": BLOCKED_TEXT, "expected_version": str(draft.lock_version), "submit_reply": "Submit"},
    )
    assert response.status_code == 422
    assert '<span class="hl-text">021 555 0199</span>' in page_text(response)
    db_session.rollback()
    db_session.refresh(draft)
    assert (draft.state, len(draft.versions)) == ("draft", 1)


def test_a_stale_page_gets_a_conflict_message(staff_client, make_draft, staff, account) -> None:
    draft = make_draft("draft", author=staff, account=account)
    response = staff_client.post(
        f"/drafts/{draft.id}", data={"text": "Changed", "expected_version": str(draft.lock_version - 1), "save": "Save draft"}
    )
    assert response.status_code == 409
    assert "Someone else acted on this draft first" in page_text(response)


def test_a_pending_draft_cannot_be_changed_by_staff(staff_client, make_draft, staff, account, db_session) -> None:
    draft = make_draft("pending", author=staff, account=account)
    response = staff_client.post(f"/drafts/{draft.id}", data={"text": "Sneaky", "save": "Save draft"}, follow_redirects=True)
    assert "cannot be changed or submitted now" in page_text(response)
    db_session.rollback()
    db_session.refresh(draft)
    assert len(draft.versions) == 1


def test_an_approved_draft_is_marked_posted_with_its_url(staff_client, make_draft, staff, account, db_session, audit_actions) -> None:
    draft = make_draft("approved", author=staff, account=account)
    page = page_text(staff_client.get(f"/drafts/{draft.id}"))
    assert "ready to post" in page and "Mark as posted" in page
    response = staff_client.post(
        f"/drafts/{draft.id}/posted", data={"url": "javascript:alert(1)", "expected_version": str(draft.lock_version)}, follow_redirects=True
    )
    assert "is not an http(s) link" in page_text(response)
    response = staff_client.post(
        f"/drafts/{draft.id}/posted",
        data={"url": "https://x.com/HarbourCityNZ/status/77", "expected_version": str(draft.lock_version)},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Marked as posted." in page
    assert '<a href="https://x.com/HarbourCityNZ/status/77"' in page
    assert audit_actions()[-1] == "draft.posted"
    db_session.refresh(draft)
    assert draft.state == "posted"
