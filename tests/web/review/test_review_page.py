"""The review page and its decisions: approve, reject, return, edit; separation of duties, conflicts, bad input."""

from __future__ import annotations

import html
import re

from markupsafe import escape

from fixtures_workflow import BLOCKED_TEXT, LEGAL_TEXT, REVIEW_TEXT  # type: ignore[import-not-found]


def text_of(response) -> str:
    return response.get_data(as_text=True)


def flashes(page: str) -> list[str]:
    return [html.unescape(re.sub(r"\s+", " ", m).strip()) for m in re.findall(r'<p class="flash flash-error" role="alert">(.*?)</p>', page, re.S)]


def history_of(page: str) -> list[str]:
    """The review page's History list, each step as text after its time stamp."""
    found = re.search(r'<ol class="history">(.*?)</ol>', page, re.S)
    steps = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S) if found else []
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", step))).strip().split(" UTC: ", 1)[-1] for step in steps]


def decide(client, draft, action: str, **data):
    """POST one decision with the version the page would carry (override with expected_version=...)."""
    data.setdefault("expected_version", str(draft.lock_version))
    return client.post(f"/review/drafts/{draft.id}/{action}", data=data)


def test_the_review_page_shows_the_post_the_highlighted_draft_and_the_decisions(client_for, mere, pending) -> None:
    draft = pending()
    response = client_for(mere).get(f"/review/drafts/{draft.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "reply to @resident" in page and "The street light outside 12 Wharf Road" in page
    assert "Needs approval by comms" in page
    assert re.search(r'<mark class="hl hl-review" title="commitments\.promises: [^"]*"><span class="hl-text">We promise</span>', page)
    for finding in draft.verdict["findings"]:
        assert str(escape(finding["message"])) in page
    for action in ("approve", "reject", "return", "edit"):
        assert f'action="/review/drafts/{draft.id}/{action}"' in page
    assert page.count(f'name="expected_version" type="hidden" value="{draft.lock_version}"') == 4
    assert "Sam Patel</strong> submitted version 1" in page
    assert "<script>" not in page and " style=" not in page  # the CSP forbids inline script and style


def test_approving_approves_the_draft_answers_the_post_and_is_audited(client_for, mere, pending, reload, audit_actions) -> None:
    draft = pending()
    client = client_for(mere)
    response = decide(client, draft, "approve")
    assert response.status_code == 302 and response.location == "/review/"
    draft = reload(draft)
    assert draft.state == "approved"
    assert draft.inbound.answered_at is not None
    assert audit_actions()[-1] == "draft.approved"
    page = text_of(client.get("/review/"))
    assert f"Approved: Draft {draft.id} is ready to post." in page


def test_reject_needs_a_reason_and_return_needs_a_comment(client_for, mere, pending, reload) -> None:
    draft = pending()
    client = client_for(mere)
    response = decide(client, draft, "reject", reason="   ")
    assert response.status_code == 422
    assert "Reason for rejecting: Give a reason for rejecting: the staff member sees it." in flashes(text_of(response))
    response = decide(client, draft, "return", comment="")
    assert response.status_code == 422
    assert "What to change: Say what to change: the staff member sees your comment." in flashes(text_of(response))
    assert reload(draft).state == "pending"

    response = decide(client, draft, "return", comment="Don't name a day we can't keep.")
    assert response.status_code == 302
    draft = reload(draft)
    assert draft.state == "returned"
    page = text_of(client.get(f"/review/drafts/{draft.id}"))
    assert "Mere Tainui</strong> returned it for changes version 1: “Don&#39;t name a day we can&#39;t keep.”" in page
    assert 'action="/review/drafts/' not in page  # nothing to decide on a returned draft


def test_rejecting_with_a_reason_ends_the_draft(client_for, mere, pending, reload, audit_actions) -> None:
    draft = pending()
    response = decide(client_for(mere), draft, "reject", reason="Not ours to answer.")
    assert response.status_code == 302
    assert reload(draft).state == "rejected"
    assert audit_actions()[-1] == "draft.rejected"


def test_an_approver_cannot_approve_a_draft_they_wrote_and_the_attempt_is_kept(make_user, client_for, mere, pending, reload, audit_actions) -> None:
    both = make_user("tui", roles=["staff", "approver"], groups=["comms"], display_name="Tui Rangi")
    draft = pending(author=both)
    response = decide(client_for(both), draft, "approve")
    assert response.status_code == 403
    page = text_of(response)
    assert flashes(page) == ["You wrote this draft, so someone else must approve it."]
    assert page.count("You wrote this draft, so someone else must approve it.") == 2  # the flash, and where Approve was
    assert f'action="/review/drafts/{draft.id}/approve"' not in page  # not offered to someone who may not use it
    assert re.search(r"Who can approve it: [^<]*Mere Tainui", page)
    assert reload(draft).state == "pending"
    assert audit_actions()[-1] == "approval.refused"  # committed: evidence for the auditors
    assert history_of(page) == ["Tui Rangi submitted version 1", "Refused: Tui Rangi tried to approve their own draft (version 1)"]


def test_an_approvers_edit_is_rechecked_and_needs_another_approver(client_for, mere, hemi, pending, reload, audit_actions) -> None:
    draft = pending()
    edited = "We promise the pool will reopen soon, and we'll confirm the date here."
    response = decide(client_for(mere), draft, "edit", text=edited)
    assert response.status_code == 302 and response.location == f"/review/drafts/{draft.id}"
    draft = reload(draft)
    assert (draft.state, draft.text, draft.current_version.author_id) == ("pending", edited, mere.id)
    assert [f["rule"] for f in draft.verdict["findings"]] == ["commitments.promises"]

    page = text_of(client_for(mere).get(f"/review/drafts/{draft.id}"))
    assert "Version 2 (edited by Mere Tainui)" in page
    assert "You edited this version, so another approver must approve it." in page
    assert f'action="/review/drafts/{draft.id}/approve"' not in page
    assert "Who can approve it: Hemi Walker." in page
    assert "<del><span class=\"visually-hidden\">[removed: </span>" in page  # the diff from version 1

    response = decide(client_for(mere), draft, "approve")
    assert response.status_code == 403
    assert flashes(text_of(response)) == ["You edited this version, so another approver must approve it."]
    assert audit_actions()[-1] == "approval.refused"
    response = decide(client_for(hemi), reload(draft), "approve")
    assert response.status_code == 302
    assert reload(draft).state == "approved"
    assert history_of(text_of(client_for(hemi).get(f"/review/drafts/{draft.id}"))) == [
        "Sam Patel submitted version 1",
        "Mere Tainui edited version 2",
        "Refused: Mere Tainui tried to approve their own edit (version 2)",
        "Hemi Walker approved version 2",
    ]


def test_an_edit_the_policy_blocks_is_refused_with_its_findings(client_for, mere, pending, reload) -> None:
    draft = pending()
    response = decide(client_for(mere), draft, "edit", text=BLOCKED_TEXT)
    assert response.status_code == 422
    page = text_of(response)
    assert flashes(page) == ["The policy blocks the edited text: change what the findings point at."]
    assert '<span class="hl-text">021 555 0199</span>' in page
    assert "<details class=\"edit-draft\" open>" in page
    assert len(reload(draft).versions) == 1

    response = decide(client_for(mere), draft, "edit", text=REVIEW_TEXT)
    assert response.status_code == 422
    assert flashes(text_of(response)) == ["text: is unchanged: edit the text, or approve it as it is"]


def test_a_decision_on_a_draft_changed_since_the_page_loaded_is_a_conflict(client_for, mere, hemi, pending, reload) -> None:
    draft = pending()
    seen = str(draft.lock_version)
    assert decide(client_for(hemi), draft, "return", comment="Say when.").status_code == 302
    response = decide(client_for(mere), draft, "approve", expected_version=seen)
    assert response.status_code == 409
    page = text_of(response)
    assert flashes(page) == ["Someone else acted on this draft first; reload it and try again."]
    assert "returned for changes" in page  # the page shows the draft as it is now
    draft = reload(draft)
    assert draft.state == "returned"
    assert draft.current_version.number == 1


def test_a_missing_or_garbled_version_is_a_clear_error(client_for, mere, pending, reload) -> None:
    draft = pending()
    client = client_for(mere)
    response = client.post(f"/review/drafts/{draft.id}/approve", data={})
    assert response.status_code == 422
    assert flashes(text_of(response)) == ["The page was missing the draft's version: reload it and try again."]
    response = decide(client, draft, "approve", expected_version="7; drop table")
    assert flashes(text_of(response)) == ["The page sent a garbled draft version: reload it and try again."]
    assert reload(draft).state == "pending"


def test_deciding_on_a_draft_that_is_no_longer_pending_says_so(client_for, mere, make_draft, account) -> None:
    draft = make_draft("approved", text=REVIEW_TEXT, account=account, approver=mere)
    client = client_for(mere)
    page = text_of(client.get(f"/review/drafts/{draft.id}"))
    assert "Approved " in page and 'action="/review/drafts/' not in page
    response = decide(client, draft, "reject", reason="Too late.")
    assert response.status_code == 403
    assert flashes(text_of(response)) == ["This draft is approved, so it cannot be rejected now."]


def test_approvers_outside_the_routed_groups_cannot_see_the_draft(make_user, client_for, pending) -> None:
    draft = pending()
    lawyer = make_user("lee", roles=["approver"], groups=["legal"])
    client = client_for(lawyer)
    assert client.get(f"/review/drafts/{draft.id}").status_code == 404
    assert decide(client, draft, "approve").status_code == 404


def test_decisions_need_the_csrf_token(make_app, make_user, login, pending, reload) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    approver = make_user("ari", roles=["approver"], groups=["comms"])
    draft = pending()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "ari", "password": approver.test_password, "csrf_token": token})
    response = decide(client, draft, "approve")
    assert response.status_code == 400
    assert reload(draft).state == "pending"


def test_an_approver_in_two_routed_groups_chooses_which_one_their_approval_counts_for(make_user, client_for, pending, reload) -> None:
    both = make_user("kiri", roles=["approver"], groups=["comms", "legal"], display_name="Kiri Moana")
    draft = pending(f"{REVIEW_TEXT} {LEGAL_TEXT}")
    assert draft.routes == ["comms", "legal"]
    client = client_for(both)
    page = text_of(client.get(f"/review/drafts/{draft.id}"))
    assert re.search(r'<select [^>]*name="group"', page) and '<option value="legal">legal</option>' in page
    response = decide(client, draft, "approve", group="press")
    assert response.status_code == 422
    assert flashes(text_of(response)) == ["Approve for group: Not a valid choice."]

    response = decide(client, draft, "approve", group="legal")
    assert response.status_code == 302
    draft = reload(draft)
    assert draft.state == "pending"
    page = text_of(client.get(f"/review/drafts/{draft.id}"))
    assert f"Your approval of Draft {draft.id} is recorded; it still needs approval by comms." in page
    assert "Kiri Moana for legal, version 1" in page
    assert "Still needs approval by comms." in page


def test_the_page_without_a_group_choice_for_an_approver_in_one_routed_group(client_for, mere, pending) -> None:
    draft = pending(f"{REVIEW_TEXT} {LEGAL_TEXT}")
    page = text_of(client_for(mere).get(f"/review/drafts/{draft.id}"))
    assert 'name="group"' not in page
    assert "Approve this exact text for comms or legal." in page
