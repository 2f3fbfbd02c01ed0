"""Background work: one huey queue per app, tasks as plain functions (see queue.py)."""

from reviewer.jobs.queue import (
    JobQueue,
    JobsUnavailable,
    consumer_running,
    jobs_of,
    on_worker_start,
    periodic,
    task,
)

__all__ = ["JobQueue", "JobsUnavailable", "consumer_running", "jobs_of", "on_worker_start", "periodic", "task"]
