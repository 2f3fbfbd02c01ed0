"""User-given links become `<a href>` on the post and draft pages, so only http(s) links are ever stored.

An inbound post's `url` (form, API, CSV/JSONL upload) and a draft's posted
URL (mark posted): `javascript:`, `data:`, `vbscript:` and their disguises
(case, leading spaces, tabs and newlines inside the scheme, entities) are
refused with the field named, and nothing is stored.
"""

from __future__ import annotations

import io

from sqlalchemy import func, select

from reviewer.drafting.models import InboundPost

HOSTILE_LINKS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "  javascript:alert(1)", "java\tscript:alert(1)", "java\nscript:alert(1)",
    "javascript&colon;alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x",
    "http:alert(1)", "file:///etc/passwd",
]


def _posts(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(InboundPost))


def test_the_inbound_form_and_api_refuse_non_http_links(two_orgs, web_as, api_as, db_session) -> None:
    before = _posts(db_session)
    web, api = web_as(two_orgs.staff_a), api_as(two_orgs.staff_a)
    for link in HOSTILE_LINKS:
        response = web.post(
            f"/inbox/{two_orgs.account_a.id}/posts/new",
            {"author_handle": "@resident", "text": "The light is out.", "received_at": "2026-11-01T10:00:00Z", "url": link},
        )
        assert response.status_code in (200, 422) and "http(s) link" in response.get_data(as_text=True), link
        body = {"account_id": two_orgs.account_a.id, "author_handle": "@r", "text": "hi", "url": link}
        response = api.post("/api/v1/inbound", body)
        assert response.status_code == 422 and response.json["error"]["field"] == "url", (link, response.json)
    assert _posts(db_session) == before


def test_an_upload_with_one_hostile_link_stores_nothing(two_orgs, web_as, db_session) -> None:
    before = _posts(db_session)
    csv_text = (
        "platform,author_handle,text,url,received_at,external_id\n"
        ",@a,fine,https://x.com/a/status/1,2026-11-01T10:00:00+00:00,\n"
        ',@b,bad,"javascript:alert(1)",2026-11-01T10:00:00+00:00,\n'
    )
    web = web_as(two_orgs.staff_a)
    response = web.client.post(
        f"/inbox/{two_orgs.account_a.id}/upload",
        data={"csrf_token": web.token, "format": "csv", "file": (io.BytesIO(csv_text.encode()), "posts.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "url" in page and "http(s) link" in page
    assert _posts(db_session) == before


def test_mark_posted_refuses_non_http_links(two_orgs, web_as, db_session, make_draft) -> None:
    from reviewer.drafting.models import Draft

    approved = make_draft("approved", account=two_orgs.account_a, author=two_orgs.staff_a)
    web = web_as(two_orgs.staff_a)
    for link in HOSTILE_LINKS:
        response = web.post(f"/drafts/{approved.id}/posted", {"url": link, "expected_version": str(approved.lock_version)})
        assert response.status_code == 422  # the draft page again, saying why (issue 18; was a redirect)
        db_session.rollback()
        stored = db_session.get(Draft, approved.id)
        assert stored.state == "approved" and stored.posted_url is None, link
    response = web.post(f"/drafts/{approved.id}/posted", {"url": "https://x.com/OrgA/status/1", "expected_version": str(approved.lock_version)})
    db_session.rollback()
    assert db_session.get(Draft, approved.id).posted_url == "https://x.com/OrgA/status/1"  # the control: a real link is kept
