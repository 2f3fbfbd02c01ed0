"""`reviewer serve`: options, refusing a bad configuration, and a real gunicorn on a random port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer import observability
from reviewer.cli import main
from reviewer.cli.serve import MAX_DEFAULT_WORKERS, default_workers
from reviewer.config_checks import setting_names

CHEAP = json.dumps({"time_cost": 1, "memory_cost": 8, "parallelism": 1})
START_TIMEOUT = 90  # seconds: imports and the model load in the master, on a loaded CI machine


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No outer REVIEWER_* setting leaks in, and serve's json default does not outlive the test."""
    for name in setting_names():
        monkeypatch.delenv(f"REVIEWER_{name}", raising=False)
    for name in list(os.environ):
        if name.startswith("REVIEWER_SERVE_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(observability, "_default_format", "text")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_default_workers_follow_the_cpus_with_a_cap(monkeypatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    assert default_workers() == 5
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(32)))
    assert default_workers() == MAX_DEFAULT_WORKERS


@pytest.mark.parametrize("bind", ["nonsense", "127.0.0.1:http", "127.0.0.1:70000", ":8000", "unix:"])
def test_a_bad_bind_is_refused(bind) -> None:
    result = CliRunner().invoke(main, ["serve", "--bind", bind])
    assert result.exit_code == 2
    assert "is not HOST:PORT (e.g. 127.0.0.1:8000) or unix:PATH" in result.output


def test_options_come_from_environment_variables(monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_SERVE_WORKERS", "many")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "--workers" in result.output and "'many'" in result.output
    assert "REVIEWER_SERVE_WORKERS" in CliRunner().invoke(main, ["serve", "--help"]).output


def test_a_bad_configuration_stops_it_before_any_worker(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("REVIEWER_ENV", "production")
    monkeypatch.setenv("REVIEWER_TOXICITY", "none")
    result = CliRunner().invoke(main, ["serve", "--bind", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert "REVIEWER_SECRET_KEY is not set" in result.output and "REVIEWER_SESSION_COOKIE_SECURE" in result.output
    assert "Traceback" not in result.output


# --- For real: gunicorn on a random loopback port --------------------------------------


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # loopback only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _serve(env: dict[str, str], *options: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reviewer", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", *options],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"reviewer serve exited with {process.returncode}: {process.communicate()[1][-3000:]}")
        try:
            if _get(f"{base}/healthz")[0] == 200:
                return process, base
        except OSError:
            pass
        time.sleep(0.3)
    process.kill()
    pytest.fail(f"reviewer serve did not answer /healthz within {START_TIMEOUT} s: {process.communicate()[1][-3000:]}")


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("reviewer serve did not stop within 40 s of SIGTERM")
    assert process.returncode == 0, err[-3000:]
    return err


def _production_env(tmp_path: Path, policy_dir: Path, database_url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REVIEWER_")}
    env.update({
        "REVIEWER_ENV": "production",
        "REVIEWER_INSTANCE_PATH": str(tmp_path / "instance"),
        "REVIEWER_DATABASE_URL": database_url,
        "REVIEWER_SECRET_KEY": "s" * 48,
        "REVIEWER_SESSION_COOKIE_SECURE": "true",
        "REVIEWER_POLICY_DIR": str(policy_dir),
        "REVIEWER_PASSWORD_HASH_PARAMS": CHEAP,
    })
    return env


def _migrate(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        if name.startswith("REVIEWER_"):
            monkeypatch.setenv(name, value)
    for command in (["audit", "init-key"], ["db", "upgrade"]):  # production makes its audit key only when asked
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, result.output


def _check_a_run(base: str, process: subprocess.Popen) -> None:
    status, headers, body = _get(f"{base}/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, headers, body = _get(f"{base}/login?from=test")
    assert status == 200 and b"<form" in body
    request_id = headers["X-Request-ID"]
    assert _get(f"{base}/no-such-page")[0] == 404
    err = _stop(process)
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is one JSON object
    access = [line for line in lines if line["logger"] == "reviewer.access"]
    assert [(line["path"], line["status"]) for line in access] == [("/login", 200), ("/no-such-page", 404)]
    assert access[0]["request_id"] == request_id and access[0]["route"] == "/login"
    assert access[0]["method"] == "GET" and access[0]["remote_addr"] == "127.0.0.1" and access[0]["duration_ms"] > 0
    messages = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    assert any(message.startswith("Listening at: http://127.0.0.1:") for message in messages)
    assert "Handling signal: term" in messages and "Shutting down: Master" in messages
    assert "from=test" not in err, "query strings stay out of the log"


@pytest.mark.slow
def test_serve_for_real_on_sqlite(tmp_path, policy_dir, monkeypatch) -> None:
    env = _production_env(tmp_path, policy_dir, f"sqlite:///{tmp_path / 'reviewer.sqlite3'}")
    _migrate(env, monkeypatch)
    process, base = _serve(env)  # preloaded (the embedded scorer is fork-safe)
    _check_a_run(base, process)


@pytest.mark.slow
@pytest.mark.postgres
def test_serve_for_real_on_postgresql_without_preload(tmp_path, policy_dir, monkeypatch, postgres_url) -> None:
    env = _production_env(tmp_path, policy_dir, postgres_url)
    env["REVIEWER_TOXICITY"] = "none"
    _migrate(env, monkeypatch)
    process, base = _serve(env, "--no-preload", "--threads", "2", "--trusted-proxies", "1")
    _check_a_run(base, process)


WSGI_PROBE = """
import gc
from reviewer.wsgi import app
frozen = gc.get_freeze_count()
before = len(gc.get_objects())
print(type(app).__name__, frozen, before)
"""


def test_the_wsgi_entry_point_builds_the_app_and_freezes_start_up(tmp_path, policy_dir, monkeypatch) -> None:
    """`gunicorn reviewer.wsgi:app`: the configured app, with start-up's objects out of the collector's scans."""
    env = _production_env(tmp_path, policy_dir, f"sqlite:///{tmp_path / 'reviewer.sqlite3'}")
    _migrate(env, monkeypatch)
    result = subprocess.run([sys.executable, "-c", WSGI_PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    kind, frozen, tracked = result.stdout.split()
    assert kind == "Flask"
    assert int(frozen) > 50_000  # the embedded model, policies and mappers
    assert int(tracked) < int(frozen) / 10  # what a full collection still scans


def test_warming_a_worker_runs_the_encoder_past_its_cache_and_compiles_the_api_statements(app) -> None:
    """What post_worker_init does in each worker (the first live check then costs what the tenth does)."""
    import logging
    from types import SimpleNamespace

    from reviewer.api.warm_up import warm_statements
    from reviewer.checking import ENCODER_WARM_UP_RUNS, EXTENSION_KEY
    from reviewer.cli.serve import _warm_worker
    from reviewer.db import get_database

    encoder = app.extensions[EXTENSION_KEY].encoder
    ran: list[int] = []
    model = encoder._encode
    encoder._encode = lambda texts: ran.append(len(texts)) or model(texts)  # counts the model's own runs
    try:
        _warm_worker(SimpleNamespace(app=SimpleNamespace(application=app), log=logging.getLogger("test")))
    finally:
        del encoder._encode
    assert len(ran) >= ENCODER_WARM_UP_RUNS  # the warm-up sentences were all in the cache already
    compiled = len(get_database(app).engine._compiled_cache)
    warm_statements(app)
    assert len(get_database(app).engine._compiled_cache) == compiled  # the worker's warm-up compiled them
