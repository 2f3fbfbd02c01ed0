"""An app whose notifications go to a real SMTP server (STARTTLS) and a real HTTP receiver."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from notify_kit import BASE_URL, JSON_SECRET, HttpReceiver, SmtpServer


@pytest.fixture
def smtp(tmp_path: Path):
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def receiver():
    server = HttpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def notify_config(smtp, receiver) -> dict:
    return {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_USER": smtp.user, "SMTP_PASSWORD": smtp.password,
        "SMTP_FROM": "reviewer@council.example", "SMTP_CA_FILE": str(smtp.cert), "SMTP_TIMEOUT_SECONDS": 5.0,
        "EXTERNAL_BASE_URL": BASE_URL,
        "NOTIFY_WEBHOOKS": {"comms": [
            {"kind": "teams", "url": receiver.url("/teams")},
            {"kind": "slack", "url": receiver.url("/slack")},
            {"kind": "json", "url": receiver.url("/json"), "secret": JSON_SECRET},
        ]},
        "NOTIFY_RETRY_SECONDS": 0.05,
    }


@pytest.fixture
def app(make_app, notify_config):
    """Overrides the shared `app`: the factories (make_draft, ...) write through this app's sessions."""
    return make_app(**notify_config)


@pytest.fixture
def notifications(db_session):
    """notifications(**filters): every outbox row to deliver so far (fresh read), oldest first; the rows
    of people's notifications pages (channel "inapp", never sent) only when asked for by channel."""
    from sqlalchemy import select

    from reviewer.notify.models import Notification

    def rows(**filters):
        db_session.rollback()
        query = select(Notification).filter_by(**filters).order_by(Notification.id)
        if "channel" not in filters:
            query = query.where(Notification.channel != "inapp")
        return list(db_session.scalars(query))

    return rows


@pytest.fixture
def wait_until():
    """wait_until(predicate, seconds): poll a real worker's progress; fails with `what` when it never comes."""

    def wait(predicate, what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    return wait
