"""Reminders and escalation (the tick): each step taken, audited and told once, however often the tick runs;
escalation before the response target of the post a draft answers; daily digests; `reviewer jobs tick`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from reviewer.cli import main


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _steps(db_session) -> list[tuple[str, str]]:
    from reviewer.notify.models import ReminderStep

    db_session.rollback()
    return [(row.subject, row.step) for row in db_session.scalars(select(ReminderStep).order_by(ReminderStep.id))]


@pytest.fixture
def people(make_user):
    """ana approves for comms, lee is the comms lead's group (press), sam drafts."""
    return {
        "ana": make_user("ana", roles=["approver"], groups=["comms"], email="ana@council.example"),
        "lee": make_user("lee", roles=["approver"], groups=["press"], email="lee@council.example"),
        "sam": make_user("sam", roles=["staff"], email="sam@council.example"),
    }


def test_an_approval_is_reminded_past_half_and_past_its_target_once_each(
    app, people, make_draft, notifications, db_session, audit_actions
) -> None:
    from reviewer.notify.reminders import remind_and_escalate

    app.config["APPROVAL_TARGET_MINUTES"] = 60
    draft = make_draft("pending", author=people["sam"])
    assert remind_and_escalate(app, _now() + timedelta(minutes=29)).reminders == 0
    assert remind_and_escalate(app, _now() + timedelta(minutes=31)).reminders == 1
    assert remind_and_escalate(app, _now() + timedelta(minutes=35)).reminders == 0  # taken already
    assert remind_and_escalate(app, _now() + timedelta(minutes=61)).reminders == 1
    assert remind_and_escalate(app, _now() + timedelta(minutes=90)).reminders == 0
    assert _steps(db_session) == [(f"draft:{draft.id}", "approval.half:v1"), (f"draft:{draft.id}", "approval.past:v1")]
    assert audit_actions().count("approval.reminded") == 2
    rows = notifications(event="approval.reminder")
    assert sorted((r.channel, r.address) for r in rows) == sorted(
        [("email", "ana@council.example"), ("teams", "comms/0"), ("slack", "comms/1"), ("json", "comms/2")] * 2)
    assert [r.payload["title"] for r in rows if r.channel == "email"] == [
        f"Draft {draft.id} for {draft.account.label} is past half of its approval target",
        f"Draft {draft.id} for {draft.account.label} is past its approval target"]
    [page] = {r.recipient_id for r in notifications(channel="inapp", event="approval.reminder")}
    assert page == people["ana"].id


def test_escalation_tells_the_backup_group_once_and_never_again(
    app, people, make_draft, notifications, db_session, audit_actions, checker
) -> None:
    from reviewer.drafting.services import revise_draft
    from reviewer.notify.reminders import escalations, remind_and_escalate
    from reviewer.review import services as review
    from reviewer.review.submitting import submit_draft

    app.config["ESCALATION"] = {"comms": {"after_minutes": 120, "to": "press"}}
    draft = make_draft("pending", author=people["sam"])
    assert remind_and_escalate(app, _now() + timedelta(minutes=119)).escalations == 0
    assert remind_and_escalate(app, _now() + timedelta(minutes=121)).escalations == 1
    assert remind_and_escalate(app, _now() + timedelta(minutes=200)).escalations == 0
    # Returned and submitted again (version 2): reminded anew, but never escalated again.
    db_session.rollback()
    review.return_for_changes(db_session, people["ana"], draft, "Drop the date.", expected_version=draft.lock_version)
    db_session.commit()
    revise_draft(db_session, people["sam"], checker, draft, "We promise the pool will reopen on Friday.")
    submit_draft(db_session, people["sam"], checker, draft)
    db_session.commit()
    assert draft.state == "pending" and draft.current_version.number == 2
    again = remind_and_escalate(app, _now() + timedelta(minutes=500))
    assert (again.reminders, again.escalations) == (2, 0)
    assert audit_actions().count("approval.escalated") == 1
    [mail] = notifications(event="approval.escalated", channel="email")
    assert mail.address == "lee@council.example"  # the "to" group, which has no webhooks
    assert "comms has not approved it: waiting 121 minutes (escalation after 120)" in mail.payload["lines"][0]
    [shown] = escalations(db_session, _now() - timedelta(hours=1), _now() + timedelta(hours=1))
    assert (shown.draft_id, shown.account_id, shown.group, shown.to) == (draft.id, draft.account_id, "comms", "press")
    assert escalations(db_session, _now() - timedelta(hours=1), _now() + timedelta(hours=1), account_id=-1) == []


def test_escalation_comes_before_the_answered_posts_response_target(
    app, people, make_draft, make_inbound, make_account, notifications, audit_actions
) -> None:
    """The post came in 50 minutes ago and its target is 60: 30 minutes ahead of it, escalate (long before after_minutes)."""
    from reviewer.notify.reminders import remind_and_escalate

    app.config["ESCALATION"] = {"comms": {"after_minutes": 600, "before_target_minutes": 30, "to": "press"}}
    account = make_account()
    account.response_target_minutes = 60
    post = make_inbound(account=account, received_at=_now() - timedelta(minutes=10))
    draft = make_draft("pending", author=people["sam"], inbound=post)
    assert remind_and_escalate(app, _now() + timedelta(minutes=19)).escalations == 0  # 31 minutes left
    assert remind_and_escalate(app, _now() + timedelta(minutes=21)).escalations == 1  # 29 left: before it is missed
    [mail] = notifications(event="approval.escalated", channel="email")
    assert mail.subject == f"draft:{draft.id}" and "reaches its response target in 29 minutes" in mail.payload["lines"][0]
    assert audit_actions().count("approval.escalated") == 1


def test_an_unanswered_post_is_reminded_near_then_past_its_target(
    app, make_user, make_account, make_inbound, notifications, audit_actions
) -> None:
    from reviewer.notify.reminders import remind_and_escalate

    make_user("dee", roles=["staff"], groups=["legal"], email="dee@council.example")
    account = make_account(groups=["legal"])
    account.response_target_minutes = 100
    post = make_inbound(account=account, received_at=_now())
    assert remind_and_escalate(app, _now() + timedelta(minutes=70)).reminders == 0
    assert remind_and_escalate(app, _now() + timedelta(minutes=80)).reminders == 1  # 75 % of the target
    assert remind_and_escalate(app, _now() + timedelta(minutes=101)).reminders == 1
    assert remind_and_escalate(app, _now() + timedelta(minutes=102)).reminders == 0
    titles = [r.payload["title"] for r in notifications(event="inbound.reminder", channel="email")]
    assert titles == [f"A post to {account.label} is near its response target",
                      f"A post to {account.label} is past its response target"]
    assert {r.address for r in notifications(event="inbound.reminder", channel="email")} == {"dee@council.example"}
    assert audit_actions().count("inbound.reminded") == 2 and post.id


def test_a_digest_gathers_the_days_notifications_into_one_email(
    app, people, make_draft, notifications, db_session, smtp
) -> None:
    from reviewer.notify.delivery import deliver_due
    from reviewer.notify.digests import send_digests
    from reviewer.notify.models import NotificationPreference

    db_session.add(NotificationPreference(user_id=people["ana"].id, event="draft.routed", mode="digest"))
    db_session.commit()
    first, second = make_draft("pending", author=people["sam"]), make_draft("pending", author=people["sam"])
    waiting = notifications(channel="email", event="draft.routed")
    assert [r.status for r in waiting] == ["digest", "digest"]
    assert deliver_due(app).sent == 6 and smtp.mails == []  # the webhooks; no mail yet
    morning = _now().replace(hour=7, minute=5)
    assert send_digests(app, morning.replace(hour=6)) == 0  # before NOTIFY_DIGEST_HOUR
    assert send_digests(app, morning) == 1
    assert send_digests(app, morning + timedelta(hours=3)) == 0  # once a day
    assert [r.status for r in notifications(channel="email", event="draft.routed")] == ["digested", "digested"]
    assert deliver_due(app).sent == 1
    [mail] = smtp.mails
    assert mail.recipients == ["ana@council.example"] and mail.subject == "reviewer: 2 notifications today"
    text = mail.message.get_body(("plain",)).get_content()
    assert f"/review/drafts/{first.id}" in text and f"/review/drafts/{second.id}" in text


def test_a_preference_of_off_sends_no_email_but_keeps_the_page(app, people, make_draft, notifications, db_session) -> None:
    from reviewer.notify.models import NotificationPreference

    db_session.add(NotificationPreference(user_id=people["ana"].id, event="draft.routed", mode="off"))
    db_session.commit()
    make_draft("pending", author=people["sam"])
    assert notifications(channel="email") == []
    assert [r.status for r in notifications(channel="inapp")] == ["unread"]


def test_jobs_tick_from_cron_reminds_and_delivers(app, people, make_draft, monkeypatch, smtp, receiver, db_session) -> None:
    from reviewer.drafting.models import Draft

    for key in ("DATABASE_URL", "POLICY_DIR", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_CA_FILE",
                "EXTERNAL_BASE_URL"):
        monkeypatch.setenv(f"REVIEWER_{key}", str(app.config[key]))
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("REVIEWER_NOTIFY_WEBHOOKS", json.dumps(app.config["NOTIFY_WEBHOOKS"]))
    monkeypatch.setenv("REVIEWER_APPROVAL_TARGET_MINUTES", "60")
    draft = make_draft("pending", author=people["sam"])
    db_session.execute(update(Draft).where(Draft.id == draft.id).values(submitted_at=_now() - timedelta(minutes=40)))
    db_session.commit()
    result = CliRunner().invoke(main, ["jobs", "tick"])
    assert result.exit_code == 0, result.output
    # The routed draft's mail and 3 posts, then the reminder's: 2 mails, 6 posts.
    assert "Reminders 1, escalations 0, digests 0; delivered 8, failed 0" in result.output
    assert sorted(m.subject for m in smtp.mails) == sorted([
        f"Draft {draft.id} for {draft.account.label} is past half of its approval target",
        f"Draft {draft.id} for {draft.account.label} is waiting for comms"])
    assert len(receiver.received) == 6
    again = CliRunner().invoke(main, ["jobs", "tick"])
    assert "Reminders 0, escalations 0, digests 0; delivered 0, failed 0" in again.output
    assert len(smtp.mails) == 2 and len(receiver.received) == 6


def test_old_notifications_are_deleted_but_never_one_still_waiting_to_go(app, people, make_draft, notifications) -> None:
    from reviewer.notify.delivery import deliver_due, purge_old

    make_draft("pending", author=people["sam"])
    assert deliver_due(app, limit=2).sent >= 1  # all of them: the run goes on until nothing is due
    make_draft("pending", author=people["sam"])  # these wait
    assert purge_old(app, _now() + timedelta(days=89)) == 0
    waiting = {r.id for r in notifications(status="pending")}
    assert waiting and purge_old(app, _now() + timedelta(days=91)) == 4 + 2  # sent mail and posts, two page rows
    assert {r.id for r in notifications()} == waiting and notifications(channel="inapp") == []
