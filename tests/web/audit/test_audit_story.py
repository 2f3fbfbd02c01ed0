"""A draft's full story: the post, every version with verdict and findings, every decision and who
made it, the policy (id, version, sha256) and scorer used, and the audit events about it."""

from __future__ import annotations

import html as htmllib

from fixtures_workflow import BLOCKED_TEXT, REVIEW_TEXT  # type: ignore[import-not-found]

from reviewer.audit.story import draft_story


def test_the_story_page_tells_everything(auditor_client, make_draft, make_inbound, make_account, make_user, db_session, checker) -> None:
    from reviewer.drafting.services import revise_draft
    from reviewer.review import services as review
    from reviewer.review.submitting import submit_draft

    account = make_account("@HarbourCityNZ", name="Harbour City Council")
    post = make_inbound(account, text="When will the pool reopen? Ring me on 021 555 0199", author_handle="@swimmer")
    draft = make_draft("returned", text=REVIEW_TEXT, inbound=post, account=account)
    revise_draft(db_session, draft.test_author, checker, draft, BLOCKED_TEXT)
    db_session.commit()
    revise_draft(db_session, draft.test_author, checker, draft, REVIEW_TEXT + " We'll post an update.")
    submit_draft(db_session, draft.test_author, checker, draft)
    approver = make_user("rawiri", roles=["approver"], groups=list(draft.routes), display_name="Rawiri Approver")
    review.approve(db_session, approver, draft, expected_version=draft.lock_version)
    db_session.commit()

    page = auditor_client.get(f"/audit/drafts/{draft.id}")
    assert page.status_code == 200
    text = htmllib.unescape(page.get_data(as_text=True))
    assert "@swimmer" in text and "When will the pool reopen?" in text  # the inbound post
    for number in (1, 2, 3):
        assert f"Version {number}" in text
    assert "021 555 0199" in text and "Blocked" in text  # version 2's verdict, with its finding highlighted
    assert '<mark class="hl hl-block"' in page.get_data(as_text=True)
    verdict = draft.versions[-1].verdict
    assert verdict["policy"]["sha256"] in text and verdict["policy"]["id"] in text and verdict["policy"]["version"] in text
    assert verdict["scorer"]["version"] in text
    assert "returned it for changes" in text and "Drop the date." in text  # who returned it, and why
    assert f"{draft.test_approver.display_name} ({draft.test_approver.username})" in text
    assert "Rawiri Approver (rawiri) approved version 3" in " ".join(text.split()).replace("</strong>", "").replace("<strong>", "")
    for action in ("inbound.created", "draft.created", "draft.checked", "draft.returned", "draft.revised", "draft.approved"):
        assert action in text, action


def test_the_story_as_plain_data(make_draft, db_session) -> None:
    draft = make_draft("rejected")
    story = draft_story(db_session, draft.id)
    assert story.draft["state"] == "rejected" and story.inbound is None
    assert [step.action for step in story.decisions] == ["submit", "reject"]
    assert story.decisions[-1].comment == "Not for us to answer."
    assert story.policies == [draft.versions[0].verdict["policy"]]
    assert [event.action for event in story.events][-1] == "draft.rejected"
    assert all(event.draft_id == draft.id for event in story.events)
    assert draft_story(db_session, 999999) is None


def test_an_unknown_draft_is_404(auditor_client) -> None:
    assert auditor_client.get("/audit/drafts/424242").status_code == 404


def test_audit_pages_load_their_styles_and_scripts_in_the_head(auditor_client, make_draft) -> None:
    import re

    draft = make_draft("pending", text=REVIEW_TEXT)
    for path in ("/audit/", f"/audit/drafts/{draft.id}"):
        response = auditor_client.get(path)
        assert response.status_code == 200, path
        head, body = re.search(r"<head>(.*?)</head>(.*)", response.get_data(as_text=True), re.S).groups()
        assert head.count("/static/audit.css") == 1, path
        assert "<link " not in body and "<script" not in body, f"{path}: assets inside <body>"
    story = auditor_client.get(f"/audit/drafts/{draft.id}").get_data(as_text=True)
    assert '<script src="/static/drafting.js" defer></script>' in story.split("</head>")[0]


def test_the_header_links_to_the_api_tokens_page(auditor_client) -> None:
    assert 'href="/account/api-tokens"' in auditor_client.get("/audit/").get_data(as_text=True)


def test_auditors_and_admins_see_audit_and_reports_in_the_nav(shipped_app, make_user, login) -> None:
    for roles in (["auditor"], ["admin"]):
        client = shipped_app.test_client()
        login(client, make_user(roles=roles))
        page = client.get("/").get_data(as_text=True)
        nav = page.split('<nav aria-label="Main">')[1].split("</nav>")[0]
        assert 'href="/audit/"' in nav and 'href="/reports/"' in nav, roles
