"""The fault-injection pieces of bench/bench_faults.py: a probe that writes all through the run, and the faults.

Each fault is `inject(server, fault, ledger)`: it does its harm, waits, undoes
it, and notes in `fault` when it started and ended (seconds since the load
started) so the probe's answers tell when writes worked again.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from loadgen import Client, DraftSeen, Ledger, PostgresCluster, Server, Site, TransportError
from loadgen.faults import fill_disk

PROBE_EVERY = 0.25  # seconds between the probe's drafts


# --- The probe: one writer whose every answer is timed -----------------------------------------


@dataclass
class ProbeAnswer:
    sent: float  # seconds since the load started
    at: float  # when the answer came
    status: int | None  # None: no HTTP answer


class Probe(threading.Thread):
    """Submits a clean draft through the API every PROBE_EVERY seconds; acknowledged ones go in the ledger."""

    def __init__(self, site: Site, url: str, ledger: Ledger, stop: threading.Event) -> None:
        super().__init__(name="probe", daemon=True)
        self.user = site.by_role("staff", "api")[0]
        self.site, self.ledger, self.stop_event = site, ledger, stop
        self.client = Client(url, timeout=30, token=self.user.token)
        self.answers: list[ProbeAnswer] = []
        self.count = 0

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                self.once()
                self.stop_event.wait(PROBE_EVERY)
        finally:
            self.client.close()

    def once(self) -> None:
        text = self.site.clean_texts[self.count % len(self.site.clean_texts)]
        self.count += 1
        body = {"account_id": self.site.account_id, "text": text}
        sent = time.monotonic() - self.ledger.started
        try:
            answer = self.client.request("POST", "/api/v1/drafts", body=body, api=True)
        except TransportError as error:
            self.answers.append(ProbeAnswer(sent, time.monotonic() - self.ledger.started, None))
            self.ledger.error("probe", "POST /api/v1/drafts", None, str(error))
            return
        self.answers.append(ProbeAnswer(sent, time.monotonic() - self.ledger.started, answer.status))
        self.ledger.timed("probe.submit_draft", answer.seconds)
        if answer.status == 201:
            made = answer.json()
            self.ledger.draft(DraftSeen(made["id"], self.user.username, "api", self.site.account_id, made["state"],
                                        tuple(made["routes"])))
        else:
            self.ledger.error("probe", "POST /api/v1/drafts", answer.status, answer.excerpt())

    def first_success_after(self, moment: float) -> ProbeAnswer | None:
        """The first draft sent at or after `moment` that was acknowledged (sent after: not one that waited out the fault)."""
        return next((a for a in self.answers if a.sent >= moment and a.status == 201), None)


# --- Faults ----------------------------------------------------------------------------------


@dataclass
class Fault:
    """What was done and when (seconds since the load started)."""

    description: str = ""
    started: float | None = None
    ended: float | None = None
    notes: list[str] = field(default_factory=list)
    allowed_resets: int = 0  # requests the fault itself may cut (the killed worker's one in flight)
    stops_service: bool = True  # False: the app keeps answering through it (another worker); recovery = its own end


def kill_worker(server: Server, fault: Fault, ledger: Ledger) -> None:
    """SIGKILL one worker; the fault ends when gunicorn has a new worker in its place."""
    before = server.pids()
    master, workers = before[0], before[1:]
    if not workers:
        raise RuntimeError("gunicorn has no workers to kill")
    victim = workers[0]
    fault.started = time.monotonic() - ledger.started
    os.kill(victim, signal.SIGKILL)
    fault.allowed_resets = 1  # a sync worker serves one request at a time
    fault.stops_service = False  # the other workers keep serving while gunicorn forks a new one
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = server.pids()[1:]
        if victim not in now and len(now) >= len(workers):
            break
        time.sleep(0.05)
    fault.ended = time.monotonic() - ledger.started
    fault.description = f"SIGKILL worker {victim} of {len(workers)} (master {master})"
    fault.notes.append(f"gunicorn had a new worker after {fault.ended - fault.started:.2f} s")


def stop_postgres(cluster: PostgresCluster, hold: float) -> Callable[[Server, Fault, Ledger], None]:
    def inject(server: Server, fault: Fault, ledger: Ledger) -> None:
        fault.started = time.monotonic() - ledger.started
        cluster.stop("fast")
        stopped = time.monotonic() - ledger.started
        time.sleep(max(0.0, hold - (stopped - fault.started)))
        cluster.start()
        fault.ended = time.monotonic() - ledger.started
        fault.description = f"pg_ctl stop -m fast, start after {fault.ended - fault.started:.1f} s"
        fault.notes.append(f"stop took {stopped - fault.started:.2f} s")

    return inject


def full_disk(folder: Path, hold: float) -> Callable[[Server, Fault, Ledger], None]:
    """Fill the file system of `folder` to the last byte, hold it full for `hold` seconds, free it."""

    def inject(server: Server, fault: Fault, ledger: Ledger) -> None:
        fault.started = time.monotonic() - ledger.started
        filler = fill_disk(folder)
        written = filler.stat().st_size
        filled = time.monotonic() - ledger.started
        database = sum(p.stat().st_size for p in folder.glob("reviewer.sqlite3*"))
        time.sleep(max(0.0, hold - (filled - fault.started)))
        filler.unlink()
        fault.ended = time.monotonic() - ledger.started
        fault.description = f"tmpfs filled ({written / 2**20:.1f} MiB filler), freed after {fault.ended - fault.started:.1f} s"
        fault.notes.append(f"filling took {filled - fault.started:.2f} s; database files {database / 2**20:.1f} MiB")

    return inject
