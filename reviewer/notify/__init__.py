"""Notifications: a transactional outbox (outbox.py) delivered by the job queue (tasks.py,
delivery.py) over email and webhooks (channels.py), with reminders and escalation (reminders.py),
daily digests (digests.py), each person's page and choices and the admins' delivery page
(services.py, views.py), and start-up checks of the settings (settings_check.py).

`init_app` gives every session the notification settings (services read
them from `session.info`) and queues a delivery run after each commit that
wrote notifications: the request only queues, the worker sends.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # services import reviewer.notify.outbox: this package must not pull Flask in with it
    from flask import Flask

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from sqlalchemy import event

    from reviewer.db import get_database
    from reviewer.notify.outbox import SETTINGS_KEY, WRITTEN_KEY, NotifySettings

    sessions = get_database(app).sessions
    sessions.kw.setdefault("info", {})[SETTINGS_KEY] = NotifySettings.from_config(app.config)

    def queue_delivery(session) -> None:
        if not session.info.pop(WRITTEN_KEY, False):
            return
        from reviewer.jobs import jobs_of
        from reviewer.notify.tasks import DELIVER

        try:
            jobs_of(app).enqueue(DELIVER)
        except Exception as error:  # noqa: BLE001 -- the rows are committed: the next tick delivers them
            log.warning("could not queue notification delivery (the next `jobs tick` will send them): %s", error)

    def forget(session, *_args) -> None:
        session.info.pop(WRITTEN_KEY, None)

    event.listen(sessions, "after_commit", queue_delivery)
    event.listen(sessions, "after_soft_rollback", forget)
