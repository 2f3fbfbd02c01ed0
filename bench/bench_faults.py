"""Faults under load: a gunicorn worker SIGKILLed, PostgreSQL stopped and started, the SQLite disk filled.

Each scenario builds a fresh site (bench/loadgen), starts gunicorn (2 sync
workers) on a free loopback port, runs the simulated crowd (staff, approvers,
auditors over the web and the API), injects one fault in the middle of the
load, and keeps the load going after it:

  kill      SIGKILL one gunicorn worker (gunicorn starts a new one); SQLite
  postgres  `pg_ctl stop -m fast` on the throwaway cluster, ~5 s down, start again
  disk      the SQLite file sits on its own tmpfs; fill it to the last byte, hold ~5 s, free it

A probe (one API staff member) submits a draft every 0.25 s through the whole
run, so the exact moment writes work again is known: recovery = first draft
acknowledged after the fault ended, minus the fault's end. Then every
acknowledged action (drafts, decisions, inbound posts, audited extras) is
looked up in the database and the audit chain is verified.

Prints a table: requests, errors by kind (clear 503s during the fault are the
expected answer; a 500 or a connection reset is a finding), recovery time,
actions reconciled, lost, and the chain. Exits 1 on a lost acknowledged
action, a 500, a broken chain, or a connection reset other than the killed
worker's request in flight.

    .venv/bin/python bench/bench_faults.py                     # all three, about 4 minutes
    .venv/bin/python bench/bench_faults.py --only kill --before 5 --after 10

Needs root for the tmpfs (mount) and for running PostgreSQL as the postgres user.
The probe and the faults live in bench/fault_injection.py.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from fault_injection import Fault, Probe, full_disk, kill_worker, stop_postgres
from loadgen import (
    Ledger,
    PostgresCluster,
    Server,
    Settings,
    Site,
    create_database,
    create_site,
    reconcile,
    run_load,
    start_server,
)
from loadgen.faults import tmpfs
from loadgen.ledger import DECIDED_STATE

SCENARIOS = ("kill", "postgres", "disk")
CLEAR_503 = re.compile(r"database_(unavailable|full|read_only|busy)|Database (unavailable|full|read-only|busy)")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- One scenario ------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    fault: Fault
    requests: int = 0
    errors: Counter = field(default_factory=Counter)  # kind -> count
    outside: Counter = field(default_factory=Counter)  # clear 503s before the fault or after recovery
    recovery: float | None = None  # fault end -> the answer to the first write sent after it that succeeded
    recovery_latency: float | None = None  # how much of that was the request itself (a loaded machine is slow)
    served_during: int = 0  # a fault that does not stop the service: probe writes acknowledged in its first 5 s
    expected: int = 0
    reconciled: int = 0
    lost: list[str] = field(default_factory=list)
    unacknowledged: list[str] = field(default_factory=list)
    chain_ok: bool = False
    chain_events: int = 0
    findings: list[str] = field(default_factory=list)  # every error that is not a clear 503
    log_problems: list[str] = field(default_factory=list)  # tracebacks, ERROR lines, worker timeouts
    logged_503: int = 0  # the app's "answered 503" log lines (one per 503 answer)

    @property
    def answered_500(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind.startswith("5") and not kind.startswith("503"))

    @property
    def resets(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind.startswith("no answer"))

    @property
    def clear_503(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind.startswith("503 database"))

    @property
    def unexplained_resets(self) -> int:
        return max(0, self.resets - self.fault.allowed_resets)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.answered_500 and self.chain_ok and not self.unexplained_resets


def error_kind(status: int | None, message: str) -> str:
    if status is None:
        return f"no answer ({message.split(': ')[1] if ': ' in message else message})"[:60]
    if status == 503:
        found = CLEAR_503.search(message)
        return f"503 database {(found.group(1) or found.group(2)).lower().replace('-', '_')}" if found else "503 other"
    return str(status)


def run_scenario(name: str, site: Site, server: Server, inject: Callable[[Server, Fault, Ledger], None],
                 args: argparse.Namespace) -> Outcome:
    fault = Fault()
    probe_stop = threading.Event()
    probe: list[Probe] = []

    def during(ledger: Ledger) -> None:
        probe.append(Probe(site, server.url, ledger, probe_stop))
        probe[0].start()
        time.sleep(args.before)
        inject(server, fault, ledger)
        print(f"  {fault.started:5.1f} s to {fault.ended:5.1f} s: {fault.description}", flush=True)
        deadline = time.monotonic() + args.after + 60
        while probe[0].first_success_after(fault.ended) is None and time.monotonic() < deadline:
            time.sleep(0.05)

    print(f"  load average before: {load_average()}", flush=True)
    ledger = run_load(site, [server.url], args.before + args.hold + args.after, seed=args.seed,
                      settings=Settings(think=tuple(args.think)), during=during)
    probe_stop.set()
    probe[0].join(40)
    print(f"  load average after: {load_average()}", flush=True)

    outcome = Outcome(name, fault, requests=ledger.requests)
    first = probe[0].first_success_after(fault.ended) if fault.ended is not None else None
    recovered_at = None if first is None else first.at
    if not fault.stops_service and fault.ended is not None:
        outcome.recovery = fault.ended - fault.started  # back to full strength: the replacement is there
        window = (fault.started, fault.started + 5)
        outcome.served_during = sum(1 for a in probe[0].answers if a.status == 201 and window[0] <= a.at <= window[1])
    elif first is not None:
        outcome.recovery = first.at - fault.ended
        outcome.recovery_latency = first.at - first.sent
    for error in ledger.errors:
        kind = error_kind(error.status, error.message)
        outcome.errors[kind] += 1
        during_fault = fault.started is not None and fault.started <= error.at <= (recovered_at or float("inf")) + 1
        if kind.startswith("503") and not during_fault:
            outcome.outside[kind] += 1
    for line in ledger.summary_lines():
        if not line.lstrip().startswith(("ERROR at", "... and")):  # errors are summarised by kind below
            print("  " + line)
    for error in ledger.errors:
        if not error_kind(error.status, error.message).startswith("503 database"):
            outcome.findings.append(f"at {error.at:5.1f} s {error.kind} {error.what}: {error.status} {error.message[:160]}")
    check_acknowledged(site, ledger, outcome)
    return outcome


def check_acknowledged(site: Site, ledger: Ledger, outcome: Outcome) -> None:
    """Every acknowledged action is stored (lost otherwise); stored actions nobody saw succeed are listed apart.

    loadgen's `reconcile` wants the database and the ledger to match exactly; under faults a request can
    commit and still lose its answer (a worker killed between the commit and the reply), which is not a
    lost action. So the check here is one-sided, and the exact comparison is printed beside it.
    """
    from sqlalchemy import select

    from reviewer.accounts.models import User
    from reviewer.db import app_session, get_database
    from reviewer.drafting.models import Draft, InboundPost
    from reviewer.review.models import Approval

    result = reconcile(site, ledger)
    outcome.chain_ok, outcome.chain_events = result.chain_ok, result.chain_events
    app = site.app()
    try:
        with app_session(app) as session:
            names = dict(session.execute(select(User.id, User.username)).all())
            states = dict(session.execute(select(Draft.id, Draft.state)).all())
            approvals = {(a.draft_id, names[a.approver_id]) for a in session.execute(
                select(Approval.draft_id, Approval.approver_id)).all()}
            inbound = set(session.scalars(select(InboundPost.id)))
    finally:
        get_database(app).engine.dispose()
    lost = outcome.lost
    for draft_id, seen in ledger.drafts.items():
        outcome.expected += 1
        if draft_id in states:
            outcome.reconciled += 1
        else:
            lost.append(f"draft {draft_id} ({seen.via}, {seen.author}) acknowledged, not stored")
    for decision in ledger.decisions:
        outcome.expected += 1
        wanted = DECIDED_STATE[decision.action]
        if states.get(decision.draft_id) != wanted:
            lost.append(f"{decision.action} of draft {decision.draft_id} by {decision.approver} acknowledged; "
                        f"the draft is {states.get(decision.draft_id)}")
        elif decision.action == "approve" and (decision.draft_id, decision.approver) not in approvals:
            lost.append(f"approval of draft {decision.draft_id} by {decision.approver} acknowledged, not stored")
        else:
            outcome.reconciled += 1
    for inbound_id in ledger.inbound:
        outcome.expected += 1
        if inbound_id in inbound:
            outcome.reconciled += 1
        else:
            lost.append(f"inbound post {inbound_id} acknowledged, not stored")
    for action, caused in sorted(result.expected_events.items()):
        outcome.expected += 1
        stored = result.events[action]
        if stored >= caused:
            outcome.reconciled += 1
        else:
            lost.append(f"audit '{action}': {stored} events stored, {caused} caused by acknowledged actions")
    extra_drafts = sorted(set(states) - set(ledger.drafts))
    if extra_drafts:
        outcome.unacknowledged.append(f"{len(extra_drafts)} drafts stored that no client saw succeed: {extra_drafts[:10]}")
    for action, stored in sorted(result.events.items()):
        if stored > result.expected_events[action]:
            outcome.unacknowledged.append(f"audit '{action}': {stored - result.expected_events[action]} more events "
                                          "than acknowledged actions caused")


# --- The three scenarios -----------------------------------------------------------------------


def scenario(name: str, args: argparse.Namespace) -> Outcome:
    print(f"\n== {name}: {args.staff + args.approvers + args.auditors} users, load {args.before:.0f} s before the "
          f"fault, {args.after:.0f} s after (hold {args.hold:.0f} s), gunicorn {args.workers} sync workers", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"faults-{name}-") as tmp, _backend(name, Path(tmp), args) as (url, inject):
        site = create_site(Path(tmp) / "site", url, staff=args.staff, approvers=args.approvers,
                           auditors=args.auditors, toxicity=args.toxicity)
        server = start_server(site, name, workers=args.workers)
        try:
            server.warm_up()
            outcome = run_scenario(name, site, server, inject, args)
        finally:
            server.stop()
        log = server.log.read_text(encoding="utf-8", errors="replace").splitlines()
        outcome.log_problems = [line for line in log if "Traceback" in line or "ERROR" in line or "WORKER TIMEOUT" in line]
        outcome.logged_503 = sum(1 for line in log if "answered 503" in line)
    return outcome


@contextmanager
def _backend(name: str, tmp: Path, args: argparse.Namespace) -> Iterator[tuple[str | None, Callable]]:
    """(database URL or None for SQLite in the site folder, the fault to inject)."""
    if name == "kill":
        yield None, kill_worker
    elif name == "postgres":
        cluster = PostgresCluster().init().start()
        try:
            print(f"  throwaway PostgreSQL 15 on 127.0.0.1:{cluster.port}", flush=True)
            yield create_database(cluster.url(), "reviewer_faults"), stop_postgres(cluster, args.hold)
        finally:
            cluster.remove()  # the whole throwaway cluster, database included
    else:
        with tmpfs(args.tmpfs_size) as folder:
            yield f"sqlite:///{folder / 'reviewer.sqlite3'}", full_disk(folder, args.hold)


def print_table(outcomes: list[Outcome]) -> None:
    print("\n" + f"{'scenario':9} {'requests':>8} {'clear 503':>9} {'500':>4} {'resets':>6} {'other err':>9} "
          f"{'recovery s':>10} {'reconciled':>12} {'lost':>4} {'chain':>6}  result")
    for o in outcomes:
        other = sum(o.errors.values()) - o.clear_503 - o.answered_500 - o.resets
        recovery = f"{o.recovery:.2f}" if o.recovery is not None else "never"
        print(f"{o.name:9} {o.requests:8d} {o.clear_503:9d} {o.answered_500:4d} {o.resets:6d} {other:9d} "
              f"{recovery:>10} {o.reconciled:5d}/{o.expected:<6d} {len(o.lost):4d} "
              f"{'ok' if o.chain_ok else 'BROKEN':>6}  {'OK' if o.ok else 'FAILED'}")
    for o in outcomes:
        print(f"\n{o.name}: {o.fault.description}; " + "; ".join(o.fault.notes))
        if o.recovery is not None and not o.fault.stops_service:
            print(f"  recovery: the service never stopped; the replacement worker was forked {o.recovery:.2f} s after "
                  f"the kill, and {o.served_during} probe writes were acknowledged in the 5 s from the kill")
        elif o.recovery is not None:
            print(f"  recovery: the first write sent after the fault ended was acknowledged {o.recovery:.2f} s after "
                  f"the end ({o.recovery_latency:.2f} s of it that request's own latency)")
        print(f"  errors by kind: {dict(o.errors) or 'none'}; the app logged {o.logged_503} 503s (one line each)")
        if o.outside:
            print(f"  503s outside the fault and its recovery: {dict(o.outside)}")
        print(f"  audit chain: {o.chain_events} events, {'verifies' if o.chain_ok else 'DOES NOT VERIFY'}")
        for line in o.lost[:20]:
            print(f"  LOST: {line}")
        for line in o.unacknowledged:
            print(f"  stored without an acknowledgement (the answer was lost, not the action): {line}")
        for line in o.findings[:20]:
            print(f"  not a clear 503: {line}")
        if o.unexplained_resets:
            print(f"  FINDING: {o.unexplained_resets} requests got no answer beyond the {o.fault.allowed_resets} "
                  "the fault itself cuts")
        if o.log_problems:
            print(f"  server log: {len(o.log_problems)} error lines; first ones:")
            for line in o.log_problems[:8]:
                print(f"    {line[:220]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run these scenarios (default: all)")
    parser.add_argument("--before", type=float, default=10, help="seconds of load before the fault (default 10)")
    parser.add_argument("--hold", type=float, default=5, help="seconds PostgreSQL stays down / the disk stays full")
    parser.add_argument("--after", type=float, default=15, help="seconds of load after the fault (default 15)")
    parser.add_argument("--staff", type=int, default=35)
    parser.add_argument("--approvers", type=int, default=12)
    parser.add_argument("--auditors", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 1.0), metavar=("MIN", "MAX"))
    parser.add_argument("--toxicity", default="embedded", help="the servers' scorer: embedded or none")
    parser.add_argument("--tmpfs-size", default="64m", help="the disk scenario's tmpfs (default 64m)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="the kill scenario, a few seconds of load each side: proves the bench runs")
    args = parser.parse_args()
    if args.smoke:
        args.only, args.before, args.hold, args.after, args.staff, args.auditors = ["kill"], 3, 2, 4, 4, 1
    if args.approvers < 8:
        parser.error("--approvers: at least 8 (two per approver group)")
    names = args.only or list(SCENARIOS)
    if os.geteuid() != 0 and {"postgres", "disk"} & set(names):
        parser.error("the postgres and disk scenarios need root (runuser postgres, mount -t tmpfs); use --only kill")
    bound = int(len(names) * (args.before + args.hold + args.after + 300))

    def too_long(*_: object) -> None:
        raise TimeoutError(f"the fault runs took more than {bound} s; abandoned")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(bound)
    print(f"faults: {os.cpu_count()} CPUs, load average {load_average()}")
    started = time.monotonic()
    outcomes = [scenario(name, args) for name in names]
    signal.alarm(0)
    print_table(outcomes)
    print(f"\n{len(outcomes)} scenarios in {time.monotonic() - started:.0f} s; load average {load_average()}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
