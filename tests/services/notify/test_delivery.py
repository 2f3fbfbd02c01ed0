"""The outbox end to end: rows written with the change, delivered by a real huey worker to a real
SMTP server (STARTTLS, AUTH) and a real HTTP receiver; nothing for a rolled-back change; nothing lost
when a receiver goes away mid-run."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from notify_kit import BASE_URL, JSON_SECRET

from reviewer.notify.channels import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER

REVIEW_TEXT = "We promise the pool will reopen by Friday."  # routed to comms (tests/fixtures_workflow.py)


def _approvers(make_user, *names: str) -> list:
    return [make_user(name, roles=["approver"], groups=["comms"], email=f"{name}@council.example") for name in names]


@pytest.mark.slow
def test_a_routed_draft_reaches_the_group_by_email_and_every_webhook(
    app, make_user, make_draft, notifications, smtp, receiver, wait_until
) -> None:
    from reviewer.jobs import consumer_running, jobs_of

    ana, ben = _approvers(make_user, "ana", "ben")
    author = make_user("sam", roles=["staff"], email="sam@council.example")
    draft = make_draft("pending", author=author)
    rows = notifications(event="draft.routed")
    assert sorted((r.channel, r.address) for r in rows) == [
        ("email", "ana@council.example"), ("email", "ben@council.example"),
        ("json", "comms/2"), ("slack", "comms/1"), ("teams", "comms/0")]
    assert {r.status for r in rows} == {"pending"} and len({r.key for r in rows}) == 5

    with consumer_running(jobs_of(app), workers=2):
        wait_until(lambda: all(r.status == "sent" for r in notifications()), "every notification sent")
    link = f"{BASE_URL}/review/drafts/{draft.id}"

    assert sorted(m.recipients[0] for m in smtp.mails) == ["ana@council.example", "ben@council.example"]
    for mail in smtp.mails:
        assert mail.tls and mail.user == smtp.user  # STARTTLS, then AUTH
        row = next(r for r in rows if r.address == mail.recipients[0])
        assert mail.message["Message-ID"] == f"<{row.key}@reviewer>"
        assert mail.message["X-Reviewer-Idempotency-Key"] == row.key
        text = mail.message.get_body(("plain",)).get_content()
        html = mail.message.get_body(("html",)).get_content()
        assert link in text and f'href="{link}"' in html and f"Draft {draft.id}" in mail.subject
        assert REVIEW_TEXT not in text and REVIEW_TEXT not in html  # never the draft's text

    by_path = {d.path: d for d in receiver.received}
    assert sorted(by_path) == ["/json", "/slack", "/teams"] and len(receiver.received) == 3
    for delivery in receiver.received:
        assert delivery.headers[KEY_HEADER] == next(r.key for r in rows if r.channel == delivery.path[1:])
    card = by_path["/teams"].json()["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard" and card["content"]["actions"][0]["url"] == link
    assert link in by_path["/slack"].json()["text"]
    signed = by_path["/json"]
    timestamp = signed.headers[TIMESTAMP_HEADER]
    expected = hmac.new(JSON_SECRET.encode(), timestamp.encode() + b"." + signed.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signed.headers[SIGNATURE_HEADER], f"sha256={expected}")
    body = signed.json()
    assert body["event"] == "draft.routed" and body["url"] == link and body["id"] == signed.headers[KEY_HEADER]
    assert REVIEW_TEXT not in json.dumps(body)


def test_nothing_is_written_or_sent_for_a_change_that_rolled_back(
    app, db_session, make_user, make_draft, checker, notifications, smtp, receiver
) -> None:
    from sqlalchemy import func, select

    from reviewer.notify.delivery import deliver_due
    from reviewer.notify.models import Notification
    from reviewer.review.submitting import submit_draft

    _approvers(make_user, "ana")
    draft = make_draft("draft", text=REVIEW_TEXT)
    submit_draft(db_session, draft.test_author, checker, draft)
    assert draft.state == "pending" and db_session.scalar(select(func.count()).select_from(Notification)) == 5  # page, mail, 3 hooks
    assert db_session.info.get("notify_written") is True  # written in this transaction...
    db_session.rollback()  # ...which rolls back
    assert "notify_written" not in db_session.info
    assert notifications() == []
    run = deliver_due(app)
    assert (run.sent, run.failed, run.next_due_in) == (0, 0, None)
    assert smtp.mails == [] and receiver.received == []


def test_the_author_hears_when_a_draft_is_returned_and_when_it_is_decided(
    app, make_user, make_draft, notifications, smtp
) -> None:
    from reviewer.notify.delivery import deliver_due

    [approver] = _approvers(make_user, "ana")
    author = make_user("sam", roles=["staff"], email="sam@council.example")
    returned = make_draft("returned", author=author, approver=approver)
    rejected = make_draft("rejected", author=author, approver=approver)
    approved = make_draft("approved", text=REVIEW_TEXT, author=author, approver=approver)
    mine = [(r.event, r.subject, r.payload["facts"].get("outcome")) for r in notifications(address="sam@council.example")]
    assert mine == [("draft.returned", f"draft:{returned.id}", None), ("draft.decided", f"draft:{rejected.id}", "rejected"),
                    ("draft.decided", f"draft:{approved.id}", "approved")]
    assert deliver_due(app).failed == 0
    subjects = [m.subject for m in smtp.mails if m.recipients == ["sam@council.example"]]
    assert subjects == [f"Draft {returned.id} for {returned.account.label} was returned for changes",
                        f"Draft {rejected.id} for {rejected.account.label} was rejected",
                        f"Draft {approved.id} for {approved.account.label} was approved"]
    # The approver who acted hears nothing of their own decisions, only of the drafts routed to them.
    assert {r.event for r in notifications(address="ana@council.example")} == {"draft.routed"}


@pytest.mark.slow
def test_a_receiver_killed_mid_run_gets_everything_once_it_is_back(
    app, make_user, make_draft, notifications, receiver, smtp, audit_actions, wait_until
) -> None:
    """The webhook receiver dies after its 2nd request; the rest wait with backoff and arrive when it is back."""
    from reviewer.jobs import consumer_running, jobs_of

    _approvers(make_user, "ana")
    receiver.kill_after = 2
    for _ in range(3):
        make_draft("pending")
    hooks = [r for r in notifications() if r.channel != "email"]
    assert len(hooks) == 9
    with consumer_running(jobs_of(app), workers=1):
        # The first run is over once every row was sent or has failed at least once.
        wait_until(lambda: receiver.killed.is_set() and all(r.status == "sent" or r.last_error for r in notifications()),
                   "a first delivery run with failures")
        failing = [r for r in notifications() if r.status == "pending"]
        assert failing and all(r.channel != "email" for r in failing)  # mail is not held up by a dead webhook
        assert all(r.next_attempt_at > r.created_at for r in failing if r.attempts)
        receiver.start()  # back, on the same port
        wait_until(lambda: all(r.status == "sent" for r in notifications()), "every notification sent", seconds=90)
    keys = [d.headers[KEY_HEADER] for d in receiver.received]
    assert sorted(keys) == sorted(r.key for r in hooks)  # every one delivered, each once (no worker died to repeat one)
    assert max(r.attempts for r in notifications()) > 1
    assert "notification.failed" in audit_actions() and "notification.abandoned" not in audit_actions()
    assert len(smtp.mails) == 3


def test_one_delivery_run_sends_its_emails_over_one_smtp_connection(app, make_user, make_draft, smtp) -> None:
    from reviewer.notify.delivery import deliver_due

    _approvers(make_user, "ana", "ben", "cat")
    make_draft("pending")
    make_draft("pending")
    run = deliver_due(app)
    assert (run.sent, run.failed) == (6 + 6, 0)  # 3 mails and 3 webhook posts per draft
    assert len(smtp.mails) == 6 and len({m.peer for m in smtp.mails}) == 1
    assert all(m.tls and m.user == smtp.user for m in smtp.mails)


def test_mail_waits_while_the_smtp_server_is_down_and_goes_once_it_is_up(
    app, make_user, make_draft, notifications, smtp, audit_actions
) -> None:
    from reviewer.notify.delivery import deliver_due

    _approvers(make_user, "ana")
    smtp.stop()
    make_draft("pending")
    run = deliver_due(app)
    [mail] = notifications(channel="email")
    assert run.failed >= 1 and mail.status == "pending" and mail.attempts == 1
    assert "ConnectionRefusedError" in mail.last_error and f"127.0.0.1:{smtp.port}" in mail.last_error
    assert audit_actions().count("notification.failed") >= 1
    smtp.start()  # same port
    _make_due(app)
    assert deliver_due(app).failed == 0
    [mail] = notifications(channel="email")
    assert mail.status == "sent" and mail.attempts == 2 and len(smtp.mails) == 1


def test_a_notification_is_marked_failed_after_the_last_attempt(app, make_user, make_draft, notifications, smtp, audit_actions) -> None:
    from reviewer.notify.delivery import backoff_seconds, deliver_due

    assert [backoff_seconds(n, 30) for n in (1, 2, 3, 9)] == [30, 60, 120, 3600]
    app.config["NOTIFY_MAX_ATTEMPTS"] = 2
    _approvers(make_user, "ana")
    smtp.stop()
    make_draft("pending")
    deliver_due(app)
    _make_due(app)
    deliver_due(app)
    [mail] = notifications(channel="email")
    assert mail.status == "failed" and mail.attempts == 2
    assert audit_actions().count("notification.abandoned") == 1


def test_starttls_is_required(app, make_user, make_draft, notifications, smtp) -> None:
    """A server certificate the app does not trust is refused (no fallback to plain text)."""
    from reviewer.notify.delivery import deliver_due

    app.config["SMTP_CA_FILE"] = None  # the system's CAs do not know the test's self-signed certificate
    _approvers(make_user, "ana")
    make_draft("pending")
    deliver_due(app)
    [mail] = notifications(channel="email")
    assert mail.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in mail.last_error and smtp.mails == []


def _make_due(app) -> None:
    """Skip the backoff wait (the backoff itself is checked in the killed-receiver test)."""
    from sqlalchemy import update

    from reviewer.db import app_session

    from reviewer.orm import utcnow
    from reviewer.notify.models import Notification

    with app_session(app) as session:
        session.execute(update(Notification).where(Notification.status == "pending").values(next_attempt_at=utcnow()))
        session.commit()
