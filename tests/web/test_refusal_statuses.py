"""Each refusal a service gives answers one status on every page (issue 18): the pages that used to disagree.

Before, a page chose its own status: NotAllowed was 422 in the editor but 403 on
the review page, a policy that cannot load was 422, the admin pages answered a
refused form with 200, and refused buttons redirected. Every page now asks
`reviewer.web.refusals`; the table itself is tested in test_refusal_table.py.
"""

from __future__ import annotations

from html import unescape

from sqlalchemy import func, select

from reviewer.audit import AuditEvent
from reviewer.drafting.models import InboundPost

BROKEN_POLICY = "id: city-council\nversion: '1'\nrules:\n  - id: x\n    kind: nonsense\n"


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(db_session, model) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(model))


def test_marking_an_unapproved_draft_posted_is_not_allowed_403(client_for, staff, make_draft, account, db_session) -> None:
    draft = make_draft("draft", author=staff, account=account)
    response = client_for(staff).post(
        f"/drafts/{draft.id}/posted", data={"url": "https://x.com/a/status/1", "expected_version": str(draft.lock_version)}
    )
    assert response.status_code == 403  # was a redirect
    assert "This draft is a draft, so it cannot be marked as posted now." in text_of(response)
    db_session.rollback()
    db_session.refresh(draft)
    assert draft.state == "draft"


def test_a_policy_that_cannot_load_is_an_outage_503_on_every_page(make_app, make_user, make_account, make_draft, login, tmp_path) -> None:
    broken = tmp_path / "broken-policies"
    broken.mkdir()
    (broken / "city-council.yaml").write_text(BROKEN_POLICY, encoding="utf-8")
    app = make_app(POLICY_DIR=str(broken))
    account = make_account("@Broken")
    staff = make_user("sam", roles=["staff"])
    staff_client = app.test_client()
    login(staff_client, staff)
    response = staff_client.post(f"/inbox/{account.id}/compose", data={"text": "hello", "save": "Save draft"})
    assert response.status_code == 503  # was 422
    assert "city-council.yaml" in text_of(response) and "Ask an administrator" in text_of(response)
    draft = make_draft("draft", author=staff, account=account)
    response = staff_client.post(
        f"/drafts/{draft.id}", data={"text": "hello again", "expected_version": str(draft.lock_version), "save": "Save draft"}
    )
    assert response.status_code == 503  # was 422
    pending = make_draft("pending", account=account)
    approver_client = app.test_client()
    login(approver_client, make_user("ari", roles=["approver"], groups=list(pending.routes)))
    response = approver_client.post(
        f"/review/drafts/{pending.id}/edit", data={"text": "An approver's wording.", "expected_version": str(pending.lock_version)}
    )
    assert response.status_code == 503  # was 422
    assert "Ask an administrator" in text_of(response)


def test_a_stale_mark_posted_is_a_conflict_409_on_the_draft_page(client_for, staff, make_draft, account, db_session) -> None:
    draft = make_draft("approved", author=staff, account=account)
    response = client_for(staff).post(
        f"/drafts/{draft.id}/posted", data={"url": "https://x.com/a/status/1", "expected_version": str(draft.lock_version - 1)}
    )
    assert response.status_code == 409  # was a redirect
    assert "Someone else acted on this draft first" in text_of(response)
    db_session.rollback()
    db_session.refresh(draft)
    assert draft.state == "approved"


def test_a_refused_inbound_post_is_invalid_422(client_for, staff, account, make_inbound, db_session) -> None:
    make_inbound(account, external_id="tw-1")
    response = client_for(staff).post(
        f"/inbox/{account.id}/posts/new",
        data={"author_handle": "@kim", "text": "Again", "received_at": "2026-01-05T09:00:00Z", "external_id": "tw-1"},
    )
    assert response.status_code == 422  # was 200
    assert "'tw-1' is already stored for this account" in text_of(response)
    assert count(db_session, InboundPost) == 1


def test_the_admin_pages_answer_a_refused_form_422(client, make_user, login, db_session) -> None:
    admin = make_user("boss", roles=["admin"])
    login(client, admin)
    make_user("taken")
    response = client.post("/admin/users/new", data={"username": "taken", "roles": ["staff"]})
    assert response.status_code == 422  # was 200
    assert "The username 'taken' is taken." in text_of(response)
    response = client.post(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 422  # was a redirect
    assert "You cannot deactivate your own account." in text_of(response)
    response = client.post("/admin/groups", data={"name": "comms", "description": "again"})
    assert response.status_code == 422  # was 200
    assert "There is already a group called 'comms'." in text_of(response)


def test_the_account_pages_answer_a_refused_form_422(client, make_user, make_account, login) -> None:
    login(client, make_user("boss", roles=["admin"]))
    existing = make_account("@HarbourCityNZ", platform="x")
    response = client.post(
        "/admin/accounts/new",
        data={"name": "Again", "platform": "x", "handle": "@HarbourCityNZ", "policy_file": "city-council.yaml",
              "response_target_minutes": "60", "active": "y"},
    )
    assert response.status_code == 422  # was 200
    assert f"@HarbourCityNZ on x is already the account {existing.name!r}." in text_of(response)


def test_a_refused_self_approval_is_403_and_its_evidence_is_kept(client_for, make_user, make_draft, db_session) -> None:
    author = make_user("ana", roles=["staff", "approver"], groups=["comms"])
    draft = make_draft("pending", author=author)
    response = client_for(author).post(f"/review/drafts/{draft.id}/approve", data={"expected_version": str(draft.lock_version)})
    assert response.status_code == 403
    db_session.rollback()
    refused = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "approval.refused")).all()
    assert [event.subject for event in refused] == [f"draft:{draft.id}"]  # committed, not rolled back


def test_a_blocked_revision_keeps_the_attempt_about_the_draft(client_for, staff, make_draft, account, db_session) -> None:
    draft = make_draft("draft", author=staff, account=account)
    response = client_for(staff).post(
        f"/drafts/{draft.id}",
        data={"text": "Call me on 021 555 0199.", "expected_version": str(draft.lock_version), "submit_reply": "Submit"},
    )
    assert response.status_code == 422
    db_session.rollback()
    blocked = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "draft.blocked")).all()
    assert [event.subject for event in blocked] == [f"draft:{draft.id}"]  # the attempt is evidence
    db_session.refresh(draft)
    assert len(draft.versions) == 1  # the revision is not kept

