"""`reviewer serve` (the app under gunicorn, for production) and `reviewer config check`.

`serve` builds the app once in the gunicorn master, so a bad configuration
stops it with the configuration's own message (no traceback, exit 1) before
any worker starts. It then forks the workers from that app (preload: the
embedded model's memory is shared, and the master holds no database
connection at fork time; each worker also drops any pooled connection it
inherited) or, for Detoxify (torch is not fork-safe), lets each worker build
its own. Logs are JSON lines by default; gunicorn's own lines use the same
format, and the access lines come from the app (reviewer.observability).

The equivalent plain gunicorn command (see docs/deployment.md):

    REVIEWER_LOG_FORMAT=json gunicorn --workers 5 --bind 127.0.0.1:8000 \\
        --timeout 60 --graceful-timeout 30 --preload 'reviewer.wsgi:app'
"""

from __future__ import annotations

import gc
import json
import os
from typing import Any

import click

from reviewer.numbers import whole_number

MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """2 x the CPUs this process may use + 1, at most MAX_DEFAULT_WORKERS."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return min(2 * cpus + 1, MAX_DEFAULT_WORKERS)


def _check_bind(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if value.startswith("unix:") and len(value) > 5:
            continue
        host, sep, port = value.rpartition(":")
        if not sep or not host or not whole_number(port, 65535):
            raise click.BadParameter(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:8000) or unix:PATH")
    return values


def _serve_option(name: str, *args: Any, **kwargs: Any):
    """A click option that can also come from REVIEWER_SERVE_<NAME>."""
    return click.option(name, *args, envvar=f"REVIEWER_SERVE_{name.lstrip('-').split('/')[0].upper().replace('-', '_')}",
                        show_envvar=True, **kwargs)


@click.command("serve")
@_serve_option("--bind", "binds", multiple=True, default=("127.0.0.1:8000",), show_default=True, callback=_check_bind,
               help="Address to listen on: HOST:PORT or unix:PATH; repeatable (in the variable: separated by spaces).")
@_serve_option("--workers", type=click.IntRange(1, 64), default=None,
               help=f"Worker processes [default: 2 x CPUs + 1, at most {MAX_DEFAULT_WORKERS}; here {default_workers()}].")
@_serve_option("--threads", type=click.IntRange(1, 64), default=1, show_default=True,
               help="Threads per worker (more than 1: gunicorn's gthread workers).")
@_serve_option("--timeout", type=click.IntRange(1, 3600), default=60, show_default=True,
               help="Seconds a request may take before its worker is killed and replaced (a small PDF report renders in the request).")
@_serve_option("--graceful-timeout", type=click.IntRange(1, 3600), default=30, show_default=True,
               help="Seconds workers get to finish their requests after SIGTERM or a restart.")
@_serve_option("--trusted-proxies", type=click.IntRange(0, 10), default=None,
               help="Reverse proxies in front whose X-Forwarded-* and X-Request-ID to trust [default: TRUSTED_PROXIES, 0].")
@_serve_option("--access-log/--no-access-log", "access_log", default=None,
               help="One access line per request [default: ACCESS_LOG, on].")
@_serve_option("--preload/--no-preload", "preload", default=None,
               help="Fork workers from the master's app [default: yes, except with TOXICITY=detoxify].")
def serve_command(
    binds: tuple[str, ...], workers: int | None, threads: int, timeout: int, graceful_timeout: int,
    trusted_proxies: int | None, access_log: bool | None, preload: bool | None,
) -> None:
    """Serve the app with gunicorn (production). Stop with SIGTERM (graceful) or Ctrl-C."""
    from reviewer import freeze_start_up, observability

    observability.set_default_format("json")
    overrides: dict[str, Any] = {}
    if trusted_proxies is not None:
        overrides["TRUSTED_PROXIES"] = trusted_proxies
    if access_log is not None:
        overrides["ACCESS_LOG"] = access_log
    app = _build_app(overrides)  # in the master: a bad configuration stops here, with its message
    log_format = str(app.config.get("LOG_FORMAT") or "json").lower()
    level = str(app.config["LOG_LEVEL"]).upper()
    observability.configure_process_logging(log_format, level)  # the whole process, gunicorn included
    if preload is None:
        preload = str(app.config.get("TOXICITY") or "").strip().lower() != "detoxify"
    if preload:
        freeze_start_up()  # before the fork: the workers share these pages, and no full collection scans them
    else:
        _forget(app)
        app = None
    options = {
        "bind": list(binds),
        "workers": workers or default_workers(),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "graceful_timeout": graceful_timeout,
        "preload_app": preload,
        "accesslog": None,  # the app writes the access lines
        "errorlog": "-",
        "loglevel": level.lower(),
        "logger_class": _gunicorn_logger_class(log_format),
        "forwarded_allow_ips": "",  # proxy headers are the app's business (ProxyFix, TRUSTED_PROXIES)
        "proc_name": "reviewer",
        # gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl):
        # two instances on one machine would fight over it. Off; manage workers with signals.
        "control_socket_disable": True,
        "post_fork": _after_fork,
        "post_worker_init": _warm_worker,
        "worker_exit": _worker_exit,
    }
    _server_class()(app, overrides, options).run()


def _build_app(overrides: dict[str, Any]):
    from reviewer import create_app

    return create_app(overrides or None)


def _forget(app) -> None:
    """Drop the checked app before forking workers that build their own (and its model)."""
    from reviewer.db import get_database
    from reviewer.toxicity import clear_cache

    get_database(app).engine.dispose()
    clear_cache()
    gc.collect()


def _after_fork(server, worker) -> None:
    """In each new worker: never use a database connection inherited from the master."""
    app = getattr(server.app, "application", None)
    if app is not None:
        from reviewer.db import get_database

        get_database(app).engine.dispose(close=False)


def _warm_worker(worker) -> None:
    """In each worker, before it takes a request: do once what the first request would otherwise pay for.

    A worker starts with no database connection (the master's are dropped at the fork), no rate-limit
    store, and models whose memory it shares with the master until it first runs them (copy-on-write
    pages, ONNX Runtime's threads): the first check after a start cost several times the tenth
    (bench/bench_first_check.py). The checker's warm-up runs one check through each policy and the
    sentence encoder itself (its cache came with the fork); the API's per-request statements are
    compiled (api/warm_up.py; the mappers were configured by create_app); a health check opens the
    pooled database connection, and the limiter's storage check opens its store.
    A failure here is left for the first request to report.
    """
    app = getattr(worker.app, "application", None)
    if app is None:
        return
    from reviewer.api.warm_up import warm_statements
    from reviewer.checking import EXTENSION_KEY
    from reviewer.web.ratelimit import limiter_of

    try:
        checker = app.extensions[EXTENSION_KEY]
        checker.warm()
        checker.warm_encoder()
        warm_statements(app)
        app.test_client().get("/healthz")
        limiter = limiter_of(app)
        if limiter is not None:
            limiter.storage.check()
    except Exception:  # noqa: BLE001 -- warming is best effort; the request path reports real faults
        worker.log.debug("warming the worker failed", exc_info=True)


def _worker_exit(server, worker) -> None:
    """In a worker that is stopping: flush the logs, then leave without the interpreter's clean-up.

    A worker is forked from a master that has imported ONNX Runtime (the sentence encoder), and
    ONNX Runtime's exit-time clean-up waits for threads that exist only in the master: the worker
    would hang until gunicorn killed it ("terminate called after throwing ... std::system_error").
    Nothing is left to clean up here; the app's transactions have ended with their requests.
    """
    import logging
    import sys

    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _gunicorn_logger_class(log_format: str):
    from gunicorn.glogging import Logger

    from reviewer.observability import make_handler

    class ReviewerGunicornLogger(Logger):
        """gunicorn's own lines (start, workers, signals) in the app's log format."""

        def setup(self, cfg) -> None:
            super().setup(cfg)
            for handler in list(self.error_log.handlers):
                self.error_log.removeHandler(handler)
            self.error_log.addHandler(make_handler(log_format))

    return ReviewerGunicornLogger


def _server_class():
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        """gunicorn in this process, configured from the command's options (not from gunicorn's own CLI)."""

        def __init__(self, app, overrides: dict[str, Any], options: dict[str, Any]) -> None:
            self.application = app
            self.overrides = overrides
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self):
            if self.application is None:  # --no-preload: each worker builds its own app
                self.application = _build_app(self.overrides)
                from reviewer import freeze_start_up

                freeze_start_up()
            return self.application

    return Server


# --- reviewer config check --------------------------------------------------------


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def config_check_command(output_format: str) -> None:
    """Print the effective configuration (secrets masked) and every problem; exit 1 if there is any.

    Runs every start-up check whatever REVIEWER_ENV says (the database, its
    schema, every policy, the toxicity model, Redis); the secret key and
    cookie rules apply when REVIEWER_ENV=production.
    """
    from reviewer import configured_app
    from reviewer.config_checks import effective_settings
    from reviewer.service_checks import collect_problems

    app = configured_app()
    try:
        problems, warnings = collect_problems(app)
        settings = effective_settings(app.config)
    finally:
        from reviewer.db import get_database

        try:
            get_database(app).engine.dispose()
        except RuntimeError:  # the database was never set up (a bad URL)
            pass
    if output_format == "json":
        click.echo(json.dumps({"settings": settings, "problems": problems, "warnings": warnings}, indent=2, default=str))
    else:
        click.echo(f"Effective configuration (instance folder {app.instance_path}):")
        width = max(len(name) for name in settings)
        for name, value in settings.items():
            click.echo(f"  {name.ljust(width)}  {value!r}")
        for warning in warnings:
            click.echo(f"Warning: {warning}")
        if problems:
            click.echo(f"{len(problems)} problem(s):")
            for problem in problems:
                click.echo(f"  - {problem}")
        else:
            click.echo("No problems found.")
    if problems:
        raise SystemExit(1)


commands = [serve_command, config_group]
