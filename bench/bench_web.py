"""Web speed: the JSON API under gunicorn (2 sync workers) on SQLite, loaded by wrk on loopback.

Each run builds a fresh instance in a temp folder (SQLite file, migrated, a
staff user, an approver, an account on the shipped city-council policy, an
API token), starts gunicorn on a free loopback port, and drives two
scenarios with wrk (16 connections, 2 threads, --duration seconds each,
bounded by a timeout):

  check   POST /api/v1/check   text + account → verdict (nothing stored); the texts
                               repeat, as live checks of a draft being typed do
  check_new                    the same, every text different (each sentence is new to
                               the sentence encoder's cache): drafts never seen before
  submit  POST /api/v1/drafts  check + store + audit; varied texts, about 1 in
                               5 routed to legal (pending), the rest approved

It prints requests/s, p50/p99 latency, non-2xx responses, the CPU spent per
request and the share of CPU time the hypervisor took (steal), then stops
gunicorn and checks the database: every draft id the client got back is
stored, each stored draft has its four audit events (created, checked,
submitted, approved|routed), and the audit chain verifies. With --runs N it
prints the median of the N runs and the targets (check >= 300 req/s with p99
< 50 ms; submit >= 150 req/s with p99 < 100 ms, no errors).

    .venv/bin/python bench/bench_web.py [--runs 3] [--duration 15] [--toxicity embedded|none]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent

# req/s at least, p99 ms under; check_new: issue 13's floor for drafts never seen (30 req/s; with 16
# clients queueing for two workers its latency is mostly the queue, so no p99 target)
TARGETS = {"check": (300.0, 50.0), "check_new": (30.0, float("inf")), "submit": (150.0, 100.0)}

sys.path.insert(0, str(ROOT / "bench"))
from loadgen.site import STREETS, free_port, passing_texts  # the soak's texts and helpers
from loadgen.wrk import CONNECTIONS, THREADS, Load, measured, run_wrk
# Routed to legal by the shipped policy's legal.liability rule.
ROUTED = "We will compensate you for the damage caused on {s}; our insurer will be in touch."


def texts() -> list[str]:
    """Varied replies: mostly ones that pass, every fifth one that needs legal's approval."""
    passing = passing_texts()
    out = []
    for i, text in enumerate(passing):
        out.append(ROUTED.format(s=STREETS[i % len(STREETS)]) if i % 5 == 4 else text)
    return out


WORDS = ("garden", "lamp", "bridge", "library", "crossing", "hedge", "footpath", "drain", "bench", "bus stop",
         "playground", "car park", "kerb", "sign", "tree", "bin", "pool", "hall", "gate", "fence")


def distinct_text(i: int) -> str:
    """A reply no earlier request sent: two sentences, each carrying the index, so the encoder cache never has them."""
    a, b, c = WORDS[i % 20], WORDS[(i // 20) % 20], WORDS[(i // 400) % 20]
    street = STREETS[i % len(STREETS)]
    return (f"Thanks for reporting the {a} near the {b} on {street}, reference {i}. "
            f"Our crew will look at the {c} there within {i % 9 + 2} working days (job {i}).")


# --- the instance -------------------------------------------------------------------------


@dataclass
class Instance:
    folder: Path
    env: dict[str, str]
    token: str
    account_id: int
    password: str  # bench.staff's (and bench.legal's)


def build_instance(folder: Path, toxicity: str, policy_dir: Path) -> Instance:
    """A migrated SQLite instance with a staff user (and token), an approver and one account."""
    from reviewer import create_app
    from reviewer.accounts.services import create_user
    from reviewer.api.services import create_token
    from reviewer.db import app_session, get_database, upgrade
    from reviewer.orgs.services import create_account

    env = {
        "REVIEWER_INSTANCE_PATH": str(folder / "instance"),
        "REVIEWER_DATABASE_URL": f"sqlite:///{folder / 'reviewer.sqlite3'}",
        "REVIEWER_SECRET_KEY": secrets.token_hex(32),
        "REVIEWER_TOXICITY": toxicity,
        "REVIEWER_POLICY_DIR": str(policy_dir),
        # One token sends everything here: lift the per-token API limit (1200/minute by default) so the
        # bench measures the app, not the limiter's 429s; the limiter still runs and counts every request.
        "REVIEWER_RATELIMIT_API": "1000000 per minute",
    }
    config = {
        "INSTANCE_PATH": env["REVIEWER_INSTANCE_PATH"], "DATABASE_URL": env["REVIEWER_DATABASE_URL"],
        "SECRET_KEY": env["REVIEWER_SECRET_KEY"], "TOXICITY": "none", "POLICY_DIR": str(policy_dir),
        "SCHEMA_CHECK": False, "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
    }
    app = create_app(config)
    upgrade(app)
    password = secrets.token_urlsafe(16)
    with app_session(app) as session:
        staff = create_user(session, None, "bench.staff", password, ["staff"])
        create_user(session, None, "bench.legal", password, ["approver"], ["legal", "comms"])
        account = create_account(session, None, name="Harbour City Council on X", platform="x",
                                 handle="@HarbourCityNZ", policy_file="city-council.yaml", policy_dir=policy_dir)
        token = create_token(session, None, staff, "bench").secret
        account_id = account.id
        session.commit()
    get_database(app).engine.dispose()
    return Instance(folder, env, token, account_id, password)


def start_gunicorn(instance: Instance, port: int) -> subprocess.Popen:
    command = [str(VENV_BIN / "gunicorn"), "--workers", os.environ.get("BENCH_WEB_WORKERS", "2"), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning", "--error-logfile", str(instance.folder / "gunicorn.log"), "reviewer.wsgi:app"]
    env = {**os.environ, **instance.env}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    return wait_until_answering(process, f"http://127.0.0.1:{port}/api/v1/openapi.json", 90, "gunicorn",
                                lambda: f"see {instance.folder / 'gunicorn.log'}")


def wait_until_answering(process: subprocess.Popen, url: str, seconds: float, what: str,
                         log_hint: Callable[[], str]) -> subprocess.Popen:
    """`process` once `url` answers 200; stopped, then SystemExit, when it exits first or takes `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}; {log_hint()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit(f"{what} did not answer within {seconds:g} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM: gunicorn finishes the requests in flight, then exits."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the machine right now: the same gunicorn and wrk on trivial routes -----------------------

BASELINE_APP = """
import os, sqlite3
from flask import Flask

app = Flask(__name__)
_connection = None


@app.get("/")
def hello():
    return "ok"


@app.post("/write")
def write():
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(os.environ["BASELINE_DB"], timeout=10, isolation_level=None)
        _connection.execute("PRAGMA journal_mode=WAL")
        _connection.execute("PRAGMA synchronous=NORMAL")
        _connection.execute("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, at REAL)")
    _connection.execute("BEGIN IMMEDIATE")
    _connection.execute("INSERT INTO hits (at) VALUES (julianday('now'))")
    _connection.execute("COMMIT")
    return "ok", 201
"""


def baseline(folder: Path) -> tuple[float, float]:
    """(req/s of a hello-world Flask route, req/s of a route writing one SQLite row), 3 s each."""
    (folder / "baseline_app.py").write_text(BASELINE_APP, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "BASELINE_DB": str(folder / "baseline.sqlite3")}
    command = [str(VENV_BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "--chdir", str(folder), "baseline_app:app"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        post = folder / "post.lua"
        post.write_text('wrk.method = "POST"\n', encoding="utf-8")
        hello = measured(f"http://127.0.0.1:{port}/", None, 3, process)
        write = measured(f"http://127.0.0.1:{port}/write", post, 3, process)
    finally:
        stop(process)
    print(f"  baseline CPU per request: hello-world gunicorn {hello.server_cpu_ms:.2f} ms, wrk {hello.client_cpu_ms:.2f} ms; "
          f"one-row write gunicorn {write.server_cpu_ms:.2f} ms")
    return hello.rps, write.rps


# --- wrk -------------------------------------------------------------------------------------


LUA = """
local bodies = {%(bodies)s}
local counter = 0
local ids = nil
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"

local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

function init(args)
  counter = thread_id * 7919
  if "%(ids_dir)s" ~= "" then
    ids = io.open("%(ids_dir)s/ids-" .. thread_id .. ".txt", "w")
    ids:setvbuf("line")
  end
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter %% #bodies) + 1])
end

function response(status, headers, body)
  if ids ~= nil and status == 201 then
    local id = body:match('"id":(%%d+),"inbound_id"')
    if id then ids:write(id, "\\n") end
  end
end
"""


def lua_script(folder: Path, name: str, bodies: list[str], token: str, ids_dir: Path | None) -> Path:
    quoted = ",\n".join(f"[==[{body}]==]" for body in bodies)
    path = folder / f"{name}.lua"
    path.write_text(LUA % {"bodies": quoted, "token": token, "ids_dir": str(ids_dir or "")}, encoding="utf-8")
    return path


# --- checking what was stored ------------------------------------------------------------------


@dataclass
class Stored:
    returned_ids: int
    missing: int  # ids the client got that are not in the database
    drafts: int
    incomplete: int  # drafts without their four audit events
    events: int
    chain_ok: bool
    chain_count: int
    pending: int


def check_database(instance: Instance, ids_dir: Path) -> Stored:
    from sqlalchemy import func, select

    from reviewer import create_app
    from reviewer.audit import AuditEvent, verify
    from reviewer.db import app_session, get_database
    from reviewer.drafting.models import Draft

    returned = {int(line) for path in ids_dir.glob("ids-*.txt") for line in path.read_text().split()}
    app = create_app({"INSTANCE_PATH": instance.env["REVIEWER_INSTANCE_PATH"],
                      "DATABASE_URL": instance.env["REVIEWER_DATABASE_URL"], "TOXICITY": "none",
                      "SECRET_KEY": instance.env["REVIEWER_SECRET_KEY"], "SCHEMA_CHECK": False})
    with app_session(app) as session:
        stored = set(session.scalars(select(Draft.id)))
        pending = session.scalar(select(func.count()).select_from(Draft).where(Draft.state == "pending"))
        per_draft = dict(session.execute(
            select(AuditEvent.subject, func.count()).where(AuditEvent.action.in_(
                ["draft.created", "draft.checked", "draft.submitted", "draft.auto_approved", "draft.routed"]
            )).group_by(AuditEvent.subject)
        ).all())
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        result = verify(session, session.info["audit_key"])
    get_database(app).engine.dispose()
    incomplete = sum(1 for draft_id in stored if per_draft.get(f"draft:{draft_id}") != 4)
    return Stored(len(returned), len(returned - stored), len(stored), incomplete, events, result.ok, result.count, pending)


# --- one run -----------------------------------------------------------------------------------


def one_run(number: int, duration: int, toxicity: str, policy_dir: Path) -> dict[str, Load]:
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        folder = Path(tmp)
        hello_rps, write_rps = baseline(folder)
        instance = build_instance(folder, toxicity, policy_dir)
        port = free_port()
        base = f"http://127.0.0.1:{port}/api/v1"
        bodies_check = [json.dumps({"text": t, "account_id": instance.account_id}) for t in texts()]
        ids_dir = folder / "ids"
        ids_dir.mkdir()
        check_lua = lua_script(folder, "check", bodies_check, instance.token, None)
        bodies_new = [json.dumps({"text": distinct_text(i), "account_id": instance.account_id}) for i in range(40_000)]
        new_lua = lua_script(folder, "check_new", bodies_new, instance.token, None)
        submit_lua = lua_script(folder, "submit", bodies_check, instance.token, ids_dir)
        process = start_gunicorn(instance, port)
        try:
            run_wrk(f"{base}/check", check_lua, 2)  # warm-up: both workers, policy compiled, caches filled
            results = {"check": measured(f"{base}/check", check_lua, duration, process),
                       "check_new": measured(f"{base}/check", new_lua, duration, process),
                       "submit": measured(f"{base}/drafts", submit_lua, duration, process)}
        finally:
            stop(process)
        stored = check_database(instance, ids_dir)
        log = (folder / "gunicorn.log").read_text(encoding="utf-8", errors="replace")
    print(f"run {number}: the machine now: hello-world Flask {hello_rps:.0f} req/s, one SQLite row per request "
          f"{write_rps:.0f} req/s (same gunicorn and wrk; an idle machine of this kind: about 4,000 and 800)")
    for name, load in results.items():
        print(f"  {name:6} {load.rps:8.1f} req/s  p50 {load.p50_ms:6.1f} ms  p99 {load.p99_ms:6.1f} ms  "
              f"requests {load.requests}  non-2xx {load.non_2xx}  socket errors {load.socket_errors}")
        print(f"         CPU per request: gunicorn {load.server_cpu_ms:.1f} ms, wrk {load.client_cpu_ms:.2f} ms "
              f"(two idle cores at this cost: at most {load.cpu_bound_rps:.0f} req/s); "
              f"CPU time taken by the host (steal): {load.steal_percent:.1f} %")
    extra = stored.drafts - stored.returned_ids
    print(f"  stored: {stored.drafts} drafts ({stored.pending} pending for legal), {stored.returned_ids} ids returned "
          f"with 201, {stored.missing} of them missing, {extra} more stored (requests in flight when wrk stopped), "
          f"{stored.incomplete} drafts without their 4 audit events; {stored.events} audit events; "
          f"chain {'verifies' if stored.chain_ok else 'DOES NOT VERIFY'} ({stored.chain_count} events)")
    if "database is locked" in log or "Traceback" in log:
        print(f"  gunicorn log has errors:\n{log[-2000:]}")
    results["baseline"] = (hello_rps, write_rps)  # type: ignore[assignment]
    results["integrity_ok"] = (  # type: ignore[assignment]
        stored.missing == 0 and stored.incomplete == 0 and stored.chain_ok and 0 <= extra <= CONNECTIONS
        and results["submit"].non_2xx == 0 and results["check"].non_2xx == 0
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario (default 15)")
    parser.add_argument("--toxicity", default="embedded", help="the scorer the server uses: embedded or none")
    parser.add_argument("--policy-dir", type=Path, default=ROOT / "policies")
    parser.add_argument("--smoke", action="store_true", help="one run of 2 s per scenario: proves the bench runs")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.duration = 1, 2
    if not Path("/usr/bin/wrk").exists() and subprocess.run(["which", "wrk"], capture_output=True).returncode:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    print(f"gunicorn 2 sync workers, SQLite (WAL), wrk {THREADS} threads {CONNECTIONS} connections, "
          f"{args.duration} s per scenario, toxicity={args.toxicity}, policy city-council.yaml, {os.cpu_count()} CPUs")
    runs = [one_run(i + 1, args.duration, args.toxicity, args.policy_dir) for i in range(args.runs)]
    print(f"median of {len(runs)} runs:")
    all_ok = all(run["integrity_ok"] for run in runs)
    for name, (min_rps, max_p99) in TARGETS.items():
        rps = statistics.median(run[name].rps for run in runs)
        p50 = statistics.median(run[name].p50_ms for run in runs)
        p99 = statistics.median(run[name].p99_ms for run in runs)
        errors = sum(run[name].non_2xx + run[name].socket_errors for run in runs)
        met = rps >= min_rps and p99 < max_p99 and errors == 0
        cpu = statistics.median(run[name].server_cpu_ms for run in runs)
        bound = statistics.median(run[name].cpu_bound_rps for run in runs)
        print(f"  {name:9} {rps:8.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {errors}  "
              f"target >= {min_rps:.0f} req/s, p99 < {max_p99:.0f} ms: {'met' if met else 'MISSED'}")
        print(f"         gunicorn CPU {cpu:.1f} ms per request: two idle cores could serve at most {bound:.0f} req/s")
    hello = statistics.median(run["baseline"][0] for run in runs)
    write = statistics.median(run["baseline"][1] for run in runs)
    print(f"  machine baseline: hello-world {hello:.0f} req/s, one-row write {write:.0f} req/s")
    print(f"  integrity (every draft and event stored, chain verifies, no errors) in every run: {'yes' if all_ok else 'NO'}")


if __name__ == "__main__":
    main()
