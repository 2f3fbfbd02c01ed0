"""The app's one job queue (huey): tasks are plain functions, registered by name.

The queue is `SqliteHuey` in `instance/jobs.sqlite3` (config `JOBS_DATABASE`)
or `RedisHuey` when `REDIS_URL` (env `REVIEWER_REDIS_URL`) is set. A domain
writes a task as a plain function `fn(app, *args)` and registers it with
`@task("reviewer.<domain>.<what>")`; the queue binds every registered task
to its huey instance the first time it is used, so the web app (which
enqueues) and `reviewer jobs worker` (which runs) agree on the names.
`@periodic(...)` does the same for huey's periodic tasks, which only the
worker's consumer runs. `@on_worker_start` registers housekeeping (e.g. the
report file sweep) that runs when a consumer starts.
"""

from __future__ import annotations

import importlib
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from reviewer.private_files import create_private_file

EXTENSION_KEY = "reviewer.jobs"
# The modules whose import registers tasks (so a worker knows every task name the web app may queue).
TASK_MODULES = ("reviewer.reports.jobs", "reviewer.notify.tasks")

TaskFunction = Callable[..., Any]


@dataclass(frozen=True)
class _Periodic:
    function: TaskFunction
    minutes: int


_TASKS: dict[str, TaskFunction] = {}
_PERIODIC: dict[str, _Periodic] = {}
_ON_START: list[Callable[[Flask], Any]] = []


class JobsUnavailable(RuntimeError):
    """The job queue cannot be set up (e.g. REDIS_URL set but the redis package missing)."""


def task(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register `function(app, *args)` as the queue task `name`; the function itself is returned unchanged."""

    def register(function: TaskFunction) -> TaskFunction:
        _TASKS[name] = function
        return function

    return register


def periodic(name: str, *, minutes: int = 1) -> Callable[[TaskFunction], TaskFunction]:
    """Register `function(app)` to run every `minutes` minutes in a worker started with periodic tasks on."""

    def register(function: TaskFunction) -> TaskFunction:
        _PERIODIC[name] = _Periodic(function, minutes)
        return function

    return register


def on_worker_start(function: Callable[[Flask], Any]) -> Callable[[Flask], Any]:
    """Register housekeeping `function(app)` that runs each time a consumer starts."""
    if function not in _ON_START:
        _ON_START.append(function)
    return function


def _load_task_modules() -> None:
    for module in TASK_MODULES:
        importlib.import_module(module)


class JobQueue:
    """One app's huey: enqueue a task by name, a small key-value store, and the consumer."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Any = None
        self._bound: dict[str, Any] = {}

    @property
    def huey(self) -> Any:
        """The huey instance, made on first use (so an app that never queues creates no file)."""
        if self._huey is None:
            huey = self._make_huey()
            _load_task_modules()
            for name, function in _TASKS.items():
                self._bound[name] = huey.task(name=name)(_bind(self.app, function))
            from huey import crontab

            for name, job in _PERIODIC.items():
                schedule = crontab(minute="*" if job.minutes == 1 else f"*/{job.minutes}")
                self._bound[name] = huey.periodic_task(schedule, name=name)(_bind(self.app, job.function))
            self._huey = huey
        return self._huey

    def _make_huey(self) -> Any:
        redis_url = self.app.config.get("REDIS_URL")
        if redis_url:
            try:
                from huey import RedisHuey
                import redis  # noqa: F401 -- RedisHuey needs it; say so plainly when it is missing
            except ImportError as error:
                raise JobsUnavailable(
                    f"REDIS_URL is set but the redis client is not installed ({error}); "
                    "pip install redis, or unset REVIEWER_REDIS_URL to use the SQLite queue"
                ) from None
            return RedisHuey("reviewer", url=str(redis_url))
        from huey import SqliteHuey

        path = self.database_path
        create_private_file(path)  # 0600: the job rows hold report arguments
        return SqliteHuey("reviewer", filename=str(path))

    @property
    def database_path(self) -> Path:
        return Path(self.app.config.get("JOBS_DATABASE") or Path(self.app.instance_path) / "jobs.sqlite3")

    def describe(self) -> str:
        redis_url = self.app.config.get("REDIS_URL")
        return f"Redis {redis_url}" if redis_url else str(self.database_path)

    def enqueue(self, name: str, *args: Any, delay: float | None = None) -> None:
        """Queue the task `name` with `args` (after `delay` seconds when given)."""
        self.huey  # noqa: B018 -- binds the tasks
        bound = self._bound.get(name)
        if bound is None:
            raise LookupError(f"no job task is registered as {name!r}; known: {', '.join(sorted(self._bound))}")
        if delay:
            bound.schedule(args=args, delay=delay)
        else:
            bound(*args)

    def put(self, key: str, value: Any) -> None:
        self.huey.put(key, value)

    def get(self, key: str) -> Any:
        """The value stored under `key` (left in place), or None."""
        return self.huey.get(key, peek=True)

    def consumer(self, workers: int = 1, *, periodic: bool = False) -> Any:
        """A huey consumer with thread workers (`.run()` blocks; `.start()`/`.stop()` in tests).

        The registered start-up housekeeping runs first."""
        huey = self.huey
        for function in list(_ON_START):
            function(self.app)
        return huey.create_consumer(
            workers=workers, worker_type="thread", periodic=periodic, check_worker_health=False, max_delay=1.0
        )


def _bind(app: Flask, function: TaskFunction) -> TaskFunction:
    def run(*args: Any, **kwargs: Any) -> Any:
        return function(app, *args, **kwargs)

    run.__name__ = run.__qualname__ = function.__name__
    run.__doc__ = function.__doc__
    return run


def jobs_of(app: Flask) -> JobQueue:
    """The app's job queue (made once per app; `current_app` is unwrapped, the worker thread has no context)."""
    unwrap = getattr(app, "_get_current_object", None)
    app = unwrap() if unwrap is not None else app
    queue = app.extensions.get(EXTENSION_KEY)
    if queue is None:
        queue = app.extensions[EXTENSION_KEY] = JobQueue(app)
    return queue


@contextmanager
def consumer_running(queue: JobQueue, workers: int = 1, *, periodic: bool = False) -> Iterator[Any]:
    """A real huey consumer with thread workers inside this process, stopped on exit (tests, benchmarks).

    huey's consumer installs signal handlers; they are put back as they were.
    """
    names = ("SIGTERM", "SIGINT", "SIGHUP")
    saved = {getattr(signal, n): signal.getsignal(getattr(signal, n)) for n in names if hasattr(signal, n)}
    consumer = queue.consumer(workers, periodic=periodic)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for number, handler in saved.items():
            signal.signal(number, handler)
