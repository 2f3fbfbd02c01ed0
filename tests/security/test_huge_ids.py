"""Ids and numbers beyond 64 bits (in URLs, query strings and JSON bodies) are a clear 404 or 422, never a 500.

SQLite and PostgreSQL store 64-bit integers; Python's are unbounded, so a
huge id used to reach the database driver and fail there (OverflowError, a
500). Found by the schemathesis run in test_fuzz_api.py.
"""

from __future__ import annotations

import pytest

HUGE = 2**63  # one past the largest 64-bit signed integer
HUGER = 10**30


@pytest.mark.parametrize("number", [HUGE, HUGER])
def test_huge_ids_in_api_urls_bodies_and_queries(two_orgs, api_as, number) -> None:
    staff, approver = api_as(two_orgs.staff_a), api_as(two_orgs.comms)
    a = two_orgs.account_a.id
    calls = [
        (staff, "GET", f"/api/v1/drafts/{number}", None),
        (approver, "POST", f"/api/v1/drafts/{number}/decision", {"action": "approve"}),
        (approver, "POST", f"/api/v1/drafts/{two_orgs.pending_a.id}/decision", {"action": "approve", "expected_version": number}),
        (staff, "POST", "/api/v1/drafts", {"account_id": number, "text": "Thanks, we will look."}),
        (staff, "POST", "/api/v1/drafts", {"account_id": a, "text": "Thanks, we will look.", "inbound_id": number}),
        (staff, "POST", "/api/v1/check", {"account_id": number, "text": "hello"}),
        (staff, "POST", "/api/v1/inbound", {"account_id": number, "author_handle": "@r", "text": "hi"}),
        (approver, "GET", f"/api/v1/queue?group=comms&account_id={number}", None),
        (approver, "GET", f"/api/v1/queue?group=comms&older_than_minutes={number}", None),
    ]
    for api, method, path, body in calls:
        response = api.get(path) if method == "GET" else api.post(path, body)
        assert response.status_code in (404, 409, 422), f"{method} {path} {body} -> {response.status_code}"
        assert response.is_json and response.json["error"]["message"], path


@pytest.mark.parametrize("number", [HUGE, HUGER])
def test_huge_ids_in_page_urls(two_orgs, web_as, number) -> None:
    pages = {
        two_orgs.staff_a: [f"/drafts/{number}", f"/inbox/{number}", f"/posts/{number}", f"/inbox/{number}/compose",
                           f"/drafts/{two_orgs.draft_a.id}?from={number}&to=1"],
        two_orgs.comms: [f"/review/drafts/{number}", f"/review/?group=comms&account={number}"],
        two_orgs.auditor: [f"/audit/drafts/{number}", f"/audit/?draft={number}", f"/audit/?actor={number}"],
        two_orgs.admin: [f"/admin/users/{number}", f"/admin/groups/{number}", f"/admin/accounts/{number}"],
    }
    for user, urls in pages.items():
        web = web_as(user)
        for url in urls:
            response = web.get(url)
            assert response.status_code in (200, 404, 422), f"{user.username} {url} -> {response.status_code}"
    web = web_as(two_orgs.staff_a)
    assert web.post(f"/account/api-tokens/{number}/revoke").status_code == 404
    response = web.post_json("/drafting/check", {"account_id": number, "text": "hello"})
    assert response.status_code == 404 and response.json["field"] == "account_id"
    response = web.post_json("/drafting/check", {"account_id": two_orgs.account_a.id, "text": "hello", "inbound_id": number})
    assert response.status_code == 404 and response.json["field"] == "inbound_id"
