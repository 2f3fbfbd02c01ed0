"""Changing ids in URLs and API bodies reaches nothing that is not the visitor's.

The product's rules (docs/workflow.md): staff draft only for accounts whose
teams they are in; approvers see and decide only drafts routed to one of
their groups (or that they already acted on); auditors read everything but
change nothing; an API token acts as its own user only. Each check changes
an id to another organisation's object and expects a refusal that leaks
nothing (404 on the web, 403/404/422 JSON on the API) and no state change.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fixtures_workflow import CLEAN_TEXT


def _state(db_session, draft) -> tuple[str, int, int]:
    from reviewer.drafting.models import Draft

    db_session.rollback()
    row = db_session.execute(select(Draft.state, Draft.lock_version).where(Draft.id == draft.id)).one()
    return row.state, row.lock_version, len(db_session.get(Draft, draft.id).versions)


# --- Staff of one account, on the other account's objects (web) --------------------------


def _foreign_staff_urls(w: Any) -> list[tuple[str, str, dict]]:
    b, post, draft, versions = w.account_b.id, w.post_b.id, w.draft_b.id, w.versions_b.id
    return [
        ("GET", f"/inbox/{b}", {}),
        ("GET", f"/inbox/{b}?answered=1", {}),
        ("GET", f"/inbox/{b}/compose", {}),
        ("POST", f"/inbox/{b}/compose", {"text": CLEAN_TEXT, "save": "1"}),
        ("GET", f"/inbox/{b}/posts/new", {}),
        ("POST", f"/inbox/{b}/posts/new", {"author_handle": "@x", "text": "hi", "received_at": "2026-11-01T10:00"}),
        ("GET", f"/inbox/{b}/upload", {}),
        ("GET", f"/posts/{post}", {}),
        ("POST", f"/posts/{post}", {"text": CLEAN_TEXT, "save": "1"}),
        ("GET", f"/drafts/{draft}", {}),
        ("POST", f"/drafts/{draft}", {"text": "Taken over.", "expected_version": "1", "save": "1"}),
        ("GET", f"/drafts/{versions}?from=1&to=2", {}),
        ("POST", f"/drafts/{w.approved_b.id}/posted", {"url": "https://x.com/a/status/1", "expected_version": "9"}),
    ]


def test_staff_of_one_account_reach_nothing_of_another(two_orgs, web_as, db_session, audit_actions) -> None:
    web = web_as(two_orgs.staff_a)
    before = audit_actions()
    states = {d.id: _state(db_session, d) for d in (two_orgs.draft_b, two_orgs.versions_b, two_orgs.approved_b)}
    for method, url, data in _foreign_staff_urls(two_orgs):
        response = web.get(url) if method == "GET" else web.post(url, data)
        page = response.get_data(as_text=True)
        assert response.status_code == 404, f"staff-a {method} {url} -> {response.status_code}"
        assert "Org B" not in page and "Post to B" not in page, f"{url} leaks account B"
    assert audit_actions() == before
    for draft in (two_orgs.draft_b, two_orgs.versions_b, two_orgs.approved_b):
        assert _state(db_session, draft) == states[draft.id]


def test_the_same_requests_work_for_the_accounts_own_staff(two_orgs, web_as) -> None:
    """The refusals above are about ownership, not broken URLs: account B's staff get each GET."""
    web = web_as(two_orgs.staff_b)
    for method, url, _data in _foreign_staff_urls(two_orgs):
        if method == "GET":
            assert web.get(url).status_code == 200, url


def test_the_live_check_refuses_another_accounts_id_and_post(two_orgs, web_as) -> None:
    web = web_as(two_orgs.staff_a)
    response = web.post_json("/drafting/check", {"account_id": two_orgs.account_b.id, "text": "hello"})
    assert response.status_code == 404 and response.json["field"] == "account_id"
    response = web.post_json(
        "/drafting/check", {"account_id": two_orgs.account_a.id, "text": "hello", "inbound_id": two_orgs.post_b.id}
    )
    assert response.status_code == 404 and response.json["field"] == "inbound_id"
    assert "Post to B" not in response.get_data(as_text=True)


def test_a_reply_cannot_attach_to_another_accounts_post(two_orgs, api_as, db_session) -> None:
    from reviewer.drafting.models import Draft

    api = api_as(two_orgs.staff_a)
    response = api.post("/api/v1/drafts", {"account_id": two_orgs.account_a.id, "text": CLEAN_TEXT, "inbound_id": two_orgs.post_b.id})
    assert response.status_code == 422 and response.json["error"]["field"] == "inbound_id"
    db_session.rollback()
    assert db_session.scalar(select(Draft.id).where(Draft.inbound_post_id == two_orgs.post_b.id, Draft.author_id == two_orgs.staff_a.id)) is None


def test_the_inbox_lists_only_the_visitors_accounts_and_drafts(two_orgs, web_as) -> None:
    page = web_as(two_orgs.staff_a).get("/inbox/").get_data(as_text=True)
    assert "Org A" in page and "Org B" not in page
    assert f"/drafts/{two_orgs.draft_a.id}\"" in page and f"/drafts/{two_orgs.draft_b.id}\"" not in page


# --- Staff through the API ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/drafts", lambda w: {"account_id": w.account_b.id, "text": CLEAN_TEXT}, 403),
        ("/api/v1/inbound", lambda w: {"account_id": w.account_b.id, "author_handle": "@x", "text": "hi"}, 403),
        ("/api/v1/inbound", lambda w: [{"account_id": w.account_a.id, "author_handle": "@x", "text": "a"},
                                       {"account_id": w.account_b.id, "author_handle": "@y", "text": "b"}], 403),
        ("/api/v1/check", lambda w: {"account_id": w.account_b.id, "text": "hello"}, 403),
    ],
)
def test_a_staff_token_cannot_write_or_check_for_another_account(two_orgs, api_as, audit_actions, path, body, status) -> None:
    api = api_as(two_orgs.staff_a)
    before = audit_actions()
    response = api.post(path, body(two_orgs))
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == "not_your_account"
    assert audit_actions() == before


def test_a_staff_token_reads_only_its_accounts_drafts(two_orgs, api_as) -> None:
    api = api_as(two_orgs.staff_a)
    assert api.get(f"/api/v1/drafts/{two_orgs.draft_a.id}").status_code == 200
    for draft in (two_orgs.draft_b, two_orgs.pending_b, two_orgs.legal_b):
        response = api.get(f"/api/v1/drafts/{draft.id}")
        assert response.status_code == 404, draft.id  # as for a draft that does not exist
        assert response.json["error"] == {"code": "draft_not_found", "message": f"There is no draft {draft.id}.", "stored": "no"}
    accounts = [a["id"] for a in api.get("/api/v1/accounts").json["accounts"]]
    assert accounts == [two_orgs.account_a.id]


# --- Approvers outside the routed groups ------------------------------------------------------


@pytest.mark.parametrize("kind", ["approve", "reject", "return", "edit"])
def test_an_approver_cannot_decide_a_draft_not_routed_to_their_groups_on_the_web(two_orgs, web_as, db_session, audit_actions, kind) -> None:
    draft = two_orgs.legal_b  # routed to legal; the visitor is in comms
    web = web_as(two_orgs.comms)
    before, state = audit_actions(), _state(db_session, draft)
    assert web.get(f"/review/drafts/{draft.id}").status_code == 404
    data = {"expected_version": str(draft.lock_version), "reason": "no", "comment": "no", "text": "Replaced."}
    response = web.post(f"/review/drafts/{draft.id}/{kind}", data)
    assert response.status_code == 404
    assert audit_actions() == before and _state(db_session, draft) == state


@pytest.mark.parametrize("action", ["approve", "reject", "return"])
def test_an_approver_cannot_decide_a_draft_not_routed_to_their_groups_in_the_api(two_orgs, api_as, db_session, audit_actions, action) -> None:
    draft = two_orgs.legal_b
    api = api_as(two_orgs.comms)
    before, state = audit_actions(), _state(db_session, draft)
    response = api.post(f"/api/v1/drafts/{draft.id}/decision", {"action": action, "comment": "no", "expected_version": draft.lock_version})
    # The web app answers 404 for this draft (its existence stays private): the API answers as for a missing id.
    missing = api.post("/api/v1/drafts/999999/decision", {"action": action, "comment": "no", "expected_version": 1})
    assert response.status_code == 404, response.json
    assert response.json["error"] == {**missing.json["error"], "message": missing.json["error"]["message"].replace("999999", str(draft.id))}
    assert "legal" not in response.get_data(as_text=True) and "pending" not in response.get_data(as_text=True)
    assert audit_actions() == before and _state(db_session, draft) == state


def test_an_approver_cannot_claim_a_group_they_are_not_in(two_orgs, make_user, api_as, db_session, audit_actions) -> None:
    """A comms approver naming `group: legal` on a draft routed to both is refused."""
    draft = two_orgs.pending_a
    response = api_as(two_orgs.comms).post(
        f"/api/v1/drafts/{draft.id}/decision", {"action": "approve", "group": "legal", "expected_version": draft.lock_version}
    )
    assert response.status_code in (403, 422), response.json
    assert _state(db_session, draft)[0] == "pending"


def test_an_approver_reads_and_queues_only_their_groups(two_orgs, api_as, web_as) -> None:
    api = api_as(two_orgs.comms)
    assert api.get(f"/api/v1/drafts/{two_orgs.pending_b.id}").status_code == 200
    assert api.get(f"/api/v1/drafts/{two_orgs.legal_b.id}").status_code == 404
    response = api.get("/api/v1/queue?group=legal")
    assert response.status_code == 403 and response.json["error"]["code"] == "not_your_group"
    web = web_as(two_orgs.comms)
    response = web.get("/review/?group=legal")
    assert response.status_code == 302 and "group=comms" in response.location
    assert f"/review/drafts/{two_orgs.legal_b.id}\"" not in web.get("/review/?group=comms").get_data(as_text=True)


# --- Auditors and admins ------------------------------------------------------------------------


def test_auditors_read_but_never_change(two_orgs, api_as, web_as, db_session, audit_actions) -> None:
    api = api_as(two_orgs.auditor)
    assert api.get(f"/api/v1/drafts/{two_orgs.legal_b.id}").status_code == 200
    web = web_as(two_orgs.auditor)
    assert web.get(f"/audit/drafts/{two_orgs.legal_b.id}").status_code == 200
    before, state = audit_actions(), _state(db_session, two_orgs.pending_a)
    writes = [
        ("/api/v1/drafts", {"account_id": two_orgs.account_a.id, "text": CLEAN_TEXT}),
        ("/api/v1/inbound", {"account_id": two_orgs.account_a.id, "author_handle": "@x", "text": "hi"}),
        (f"/api/v1/drafts/{two_orgs.pending_a.id}/decision", {"action": "approve", "expected_version": two_orgs.pending_a.lock_version}),
    ]
    for path, body in writes:
        assert api.post(path, body).status_code == 403, path
    for url in (f"/review/drafts/{two_orgs.pending_a.id}/approve", f"/drafts/{two_orgs.draft_a.id}/posted"):
        assert web.post(url, {"expected_version": "1"}).status_code == 403, url
    assert audit_actions() == before and _state(db_session, two_orgs.pending_a) == state


def test_an_admin_token_reads_no_drafts(two_orgs, api_as) -> None:
    assert api_as(two_orgs.admin).get(f"/api/v1/drafts/{two_orgs.draft_a.id}").status_code == 403  # by role, for any id


# --- Tokens -----------------------------------------------------------------------------------


def test_a_token_acts_only_as_its_own_user(two_orgs, api_as, db_session) -> None:
    from reviewer.drafting.models import Draft

    response = api_as(two_orgs.staff_a).post(
        "/api/v1/drafts", {"account_id": two_orgs.account_a.id, "text": CLEAN_TEXT, "author_id": two_orgs.staff_b.id}
    )
    assert response.status_code in (201, 422), response.json
    if response.status_code == 201:
        db_session.rollback()
        assert db_session.get(Draft, response.json["id"]).author_id == two_orgs.staff_a.id


def test_a_revoked_token_fails_at_once(two_orgs, make_token, secure_app, db_session) -> None:
    from reviewer.api.services import revoke_token

    new = make_token(two_orgs.staff_a)
    headers = {"Authorization": f"Bearer {new.secret}"}
    client = secure_app.test_client()
    assert client.get("/api/v1/accounts", headers=headers).status_code == 200
    db_session.commit()
    revoke_token(db_session, two_orgs.staff_a, new.token)
    db_session.commit()
    response = client.get("/api/v1/accounts", headers=headers)
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"


def test_nobody_revokes_or_sees_another_users_token(two_orgs, make_token, web_as, secure_app, db_session) -> None:
    from reviewer.api.models import ApiToken

    theirs = make_token(two_orgs.staff_b, "staff-b's integration")
    web = web_as(two_orgs.staff_a)
    assert web.post(f"/account/api-tokens/{theirs.token.id}/revoke").status_code == 404
    assert "staff-b&#39;s integration" not in web.get("/account/api-tokens").get_data(as_text=True)
    db_session.rollback()
    assert db_session.get(ApiToken, theirs.token.id).revoked_at is None
    headers = {"Authorization": f"Bearer {theirs.secret}"}
    assert secure_app.test_client().get("/api/v1/accounts", headers=headers).status_code == 200
    admin = web_as(two_orgs.admin)  # not even an administrator, through the self-service page
    assert admin.post(f"/account/api-tokens/{theirs.token.id}/revoke").status_code == 404


def test_a_deactivated_users_token_and_session_stop(two_orgs, make_token, web_as, secure_app, db_session) -> None:
    from reviewer.accounts.models import User
    from reviewer.accounts.services import deactivate_user

    new = make_token(two_orgs.staff_a)
    web = web_as(two_orgs.staff_a)
    db_session.commit()
    deactivate_user(db_session, two_orgs.admin, db_session.get(User, two_orgs.staff_a.id))
    db_session.commit()
    headers = {"Authorization": f"Bearer {new.secret}"}
    assert secure_app.test_client().get("/api/v1/accounts", headers=headers).status_code == 401
    response = web.get("/inbox/")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_background_report_is_only_its_owners(two_orgs, secure_app, make_user, web_as) -> None:
    """Job ids are random, and even a known id opens nothing for another auditor or an admin (404, not 403)."""
    from datetime import datetime, timedelta, timezone

    from reviewer.reports.jobs import submit_report

    until = datetime.now(timezone.utc)
    job_id = submit_report(secure_app, two_orgs.auditor, since=until - timedelta(days=30), until=until, account_id=None, drafts=5000)
    owner = web_as(two_orgs.auditor)
    assert owner.get(f"/reports/jobs/{job_id}").status_code == 200
    assert owner.get(f"/reports/jobs/{job_id}/status").json["state"] == "queued"
    for other in (make_user("auditor-two", roles=["auditor"]), two_orgs.admin):
        web = web_as(other)
        for suffix in ("", "/status", "/download"):
            assert web.get(f"/reports/jobs/{job_id}{suffix}").status_code == 404, (other.username, suffix)
    for guessed in ("../../secret_key", "..", "%2e%2e", "0" * 31 + "g"):
        assert owner.get(f"/reports/jobs/{guessed}/download").status_code == 404, guessed
