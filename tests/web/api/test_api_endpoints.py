"""The /api/v1 endpoints: what they store and audit, and who may call them (same rules as the web pages)."""

from __future__ import annotations

import pytest
from api_helpers import error_of
from sqlalchemy import func, select

PASSING = "Thanks for getting in touch; we have passed this to the parks team."
LEGAL = "We are aware of the lawsuit and cannot comment."
BLOCKED = "Only an idiot would ask that."


def count(db_session, model) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(model))


# --- accounts and check -----------------------------------------------------------------


def test_accounts_lists_what_the_caller_may_use(people, api_as, make_account, make_user) -> None:
    locked = make_account("@LegalOnly", groups=["legal"])
    staff = api_as(people["staff"]).get("/api/v1/accounts").get_json()["accounts"]
    assert [a["id"] for a in staff] == [people["account"].id]
    assert staff[0]["may_draft"] is True
    legal_staff = make_user("legal.staff", roles=["staff"], groups=["legal"])
    ids = {a["id"] for a in api_as(legal_staff).get("/api/v1/accounts").get_json()["accounts"]}
    assert ids == {people["account"].id, locked.id}
    approver = api_as(people["legal"]).get("/api/v1/accounts").get_json()["accounts"]
    assert {a["id"] for a in approver} == {people["account"].id, locked.id}
    assert all(a["may_draft"] is False for a in approver)


def test_check_returns_the_verdict_and_stores_and_audits_nothing(people, api_as, audit_actions, db_session) -> None:
    from reviewer.drafting.models import Draft

    api = api_as(people["staff"])
    before = audit_actions()
    response = api.post("/api/v1/check", json={"text": BLOCKED, "account_id": people["account"].id})
    assert response.status_code == 200
    verdict = response.get_json()
    assert verdict["decision"] == "block"
    assert verdict["findings"][0]["rule"] == "abuse.insults"
    start, end = verdict["findings"][0]["spans"][0]
    assert BLOCKED[start:end] == "idiot"
    legal = api.post("/api/v1/check", json={"text": LEGAL, "policy": "government.yaml", "platform": "x"}).get_json()
    assert (legal["decision"], legal["routes"]) == ("review", ["legal"])
    assert audit_actions() == before
    assert count(db_session, Draft) == 0


def test_check_refuses_bad_input_with_the_field_named(people, api_as) -> None:
    api = api_as(people["staff"])
    account_id = people["account"].id
    cases = [
        ({"account_id": account_id}, "text"),
        ({"text": 42, "account_id": account_id}, "text"),
        ({"text": "x" * 20001, "account_id": account_id}, "text"),
        ({"text": "hi", "account_id": "1"}, "account_id"),
        ({"text": "hi"}, "account_id"),
        ({"text": "hi", "account_id": account_id, "policy": "government.yaml"}, "account_id"),
        ({"text": "hi", "account_id": 999999}, "account_id"),
        ({"text": "hi", "policy": "../etc/passwd"}, "policy"),
        ({"text": "hi", "policy": "government.yaml", "platform": "myspace"}, "platform"),
        ({"text": "hi", "account_id": account_id, "txet": "typo"}, "txet"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/check", json=body)
        assert response.status_code == 422, (body, response.get_data(as_text=True))
        error = error_of(response)
        assert error["field"] == field, (body, error)
        assert field in error["message"]


def test_malformed_and_non_object_bodies_are_400_or_422(people, api_as) -> None:
    api = api_as(people["staff"])
    for raw in ("{not json", "", "\xff\xfe"):
        response = api.post("/api/v1/check", data=raw.encode("latin-1"), headers={"Content-Type": "application/json"})
        assert response.status_code == 400, raw
        assert error_of(response)["code"] == "invalid_json"
    response = api.post("/api/v1/check", json=["a", "list"])
    assert response.status_code == 422
    assert error_of(response)["field"] == "body"


def test_an_oversized_body_is_413_json(people, api_as) -> None:
    response = api_as(people["staff"]).post(
        "/api/v1/check", data=b'{"text": "' + b"a" * (3 * 1024 * 1024) + b'"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_check_for_an_account_the_user_may_not_draft_for_is_403(people, api_as, make_account) -> None:
    locked = make_account("@Locked", groups=["legal"])
    response = api_as(people["staff"]).post("/api/v1/check", json={"text": "hi", "account_id": locked.id})
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_your_account"
    auditor = api_as(people["auditor"]).post("/api/v1/check", json={"text": "hi", "policy": "government.yaml"})
    assert auditor.status_code == 403


# --- inbound ---------------------------------------------------------------------------------


def test_inbound_one_and_many(people, api_as, audit_actions) -> None:
    api = api_as(people["staff"])
    account_id = people["account"].id
    one = api.post("/api/v1/inbound", json={"account_id": account_id, "author_handle": "@ratepayer", "text": "Bins?"})
    assert one.status_code == 201
    assert one.get_json()["author_handle"] == "@ratepayer"
    many = api.post(
        "/api/v1/inbound",
        json=[
            {"account_id": account_id, "author_handle": "@a", "text": "One", "external_id": "x-1",
             "received_at": "2026-11-20T09:30:00+13:00"},
            {"account_id": account_id, "author_handle": "@b", "text": "Two", "url": "https://x.com/b/status/2"},
        ],
    )
    assert many.status_code == 201
    posts = many.get_json()["inbound"]
    assert [p["text"] for p in posts] == ["One", "Two"]
    assert posts[0]["received_at"] == "2026-11-19T20:30:00Z"
    assert audit_actions().count("inbound.created") == 3


def test_inbound_lists_are_all_or_nothing_and_name_the_bad_item(people, api_as, db_session) -> None:
    from reviewer.drafting.models import InboundPost

    api = api_as(people["staff"])
    good = {"account_id": people["account"].id, "author_handle": "@a", "text": "fine"}
    cases = [
        ([good, {**good, "received_at": "2026-11-20T09:30:00"}], "[1].received_at"),
        ([good, {**good, "url": "javascript:alert(1)"}], "[1].url"),
        ([good, {**good, "author_handle": 7}], "[1].author_handle"),
        ([good, {**good, "account_id": 424242}], "[1].account_id"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/inbound", json=body)
        assert response.status_code == 422, response.get_data(as_text=True)
        assert error_of(response)["field"] == field
    assert count(db_session, InboundPost) == 0
    assert api.post("/api/v1/inbound", json=[]).status_code == 422


def test_inbound_duplicate_external_id_is_refused(people, api_as) -> None:
    api = api_as(people["staff"])
    post = {"account_id": people["account"].id, "author_handle": "@a", "text": "Hi", "external_id": "tw-1"}
    assert api.post("/api/v1/inbound", json=post).status_code == 201
    again = api.post("/api/v1/inbound", json=post)
    assert again.status_code == 422
    assert error_of(again)["field"] == "external_id"


def test_only_staff_store_inbound_posts(people, api_as) -> None:
    post = {"account_id": people["account"].id, "author_handle": "@a", "text": "Hi"}
    assert api_as(people["legal"]).post("/api/v1/inbound", json=post).status_code == 403


# --- drafts -------------------------------------------------------------------------------------


def _submit(api, account_id: int, text: str, **extra):
    return api.post("/api/v1/drafts", json={"account_id": account_id, "text": text, **extra})


def test_a_passing_draft_is_approved_at_once_and_audited(people, api_as, audit_actions) -> None:
    response = _submit(api_as(people["staff"]), people["account"].id, PASSING)
    assert response.status_code == 201
    draft = response.get_json()
    assert (draft["state"], draft["decision"], draft["current"]["verdict"]["decision"]) == ("approved", "pass", "pass")
    assert draft["author"] == "sam.staff"
    actions = audit_actions()
    for action in ("draft.created", "draft.checked", "draft.submitted", "draft.auto_approved"):
        assert action in actions


def test_a_draft_answering_an_inbound_post(people, api_as) -> None:
    api = api_as(people["staff"])
    post = api.post("/api/v1/inbound", json={"account_id": people["account"].id, "author_handle": "@a", "text": "Hi"})
    draft = _submit(api, people["account"].id, PASSING, inbound_id=post.get_json()["id"]).get_json()
    assert draft["inbound_id"] == post.get_json()["id"]
    missing = _submit(api, people["account"].id, PASSING, inbound_id=999999)
    assert missing.status_code == 422
    assert error_of(missing)["field"] == "inbound_id"


def test_a_routed_draft_waits_and_a_blocked_one_is_422_with_the_verdict(people, api_as, db_session) -> None:
    from reviewer.drafting.models import Draft

    api = api_as(people["staff"])
    routed = _submit(api, people["account"].id, LEGAL).get_json()
    assert (routed["state"], routed["routes"]) == ("pending", ["legal"])
    blocked = _submit(api, people["account"].id, BLOCKED)
    assert blocked.status_code == 422
    error = error_of(blocked)
    assert error["code"] == "blocked"
    assert error["verdict"]["decision"] == "block"
    assert count(db_session, Draft) == 1  # the blocked one was not stored


def test_drafting_needs_staff_on_that_account(people, api_as, make_account) -> None:
    locked = make_account("@Locked", groups=["legal"])
    assert _submit(api_as(people["legal"]), people["account"].id, PASSING).status_code == 403
    refused = _submit(api_as(people["staff"]), locked.id, PASSING)
    assert refused.status_code == 403
    assert error_of(refused)["field"] == "account_id"


def test_reading_a_draft(people, api_as, make_user) -> None:
    routed = _submit(api_as(people["staff"]), people["account"].id, LEGAL).get_json()
    url = f"/api/v1/drafts/{routed['id']}"
    assert api_as(people["staff"]).get(url).get_json()["id"] == routed["id"]
    assert api_as(people["legal"]).get(url).status_code == 200  # routed to legal
    assert api_as(people["auditor"]).get(url).status_code == 200
    assert api_as(people["comms"]).get(url).status_code == 404  # not routed to comms: as if there were no such draft
    assert api_as(make_user("boss", roles=["admin"])).get(url).status_code == 403
    missing = api_as(people["staff"]).get("/api/v1/drafts/999999")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "draft_not_found"


# --- decisions and queues --------------------------------------------------------------------------


def test_approve_reject_return_through_the_api(people, api_as, audit_actions) -> None:
    staff, legal = api_as(people["staff"]), api_as(people["legal"])
    first = _submit(staff, people["account"].id, LEGAL).get_json()
    approved = legal.post(f"/api/v1/drafts/{first['id']}/decision", json={"action": "approve", "expected_version": first["version"]})
    assert approved.status_code == 200
    body = approved.get_json()
    assert body["state"] == "approved"
    assert [a["approver"] for a in body["approvals"]] == ["kim.legal"]

    second = _submit(staff, people["account"].id, LEGAL + " Really.").get_json()
    for action, comment in (("reject", None), ("reject", "   "), ("return", "")):
        body = {"action": action} if comment is None else {"action": action, "comment": comment}
        no_reason = legal.post(f"/api/v1/drafts/{second['id']}/decision", json=body)
        assert no_reason.status_code == 422
        error = error_of(no_reason)
        assert error["field"] == "comment", error  # the request's field, not the service's name for it
        assert error["message"].startswith("comment: ") and error["code"] == "invalid"
    rejected = legal.post(f"/api/v1/drafts/{second['id']}/decision", json={"action": "reject", "comment": "Off topic."})
    assert rejected.get_json()["state"] == "rejected"

    third = _submit(staff, people["account"].id, LEGAL + " Again.").get_json()
    returned = legal.post(f"/api/v1/drafts/{third['id']}/decision", json={"action": "return", "comment": "Shorter."})
    assert returned.get_json()["state"] == "returned"
    actions = audit_actions()
    assert {"draft.approved", "draft.rejected", "draft.returned"} <= set(actions)


def test_a_staff_token_cannot_decide(people, api_as) -> None:
    draft = _submit(api_as(people["staff"]), people["account"].id, LEGAL).get_json()
    response = api_as(people["staff"]).post(f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve"})
    assert response.status_code == 403


def test_an_approver_outside_the_routed_group_is_refused(people, api_as) -> None:
    draft = _submit(api_as(people["staff"]), people["account"].id, LEGAL).get_json()
    response = api_as(people["comms"]).post(
        f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve", "expected_version": draft["version"]}
    )
    assert response.status_code == 404 and error_of(response)["code"] == "draft_not_found"  # as the review page: hidden
    assert api_as(people["legal"]).get(f"/api/v1/drafts/{draft['id']}").get_json()["state"] == "pending"


def test_self_approval_is_refused_and_the_refusal_is_kept_as_evidence(people, api_as, make_user, audit_actions) -> None:
    both = make_user("dual.role", roles=["staff", "approver"], groups=["legal"])
    api = api_as(both)
    draft = _submit(api, people["account"].id, LEGAL).get_json()
    response = api.post(f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve", "expected_version": draft["version"]})
    assert response.status_code == 403
    assert error_of(response)["code"] == "own_draft"
    assert audit_actions()[-1] == "approval.refused"


def test_a_stale_expected_version_is_409_and_changes_nothing(people, api_as, audit_actions) -> None:
    draft = _submit(api_as(people["staff"]), people["account"].id, LEGAL).get_json()
    legal = api_as(people["legal"])
    before = audit_actions()
    response = legal.post(
        f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve", "expected_version": draft["version"] + 1}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert audit_actions() == before
    ok = legal.post(
        f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve", "expected_version": draft["version"]}
    )
    assert ok.status_code == 200


def test_an_approval_must_name_the_text_it_approves(people, api_as, make_user, audit_actions) -> None:
    """Without expected_version an approval could land on text someone edited after the approver read it."""
    draft = _submit(api_as(people["staff"]), people["account"].id, LEGAL).get_json()
    legal = api_as(people["legal"])
    before = audit_actions()
    missing = legal.post(f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve"})
    assert missing.status_code == 422
    assert error_of(missing)["field"] == "expected_version"
    assert "expected_version" in error_of(missing)["message"]
    stale_text = legal.post(
        f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve", "expected_text_sha256": "0" * 64}
    )
    assert stale_text.status_code == 409 and error_of(stale_text)["code"] == "conflict"
    assert audit_actions() == before
    seen = legal.get(f"/api/v1/drafts/{draft['id']}").get_json()["current"]["text_sha256"]
    ok = legal.post(f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve", "expected_text_sha256": seen})
    assert ok.status_code == 200 and ok.get_json()["state"] == "approved"


def test_reject_and_return_do_not_need_a_version(people, api_as) -> None:
    draft = _submit(api_as(people["staff"]), people["account"].id, LEGAL).get_json()
    answer = api_as(people["legal"]).post(f"/api/v1/drafts/{draft['id']}/decision", json={"action": "return", "comment": "Shorter."})
    assert answer.status_code == 200


def test_decision_bodies_are_validated(people, api_as) -> None:
    draft = _submit(api_as(people["staff"]), people["account"].id, LEGAL).get_json()
    legal = api_as(people["legal"])
    for body, field in (({"action": "maybe"}, "action"), ({"action": "approve", "expected_version": "1"}, "expected_version")):
        response = legal.post(f"/api/v1/drafts/{draft['id']}/decision", json=body)
        assert response.status_code == 422
        assert error_of(response)["field"] == field
    assert legal.post("/api/v1/drafts/999999/decision", json={"action": "approve"}).status_code == 404


def test_the_queue_of_a_group(people, api_as, make_user) -> None:
    staff = api_as(people["staff"])
    legal_draft = _submit(staff, people["account"].id, LEGAL).get_json()
    _submit(staff, people["account"].id, "We promise to fix it by Friday.")  # routed to comms
    legal = api_as(people["legal"]).get("/api/v1/queue?group=legal")
    assert legal.status_code == 200
    items = legal.get_json()["items"]
    assert [item["draft"]["id"] for item in items] == [legal_draft["id"]]
    assert items[0]["outstanding_groups"] == ["legal"]
    assert api_as(people["legal"]).get("/api/v1/queue").get_json()["group"] == "legal"  # their only group
    not_mine = api_as(people["legal"]).get("/api/v1/queue?group=comms")
    assert not_mine.status_code == 403
    assert error_of(not_mine)["field"] == "group"
    assert api_as(people["staff"]).get("/api/v1/queue?group=legal").status_code == 403
    two_groups = api_as(make_user("two.groups", roles=["approver"], groups=["legal", "comms"]))
    assert two_groups.get("/api/v1/queue").status_code == 422
    filtered = api_as(people["legal"]).get("/api/v1/queue?group=legal&decision=pass").get_json()["items"]
    assert filtered == []
    assert api_as(people["legal"]).get("/api/v1/queue?group=legal&account_id=x").status_code == 422


def test_the_queue_comes_a_page_at_a_time(people, api_as) -> None:
    staff = api_as(people["staff"])
    ids = [_submit(staff, people["account"].id, LEGAL).get_json()["id"] for _ in range(3)]
    legal = api_as(people["legal"])
    whole = legal.get("/api/v1/queue?group=legal").get_json()
    assert (whole["total"], whole["offset"], whole["limit"], whole["next_offset"]) == (3, 0, 100, None)
    first = legal.get("/api/v1/queue?group=legal&limit=2").get_json()
    assert [i["draft"]["id"] for i in first["items"]] == ids[:2] and first["next_offset"] == 2
    rest = legal.get("/api/v1/queue?group=legal&limit=2&offset=2").get_json()
    assert [i["draft"]["id"] for i in rest["items"]] == ids[2:] and rest["next_offset"] is None
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("offset=-1", "offset")):
        response = legal.get(f"/api/v1/queue?group=legal&{query}")
        assert response.status_code == 422 and error_of(response)["field"] == field, query


def test_a_broken_policy_file_is_a_503_naming_the_line_not_a_crash(app, people, api_as, tmp_path) -> None:
    from reviewer.checking import EXTENSION_KEY, Checker

    (tmp_path / "city-council.yaml").write_text("id: broken\nversion: '1'\nrules:\n  - id: x\n    kind: nonsense\n")
    app.extensions[EXTENSION_KEY] = Checker(tmp_path, None)
    api = api_as(people["staff"])
    checked = api.post("/api/v1/check", json={"text": "hi", "account_id": people["account"].id})
    assert checked.status_code == 503
    error = error_of(checked)
    assert error["code"] == "policy_unavailable" and "line" in error["message"]
    submitted = api.post("/api/v1/drafts", json={"text": "hi", "account_id": people["account"].id})
    assert submitted.status_code == 503
    assert error_of(submitted)["code"] == "policy_unavailable"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/check", {"text": "hi", "in_reply_to": "x" * 20_001}, "in_reply_to"),
        ("/api/v1/drafts", {"text": "021 555 " * 2501}, "text"),
        ("/api/v1/inbound", {"author_handle": "@x", "text": "x" * 20_001}, "text"),
    ],
)
def test_texts_over_the_cap_are_a_422_naming_the_field(people, api_as, path, body, field) -> None:
    """MAX_TEXT (20,000 characters, docs/workflow.md) holds on every way text comes in."""
    response = api_as(people["staff"]).post(path, json={**body, "account_id": people["account"].id})
    assert response.status_code == 422, response.get_json()
    assert error_of(response)["field"] == field and "20000" in error_of(response)["message"].replace(",", "")
