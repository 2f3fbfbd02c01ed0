"""The notifications page (with the header's unread count), email choices, and the admins' delivery page."""

from __future__ import annotations

import re

import pytest

REVIEW_TEXT = "We promise the pool will reopen by Friday."  # routed to comms (tests/fixtures_workflow.py)


def _unread_badge(html: str) -> str | None:
    found = re.search(r'Notifications <span class="tag tag-warn" aria-label="(\d+) unread">', html)
    return found.group(1) if found else None


def test_a_routed_draft_is_on_the_approvers_page_until_marked_read(app, make_user, make_draft, login) -> None:
    ana = make_user("ana", roles=["approver"], groups=["comms"])
    first, second = make_draft("pending"), make_draft("pending")
    client = app.test_client()
    login(client, ana)
    html = client.get("/notifications").get_data(as_text=True)
    assert _unread_badge(html) == "2"
    assert f'<a href="/review/drafts/{second.id}">Draft {second.id} for {second.account.label} is waiting for comms</a>' in html
    assert f"/review/drafts/{first.id}" in html and REVIEW_TEXT not in html  # a link, never the text
    assert html.index(f"/review/drafts/{second.id}") < html.index(f"/review/drafts/{first.id}")  # newest first
    assert _unread_badge(client.get("/").get_data(as_text=True)) == "2"  # on every page's header
    response = client.post("/notifications/read")
    assert response.status_code == 302 and response.location == "/notifications"
    html = client.get("/notifications").get_data(as_text=True)
    assert _unread_badge(html) is None and "Mark all" not in html and f"/review/drafts/{first.id}" in html


def test_a_person_sees_only_their_own(app, make_user, make_draft, login) -> None:
    make_user("ana", roles=["approver"], groups=["comms"])
    lee = make_user("lee", roles=["approver"], groups=["legal"])
    draft = make_draft("pending")
    client = app.test_client()
    login(client, lee)
    html = client.get("/notifications").get_data(as_text=True)
    assert f"/review/drafts/{draft.id}" not in html and "No notifications yet." in html and _unread_badge(html) is None


@pytest.mark.parametrize("notify_config", [{"SMTP_HOST": "127.0.0.1"}])  # email rows written; none sent here
def test_email_choices_are_saved_audited_and_used(app, make_user, make_draft, login, db_session, audit_actions) -> None:
    from sqlalchemy import select

    from reviewer.notify.models import Notification

    ana = make_user("ana", roles=["approver"], groups=["comms"], email="ana@council.example")
    client = app.test_client()
    login(client, ana)
    assert 'name="draft_routed"' in client.get("/notifications").get_data(as_text=True)
    response = client.post("/notifications/settings", data={"draft_routed": "digest", "approval_reminder": "off"})
    assert response.status_code == 302
    assert "Saved: 2 choices changed." in client.get("/notifications").get_data(as_text=True)
    assert audit_actions().count("notification.preferences_changed") == 1
    make_draft("pending")
    db_session.rollback()
    mails = list(db_session.scalars(select(Notification).where(Notification.channel == "email")))
    assert [(m.address, m.status) for m in mails] == [("ana@council.example", "digest")]
    bad = client.post("/notifications/settings", data={"draft_routed": "sms"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "A draft is waiting for one of your groups: Not a valid choice." in html
    assert audit_actions().count("notification.preferences_changed") == 1


@pytest.mark.parametrize("notify_config", [{  # port 9 (discard): nothing listens, the connection is refused
    "NOTIFY_WEBHOOKS": {"comms": [{"kind": "slack", "url": "http://127.0.0.1:9/hook"}]}, "NOTIFY_MAX_ATTEMPTS": 1}])
def test_admins_see_failing_deliveries_and_can_try_them_again(app, make_user, make_draft, login, db_session, audit_actions) -> None:
    from reviewer.notify.delivery import deliver_due

    admin = make_user("root", roles=["admin"])
    make_draft("pending")
    assert deliver_due(app).failed == 1
    client = app.test_client()
    login(client, admin)
    html = client.get("/admin/notifications").get_data(as_text=True)
    assert "slack: comms/0" in html and "Connection refused" in html and '<span class="tag tag-warn">failed</span>' in html
    assert "/admin/notifications" in client.get("/admin/").get_data(as_text=True)
    assert client.post("/admin/notifications/retry").status_code == 302
    assert "1 failed notification will be tried again." in client.get("/admin/notifications").get_data(as_text=True)
    assert audit_actions().count("notification.retried") == 1 and audit_actions().count("notification.abandoned") == 1


@pytest.mark.parametrize("notify_config", [{"ESCALATION": {"comms": {"after_minutes": 60, "to": "press"}}}])
def test_the_response_times_page_shows_what_was_escalated_and_when(app, make_user, make_draft, login) -> None:
    from datetime import timedelta

    from reviewer.orm import utcnow
    from reviewer.notify.reminders import remind_and_escalate

    auditor = make_user("aud", roles=["auditor"])
    draft = make_draft("pending")
    client = app.test_client()
    login(client, auditor)
    assert "No draft was escalated in this period." in client.get("/review/response-times").get_data(as_text=True)
    assert remind_and_escalate(app, utcnow() + timedelta(minutes=61)).escalations == 1
    html = client.get("/review/response-times").get_data(as_text=True)
    cells = re.findall(r"<td data-label=\"(?:Draft|Waiting for|Escalated to|Why)\">([^<]*)</td>",
                       html[html.index('id="escalations-h"'):])
    assert cells == [str(draft.id), "comms", "press", "waiting 61 minutes (escalation after 60)"]


@pytest.mark.parametrize("notify_config", [{"NOTIFY_WEBHOOKS": {"*": [{"kind": "slack", "url": "http://127.0.0.1:9/x"}]}}])
def test_a_failed_chain_check_is_told_to_admins_and_auditors(app, make_user, login, db_session, monkeypatch) -> None:
    from click.testing import CliRunner
    from sqlalchemy import select, update

    from reviewer.audit import AuditEvent, triggers
    from reviewer.cli import main
    from reviewer.db import get_database
    from reviewer.notify.models import Notification

    admin, auditor = make_user("root", roles=["admin"]), make_user("aud", roles=["auditor"])
    make_user("sam", roles=["staff"])
    with get_database(app).engine.begin() as connection:
        triggers.uninstall(connection)
        connection.execute(update(AuditEvent.__table__).where(AuditEvent.seq == 2).values(subject="user:999"))
        triggers.install(connection)
    client = app.test_client()
    login(client, auditor)
    assert "<strong>FAILED</strong>" in client.post("/audit/verify").get_data(as_text=True)
    db_session.rollback()
    rows = list(db_session.scalars(select(Notification).where(Notification.event == "audit.verify_failed")))
    assert sorted((r.channel, r.recipient_id or r.address) for r in rows) == sorted(
        [("inapp", admin.id), ("inapp", auditor.id), ("slack", "*/0")])
    assert rows[0].payload["lines"][0] == "First bad event: 2 (hash mismatch: content changed)."
    # The same from the command line.
    for key in ("DATABASE_URL", "POLICY_DIR"):
        monkeypatch.setenv(f"REVIEWER_{key}", str(app.config[key]))
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", app.instance_path)
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1 and "FAILED at event 2" in result.output
    db_session.rollback()
    rows = list(db_session.scalars(select(Notification).where(Notification.event == "audit.verify_failed")))
    assert len(rows) == 5  # two more pages (the CLI's app has no webhooks)


def test_every_link_in_a_message_opens_a_real_page(app, make_user, make_draft, make_inbound, db_session) -> None:
    """The paths are written by hand (messages are made outside requests): each must match a route."""
    from datetime import timedelta

    from sqlalchemy import select

    from reviewer.orm import utcnow
    from reviewer.notify import outbox
    from reviewer.notify.models import Notification
    from reviewer.notify.reminders import remind_and_escalate

    approver = make_user("ana", roles=["approver", "admin"], groups=["comms"])
    author = make_user("sam", roles=["staff"], groups=["comms"])
    app.config["ESCALATION"] = {"comms": {"after_minutes": 1, "to": "comms"}}
    make_draft("returned", author=author, approver=approver)
    make_draft("approved", text=REVIEW_TEXT, author=author, approver=approver)
    make_inbound(account=make_draft("pending", author=author).account)
    outbox.verification_failed(db_session, None, 2, "hash mismatch")
    db_session.commit()
    remind_and_escalate(app, utcnow() + timedelta(days=1))
    db_session.rollback()
    rows = list(db_session.scalars(select(Notification).where(Notification.channel == "inapp")))
    events = {row.event for row in rows}
    assert events >= {"draft.routed", "draft.returned", "draft.decided", "approval.reminder", "approval.escalated",
                      "inbound.reminder", "audit.verify_failed"}, events
    adapter = app.url_map.bind("reviewer.example")
    for row in rows:
        endpoint, _ = adapter.match(row.payload["path"], method="GET")
        assert endpoint != "static", row.payload["path"]
