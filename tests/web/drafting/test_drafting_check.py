"""The live check endpoint: JSON verdict and highlight segments, CSRF by header, staff only, nothing stored."""

from __future__ import annotations

from sqlalchemy import func, select

from reviewer.audit import AuditEvent
from reviewer.drafting.models import Draft

from drafting_pages import csrf_token_in, page_text  # type: ignore[import-not-found]
from fixtures_workflow import BLOCKED_TEXT, CLEAN_TEXT, REVIEW_TEXT  # type: ignore[import-not-found]


def counts(db_session) -> tuple[int, int]:
    db_session.rollback()
    return (
        db_session.scalar(select(func.count()).select_from(Draft)),
        db_session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def test_check_returns_the_decision_findings_and_segments_and_stores_nothing(staff_client, account, db_session) -> None:
    before = counts(db_session)
    response = staff_client.post("/drafting/check", json={"account_id": account.id, "text": BLOCKED_TEXT})
    assert response.status_code == 200
    data = response.get_json()
    assert data["decision"] == "block"
    assert data["label"] == "Blocked: change the highlighted words"
    assert data["findings"][0]["number"] == 1 and data["findings"][0]["source"]
    marked = [s for s in data["segments"] if s["marks"]]
    assert [s["text"] for s in marked] == ["021 555 0199"]
    assert "".join(s["text"] for s in data["segments"]) == BLOCKED_TEXT
    assert data["verdict"]["policy"]["id"]
    assert counts(db_session) == before
    assert response.headers["Cache-Control"] == "no-store"


def test_check_labels_pass_and_review(staff_client, account) -> None:
    assert staff_client.post("/drafting/check", json={"account_id": account.id, "text": CLEAN_TEXT}).get_json()["label"] == "Passes policy"
    review = staff_client.post("/drafting/check", json={"account_id": account.id, "text": REVIEW_TEXT}).get_json()
    assert review["label"] == "Needs approval by comms"


def test_check_with_the_post_being_answered_returns_its_segments(staff_client, account, make_inbound) -> None:
    post = make_inbound(account, text="Where do I vote?")
    data = staff_client.post(
        "/drafting/check", json={"account_id": account.id, "text": "Crlf\r\nline", "inbound_id": post.id}
    ).get_json()
    assert "".join(s["text"] for s in data["inbound_segments"]) == "Where do I vote?"
    assert "".join(s["text"] for s in data["segments"]) == "Crlf\nline"


def test_check_refuses_bad_bodies_with_a_clear_json_error(staff_client, account, make_account, make_inbound) -> None:
    cases = [
        ({"text": "hi"}, 400, "account_id"),
        ({"account_id": "1", "text": "hi"}, 400, "account_id"),
        ({"account_id": account.id, "text": 5}, 400, "text"),
        ({"account_id": account.id, "text": "x" * 20_001}, 400, "text"),
        ({"account_id": account.id, "text": "hi", "inbound_id": "7"}, 400, "inbound_id"),
        ({"account_id": 999_999, "text": "hi"}, 404, "account_id"),
    ]
    other_post = make_inbound(make_account("@Elsewhere"))
    cases.append(({"account_id": account.id, "text": "hi", "inbound_id": other_post.id}, 404, "inbound_id"))
    for body, status, field in cases:
        response = staff_client.post("/drafting/check", json=body)
        assert response.status_code == status, body
        assert response.get_json()["field"] == field, body
        assert response.get_json()["error"].startswith(field), body
    response = staff_client.post("/drafting/check", data="not json", content_type="application/json")
    assert response.status_code == 400 and "JSON object" in response.get_json()["error"]


def test_check_is_for_staff_who_draft_for_the_account(shipped_app, make_user, make_account, login) -> None:
    team_account = make_account("@LegalOnly", groups=["legal"])
    outsider = shipped_app.test_client()
    login(outsider, make_user("kim", roles=["staff"]))
    assert outsider.post("/drafting/check", json={"account_id": team_account.id, "text": "hi"}).status_code == 404
    approver = shipped_app.test_client()
    login(approver, make_user("mere", roles=["approver"], groups=["comms"]))
    assert approver.post("/drafting/check", json={"account_id": team_account.id, "text": "hi"}).status_code == 403
    anonymous = shipped_app.test_client().post("/drafting/check", json={"account_id": team_account.id, "text": "hi"})
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")


def test_check_needs_the_csrf_token_in_the_header(make_app, make_user, account) -> None:
    from fixtures_workflow import SHIPPED_POLICIES  # type: ignore[import-not-found]

    app = make_app(POLICY_DIR=str(SHIPPED_POLICIES), WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = make_user("sam", roles=["staff"])
    token = csrf_token_in(page_text(client.get("/login")))
    assert client.post("/login", data={"username": "sam", "password": user.test_password, "csrf_token": token}).status_code == 302
    body = {"account_id": account.id, "text": CLEAN_TEXT}
    refused = client.post("/drafting/check", json=body)
    assert refused.status_code == 400
    assert "This form has expired" in page_text(refused)
    assert client.post("/drafting/check", json=body, headers={"X-CSRFToken": "forged"}).status_code == 400
    page = page_text(client.get(f"/inbox/{account.id}/compose"))
    token = csrf_token_in(page)
    accepted = client.post("/drafting/check", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert accepted.get_json()["decision"] == "pass"


def test_a_policy_that_cannot_load_is_a_clear_message_not_a_traceback(make_app, make_user, make_account, login, tmp_path) -> None:
    broken = tmp_path / "broken-policies"
    broken.mkdir()
    (broken / "city-council.yaml").write_text("id: city-council\nversion: '1'\nrules:\n  - id: x\n    kind: nonsense\n", encoding="utf-8")
    app = make_app(POLICY_DIR=str(broken))
    account = make_account("@Broken")
    client = app.test_client()
    login(client, make_user("sam", roles=["staff"]))
    response = client.post("/drafting/check", json={"account_id": account.id, "text": "hello"})
    assert response.status_code == 503
    assert "Ask an administrator to fix the policy file" in response.get_json()["error"]
    response = client.post(f"/inbox/{account.id}/compose", data={"text": "hello", "save": "Save draft"})
    assert response.status_code == 503  # an outage, as in the live check and the API (issue 18; was 422)
    page = page_text(response)
    assert "city-council.yaml" in page and "Ask an administrator" in page and "Traceback" not in page
