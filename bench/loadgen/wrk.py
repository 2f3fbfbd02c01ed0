"""wrk against one URL: requests/s, p50/p99, errors, and the CPU the server and wrk spent per request.

`measured` also reads /proc/stat before and after, so each figure comes with
the share of CPU time the hypervisor gave to other guests (steal): on a shared
VM that explains most slow runs.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

CONNECTIONS = 16
THREADS = 2


@dataclass
class Load:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    server_cpu_ms: float = 0.0  # gunicorn's CPU time per request (master and workers)
    client_cpu_ms: float = 0.0  # wrk's CPU time per request
    steal_percent: float = 0.0  # the share of the CPUs' time the hypervisor gave to others during the run

    @property
    def cpu_bound_rps(self) -> float:
        """Requests/s two otherwise idle cores could serve at this CPU cost (ignoring lock waits)."""
        per_request = self.server_cpu_ms + self.client_cpu_ms
        return 2000.0 / per_request if per_request else 0.0


def _family(pid: int) -> list[int]:
    """`pid` and its children (gunicorn's master and workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return [pid, *children]


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def measured(url: str, script: Path | None, duration: int, server: subprocess.Popen) -> Load:
    """run_wrk, plus the CPU time gunicorn and wrk spent per request."""
    pids = _family(server.pid)
    server_before, client_before = _cpu_seconds(pids), resource.getrusage(resource.RUSAGE_CHILDREN)
    steal_before = _steal_and_total()
    load = run_wrk(url, script, duration)
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    steal_after = _steal_and_total()
    total = steal_after[1] - steal_before[1]
    load.steal_percent = 100.0 * (steal_after[0] - steal_before[0]) / total if total else 0.0
    if load.requests:
        load.server_cpu_ms = (_cpu_seconds(pids) - server_before) * 1000 / load.requests
        client = (client_after.ru_utime + client_after.ru_stime) - (client_before.ru_utime + client_before.ru_stime)
        load.client_cpu_ms = client * 1000 / load.requests
    return load


def _steal_and_total() -> tuple[int, int]:
    """(steal, all) ticks of the machine's CPUs so far, from /proc/stat (0, 0 where there is none)."""
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, script: Path | None, duration: int) -> Load:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "5s", "--latency",
               *(["-s", str(script)] if script else []), url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    if os.environ.get("BENCH_WEB_DEBUG"):
        print(output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )
