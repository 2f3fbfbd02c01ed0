"""Notifications during a load: a real SMTP server (STARTTLS, AUTH) and a real HTTP receiver (signed JSON,
Teams and Slack webhooks per approver group), a `reviewer jobs worker` that delivers, and the check that the
receivers got every notification exactly once after dropping duplicates by idempotency key.

The receivers are the tests' (tests/notify_kit.py), so the soak and the tests judge delivery the same way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from loadgen.servers import LOAD_ENV, VENV_BIN
from loadgen.site import ROOT, Site

sys.path.insert(0, str(ROOT / "tests"))
from notify_kit import JSON_SECRET, HttpReceiver, SmtpServer

GROUPS_WITH_HOOKS = ("comms", "legal", "safeguarding", "press")


@dataclass
class DeliveryCheck:
    written: int = 0  # outbox rows to deliver (email and webhooks)
    sent: int = 0
    failed: int = 0
    pending: int = 0
    received: int = 0  # what the receivers saw, duplicates included
    duplicates: int = 0
    missing: list[str] = field(default_factory=list)  # keys marked sent that no receiver saw
    unexpected: list[str] = field(default_factory=list)  # keys received that no row has
    page_rows: int = 0
    drain_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.pending == 0 and not self.missing and not self.unexpected

    def lines(self) -> list[str]:
        return [
            f"notifications: {self.written} to deliver (+{self.page_rows} on people's pages), {self.sent} sent, "
            f"{self.failed} failed, {self.pending} still pending; drained {self.drain_seconds:.1f} s after the load",
            f"receivers: {self.received} received, {self.duplicates} duplicates dropped by idempotency key, "
            f"{len(self.missing)} missing, {len(self.unexpected)} unknown: "
            + ("every notification exactly once" if self.ok else "NOT exactly once"),
        ]


class Notifications:
    """The receivers and the worker for one site; `env` goes to every `reviewer serve` instance."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.folder = Path(tempfile.mkdtemp(prefix="soak-notify-", dir=site.folder))
        self.smtp = SmtpServer(self.folder).start()
        self.http = HttpReceiver().start()
        self.worker: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        hooks = {group: [{"kind": "json", "url": self.http.url(f"/{group}/json"), "secret": JSON_SECRET},
                         {"kind": "teams", "url": self.http.url(f"/{group}/teams")}]
                 for group in GROUPS_WITH_HOOKS}
        hooks["*"] = [{"kind": "slack", "url": self.http.url("/all/slack")}]
        return {
            "REVIEWER_SMTP_HOST": "127.0.0.1", "REVIEWER_SMTP_PORT": str(self.smtp.port),
            "REVIEWER_SMTP_USER": self.smtp.user, "REVIEWER_SMTP_PASSWORD": self.smtp.password,
            "REVIEWER_SMTP_CA_FILE": str(self.smtp.cert), "REVIEWER_EXTERNAL_BASE_URL": "https://reviewer.example",
            "REVIEWER_NOTIFY_WEBHOOKS": json.dumps(hooks), "REVIEWER_NOTIFY_RETRY_SECONDS": "1",
        }

    def start_worker(self, instance: str = "main", workers: int = 2) -> None:
        """`reviewer jobs worker` beside the server instance `instance` (the same instance folder, so the same
        SQLite job queue)."""
        env = {**os.environ, **self.site.env(instance), **LOAD_ENV, **self.env}
        log = open(self.folder / "worker.log", "ab")  # open while the worker runs
        self.worker = subprocess.Popen([str(VENV_BIN / "reviewer"), "jobs", "worker", "--workers", str(workers)],
                                       cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)

    def drain_and_check(self, within: float = 180) -> DeliveryCheck:
        """Wait until nothing is pending (or `within` seconds), stop the worker, compare rows with receipts."""
        started = time.monotonic()
        while time.monotonic() - started < within and self._counts().get("pending", 0):
            time.sleep(0.5)
        check = DeliveryCheck(drain_seconds=time.monotonic() - started)
        self.stop()
        counts, keys, check.page_rows = self._counts(), self._sent_keys(), self._counts(inapp=True)
        check.written = sum(counts.values())
        check.sent, check.failed, check.pending = counts.get("sent", 0), counts.get("failed", 0), counts.get("pending", 0)
        seen = Counter([m.message["X-Reviewer-Idempotency-Key"] for m in self.smtp.mails]
                       + [d.headers["Idempotency-Key"] for d in self.http.received])
        check.received = sum(seen.values())
        check.duplicates = sum(n - 1 for n in seen.values())
        check.missing = sorted(keys - set(seen))
        check.unexpected = sorted(set(seen) - keys)
        return check

    def stop(self) -> None:
        """Stop the worker (SIGINT: huey finishes its tasks) and the receivers; safe to call twice."""
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGINT)
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.worker.pid, signal.SIGKILL)
                self.worker.wait()
        self.smtp.stop()
        self.http.stop()

    def _counts(self, inapp: bool = False):
        from sqlalchemy import func, select

        from reviewer.db import app_session, get_database
        from reviewer.notify.models import Notification

        app = self.site.app()
        try:
            with app_session(app) as session:
                channel = Notification.channel == "inapp" if inapp else Notification.channel != "inapp"
                rows = session.execute(select(Notification.status, func.count()).where(channel).group_by(Notification.status))
                counts = {status: count for status, count in rows}
        finally:
            get_database(app).engine.dispose()
        return sum(counts.values()) if inapp else counts

    def _sent_keys(self) -> set[str]:
        from sqlalchemy import select

        from reviewer.db import app_session, get_database
        from reviewer.notify.models import Notification

        app = self.site.app()
        try:
            with app_session(app) as session:
                return set(session.scalars(select(Notification.key).where(Notification.channel != "inapp",
                                                                          Notification.status == "sent")))
        finally:
            get_database(app).engine.dispose()
