"""Background work: one huey queue per app, tasks as plain functions (see queue.py)."""

from reviewer.jobs.queue import JobsUnavailable, consumer_running, jobs_of, on_worker_start, periodic, task

__all__ = ["JobsUnavailable", "consumer_running", "jobs_of", "on_worker_start", "periodic", "task"]
