"""The notification tasks on the job queue: delivery (queued after each commit that wrote rows) and the tick.

`deliver_notifications` sends what is due and, when something waits for a
retry, queues itself again for when it falls due. `tick` (huey's periodic
task in `reviewer jobs worker`, and `reviewer jobs tick` from cron) sends
reminders and escalations, daily digests, and whatever is due, so even a
lost queue message (or a queue that was down at commit time) loses nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask

from reviewer.jobs import jobs_of, periodic, task
from reviewer.notify.delivery import DeliveryRun, deliver_due, purge_old

DELIVER = "reviewer.notify.deliver"
TICK = "reviewer.jobs.tick"
_RETRY_KEY = "notify:retry-at"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickReport:
    """What one tick did."""

    reminders: int
    escalations: int
    digests: int
    delivery: DeliveryRun
    purged: int = 0


@task(DELIVER)
def deliver_notifications(app: Flask) -> DeliveryRun:
    run = deliver_due(app)
    if run.next_due_in is not None:
        schedule_retry(app, run.next_due_in)
    return run


def schedule_retry(app: Flask, seconds: float) -> None:
    """Queue one delivery run for `seconds` from now, unless one is already queued as soon or sooner."""
    queue = jobs_of(app)
    wanted = time.time() + max(seconds, 0.05)
    queued_for = queue.get(_RETRY_KEY)
    if queued_for is not None and time.time() < queued_for <= wanted:
        return
    queue.put(_RETRY_KEY, wanted)
    queue.enqueue(DELIVER, delay=max(seconds, 0.05))


@periodic(TICK, minutes=1)
def tick(app: Flask, *, queue_retries: bool = True) -> TickReport:
    """Reminders, escalations and digests first (they write rows), then deliver what is due, then delete
    notifications past NOTIFY_KEEP_DAYS.

    From cron (`queue_retries=False`) nothing is put on the queue: the next run retries."""
    from reviewer.notify.digests import send_digests
    from reviewer.notify.reminders import remind_and_escalate

    reminded = remind_and_escalate(app)
    digests = send_digests(app)
    run = deliver_notifications(app) if queue_retries else deliver_due(app)
    return TickReport(reminded.reminders, reminded.escalations, digests, run, purge_old(app))
