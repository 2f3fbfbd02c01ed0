"""Soak: 50 simulated people for 5 minutes against `reviewer serve` (gunicorn, 2 workers), on SQLite, then on PostgreSQL.

35 staff (half on the web form with sign-in and CSRF, half on the JSON API;
a quarter of their drafts need an approver: comms, legal, safeguarding or
press), 12 approvers (web and API, deciding approve / return / reject; they
never author, so separation of duties never refuses them), 3 auditors
(browsing the trail and drafts' stories, CSV exports of the last minutes, a
small PDF report now and then). Each run builds a fresh site, starts
`reviewer serve` (gunicorn) on a free loopback port (rate limits off: see loadgen.servers),
runs the load, stops the server, then reconciles every action a client saw
succeed against the database and verifies the audit chain.

Prints users, duration, requests, requests/s, p50/p99 overall and per
action, errors (listed), and the reconciliation. Exits 1 when there was
any error or the reconciliation failed.

--notify turns notifications on: a real SMTP server (STARTTLS) and an HTTP
receiver for every approver group's signed-JSON and Teams webhooks, and a
`reviewer jobs worker` that delivers; after the load it waits for the
outbox to drain and checks that the receivers got every notification
exactly once after dropping duplicates by idempotency key (exit 1 if not).
Run it with and without --notify to compare the request latencies.

    .venv/bin/python bench/bench_soak.py                       # 5 minutes on SQLite, then 5 on PostgreSQL
    .venv/bin/python bench/bench_soak.py --duration 30 --only sqlite
    .venv/bin/python bench/bench_soak.py --duration 60 --only sqlite --notify
    .venv/bin/python bench/bench_soak.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

PostgreSQL: a throwaway PostgreSQL 15 cluster is started on a free port
(as the postgres user) and removed afterwards, unless --postgres-url names a
server, on which a fresh database is created and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from loadgen import (
    Ledger,
    PostgresCluster,
    Settings,
    create_database,
    create_site,
    drop_database,
    percentile,
    reconcile,
    run_load,
    start_server,
)
from loadgen.notifications import Notifications


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def progress(duration: float, every: float = 30.0):
    """A `during` callback printing the requests and errors so far every `every` seconds."""

    def report(ledger: Ledger) -> None:
        while (elapsed := time.monotonic() - ledger.started) < duration - 1:
            time.sleep(min(every, max(0.1, duration - elapsed - 1)))
            print(f"    {time.monotonic() - ledger.started:5.0f} s: {ledger.requests} requests, "
                  f"{len(ledger.errors)} errors, {len(ledger.drafts)} drafts, load average {load_average()}",
                  flush=True)

    return report


def one_backend(name: str, args: argparse.Namespace) -> bool:
    """Build a site on `name` (sqlite | postgres), load it, reconcile; True when clean."""
    cluster = None
    database_url = None
    print(f"\n== {name}: {args.staff} staff, {args.approvers} approvers, {args.auditors} auditors "
          f"({args.staff + args.approvers + args.auditors} users), {args.duration:.0f} s, reviewer serve {args.workers} "
          f"sync workers, toxicity={args.toxicity}, think {args.think[0]}-{args.think[1]} s", flush=True)
    notifications = None
    with tempfile.TemporaryDirectory(prefix=f"soak-{name}-") as tmp:
        try:
            if name == "postgres":
                server_url = args.postgres_url
                if server_url is None:
                    cluster = PostgresCluster().init().start()
                    server_url = cluster.url()
                    print(f"  throwaway PostgreSQL 15 on 127.0.0.1:{cluster.port}")
                database_url = create_database(server_url, "reviewer_soak")
            site = create_site(Path(tmp), database_url, staff=args.staff, approvers=args.approvers,
                               auditors=args.auditors, toxicity=args.toxicity)
            notifications = Notifications(site) if args.notify else None
            server = start_server(site, name, workers=args.workers,
                                  extra_env=notifications.env if notifications else None)
            if notifications is not None:
                notifications.start_worker(name)
            try:
                server.warm_up()
                warm_lines = len(server.access_lines())
                cpu_before, self_before = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_SELF)
                print(f"  load average before: {load_average()}", flush=True)
                ledger = run_load(site, [server.url], args.duration, seed=args.seed,
                                  settings=Settings(think=tuple(args.think)), during=progress(args.duration))
                server_cpu = server.cpu_seconds() - cpu_before
                self_after = resource.getrusage(resource.RUSAGE_SELF)
                print(f"  load average after: {load_average()}")
            finally:
                server.stop()
            delivery = notifications.drain_and_check() if notifications is not None else None
            problems = server.log_problems()
            served = server.access_lines()[warm_lines:]  # the load's requests, not the warm-up's
            result = reconcile(site, ledger)
        finally:
            if notifications is not None:
                notifications.stop()  # also when the load failed: no worker left behind
            if database_url is not None:
                drop_database(database_url)
            if cluster is not None:
                cluster.remove()
    client_cpu = (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime)
    requests = max(1, ledger.requests)
    print(f"  users {args.staff + args.approvers + args.auditors}, duration {ledger.duration():.1f} s")
    for line in ledger.summary_lines():
        print("  " + line)
    if served:
        times = [float(e["duration_ms"]) / 1000 for e in served]
        failures = sum(1 for e in served if int(e.get("status", 0)) >= 500)
        print(f"  server side (the app's access lines, queueing excluded): {len(served)} requests, "
              f"p50 {percentile(times, 50):.1f} ms, p99 {percentile(times, 99):.1f} ms, {failures} answered 5xx")
    print(f"  CPU per request: server {server_cpu * 1000 / requests:.1f} ms, load driver {client_cpu * 1000 / requests:.1f} ms")
    for line in result.lines():
        print("  " + line)
    for line in delivery.lines() if delivery is not None else []:
        print("  " + line)
    if problems:
        print(f"  the server log has errors:\n{problems}")
    clean = not ledger.errors and result.ok and not problems and (delivery is None or delivery.ok)
    print(f"  {name}: {'OK' if clean else 'FAILED'}: {len(ledger.errors)} errors, "
          f"{result.reconciled}/{result.expected} reconciled, chain {'verifies' if result.chain_ok else 'FAILS'}")
    return clean


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load per database (default 300)")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only (default: both)")
    parser.add_argument("--postgres-url", help="an existing PostgreSQL server (a fresh database is made on it)")
    parser.add_argument("--staff", type=int, default=35)
    parser.add_argument("--approvers", type=int, default=12)
    parser.add_argument("--auditors", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 1.0), metavar=("MIN", "MAX"),
                        help="seconds each person pauses between actions (uniform; default 0.2 1.0)")
    parser.add_argument("--toxicity", default="embedded", help="the servers' scorer: embedded or none")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="10 s on SQLite with 4 staff: proves the bench runs")
    parser.add_argument("--notify", action="store_true",
                        help="notifications on: real SMTP and webhook receivers, a job worker, exactly-once check")
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.only, args.staff, args.auditors = 10, "sqlite", 4, 1
    if args.approvers < 8:
        parser.error("--approvers: at least 8 (two per approver group, one on the web and one on the API)")
    backends = [args.only] if args.only else ["sqlite", "postgres"]
    # Everything is bounded: building, the load, stopping, reconciling; past this the run is abandoned.
    bound = int(len(backends) * (args.duration + 600))

    def too_long(*_: object) -> None:
        raise TimeoutError(f"the soak took more than {bound} s; abandoned")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(bound)
    print(f"soak: {os.cpu_count()} CPUs, load average {load_average()}")
    results = {name: one_backend(name, args) for name in backends}
    signal.alarm(0)
    print("\n" + ", ".join(f"{name}: {'OK' if ok else 'FAILED'}" for name, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
