"""What the simulated people saw: every acknowledged action (for reconciliation) and every latency.

Thread-safe; one `Ledger` per run. An action goes in only after the client
got the answer that says it happened (201, a redirect to the new draft, a
decision's 200 or 302, a CSV body, a PDF). Answers that say nothing
happened for an expected reason (409: someone else decided first) are
counted as conflicts, not errors. Anything else is an error, listed with
the request, status and message.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

DECIDED_STATE = {"approve": "approved", "reject": "rejected", "return": "returned"}


@dataclass
class DraftSeen:
    draft_id: int
    author: str
    via: str
    account_id: int
    state: str  # the state its submission reported: approved (passed) or pending (routed)
    routes: tuple[str, ...]
    inbound_id: int | None = None


@dataclass
class DecisionSeen:
    draft_id: int
    approver: str
    action: str  # approve | reject | return
    via: str


@dataclass
class ErrorSeen:
    kind: str
    what: str
    status: int | None
    message: str
    at: float


@dataclass
class Ledger:
    """Acknowledged actions, counters of audited actions, latencies, conflicts and errors."""

    drafts: dict[int, DraftSeen] = field(default_factory=dict)
    decisions: list[DecisionSeen] = field(default_factory=list)
    inbound: list[int] = field(default_factory=list)
    audited: Counter = field(default_factory=Counter)  # audit action -> events the clients caused
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    conflicts: Counter = field(default_factory=Counter)
    per_instance: Counter = field(default_factory=Counter)  # base URL -> requests answered
    errors: list[ErrorSeen] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- recording -------------------------------------------------------------------

    def timed(self, kind: str, seconds: float, instance: str = "") -> None:
        with self._lock:
            self.latencies[kind].append(seconds)
            self.per_instance[instance] += 1

    def draft(self, seen: DraftSeen) -> None:
        with self._lock:
            self.drafts[seen.draft_id] = seen
            self.audited.update(["draft.created", "draft.checked", "draft.submitted"])
            self.audited["draft.auto_approved" if seen.state == "approved" else "draft.routed"] += 1

    def decision(self, seen: DecisionSeen) -> None:
        with self._lock:
            self.decisions.append(seen)
            self.audited[f"draft.{DECIDED_STATE[seen.action]}"] += 1

    def inbound_post(self, inbound_id: int) -> None:
        with self._lock:
            self.inbound.append(inbound_id)
            self.audited["inbound.created"] += 1

    def audited_action(self, *actions: str) -> None:
        """Audit events a client caused that leave no row of their own (sign-in, export, report)."""
        with self._lock:
            self.audited.update(actions)

    def conflict(self, kind: str) -> None:
        with self._lock:
            self.conflicts[kind] += 1

    def error(self, kind: str, what: str, status: int | None, message: str) -> None:
        with self._lock:
            self.errors.append(ErrorSeen(kind, what, status, message[:300], time.monotonic() - self.started))

    def drafts_for(self, account_id: int) -> int:
        """How many acknowledged drafts went to this account."""
        with self._lock:
            return sum(1 for d in self.drafts.values() if d.account_id == account_id)

    def some_draft_ids(self, limit: int = 50) -> list[int]:
        with self._lock:
            return list(self.drafts)[-limit:]

    # --- summaries -------------------------------------------------------------------

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def duration(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def latency_table(self) -> list[tuple[str, int, float, float]]:
        """(kind, count, p50 ms, p99 ms), overall first."""
        rows = []
        everything = [s for values in self.latencies.values() for s in values]
        if everything:
            rows.append(("overall", len(everything), percentile(everything, 50), percentile(everything, 99)))
        for kind in sorted(self.latencies):
            values = self.latencies[kind]
            rows.append((kind, len(values), percentile(values, 50), percentile(values, 99)))
        return rows

    def summary_lines(self) -> list[str]:
        duration = self.duration()
        lines = [f"requests {self.requests} in {duration:.1f} s: {self.requests / duration:.1f} req/s; "
                 f"errors {len(self.errors)}; conflicts (someone else decided first, expected) "
                 f"{sum(self.conflicts.values())}"]
        lines.append(f"  {'action':28} {'count':>7} {'p50 ms':>8} {'p99 ms':>8}")
        for kind, count, p50, p99 in self.latency_table():
            lines.append(f"  {kind:28} {count:7d} {p50:8.1f} {p99:8.1f}")
        for error in self.errors[:30]:
            lines.append(f"  ERROR at {error.at:6.1f} s {error.kind} {error.what}: {error.status} {error.message}")
        if len(self.errors) > 30:
            lines.append(f"  ... and {len(self.errors) - 30} more errors")
        return lines


def percentile(seconds: list[float], pct: float) -> float:
    """The pct-th percentile in milliseconds (nearest rank on the sorted values)."""
    if not seconds:
        return 0.0
    if len(seconds) == 1:
        return seconds[0] * 1000
    ranked = statistics.quantiles(seconds, n=100, method="inclusive")
    return (ranked[int(pct) - 1] if pct < 100 else max(seconds)) * 1000
