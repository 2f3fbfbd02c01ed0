"""App instances for a load: `reviewer serve` (gunicorn, JSON log lines) on a loopback port, and stopping them.

Each instance runs with the site's REVIEWER_* settings plus `LOAD_ENV`,
which keeps the product's rate limits out of the way of a load that is
meant to measure the app, not the limiter (the limits have their own tests).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from loadgen.site import ROOT, Site, free_port

VENV_BIN = Path(sys.executable).parent
#: Settings every instance started for a load gets: rate limits off (Flask-Limiter's RATELIMIT_ENABLED).
LOAD_ENV = {"REVIEWER_RATELIMIT_ENABLED": "false"}
READY_PATH = "/api/v1/openapi.json"


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The master and its workers (for CPU accounting and for killing a worker in fault tests)."""
        family = [self.process.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                family.append(int(stat.parent.name))
        return family

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def warm_up(self, requests: int = 16, threads: int = 4) -> None:
        """A few concurrent page loads, so every worker has built its app and checker before timing starts."""
        from concurrent.futures import ThreadPoolExecutor

        def fetch(_: int) -> None:
            with urllib.request.urlopen(self.url + "/login", timeout=60) as response:
                response.read()

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(fetch, range(requests)))

    def access_lines(self) -> list[dict]:
        """The app's access log entries (reviewer.observability): method, route, status, duration_ms, ..."""
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"reviewer.access"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and "duration_ms" in entry:
                found.append(entry)
        return found

    def log_problems(self) -> str:
        """Errors from the instance's log ('' when clean): ERROR/CRITICAL lines, tracebacks, worker timeouts."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        bad = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict):
                if entry.get("level") in ("ERROR", "CRITICAL") or "traceback" in entry:
                    bad.append(line[:600])
            elif "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line or "WORKER TIMEOUT" in line:
                bad.append(line[:600])
        return "\n".join(bad[:20])

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM: gunicorn finishes the requests in flight, then exits (SIGKILL after `timeout`)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def serve_command(port: int, workers: int) -> list[str]:
    """`reviewer serve` (gunicorn sync workers, preloaded app, JSON log lines on stderr) on loopback."""
    return [str(VENV_BIN / "reviewer"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--timeout", "60"]


def start_server(site: Site, name: str = "main", *, port: int | None = None, workers: int = 2,
                 extra_env: dict[str, str] | None = None, ready_within: float = 90) -> Server:
    """Start an instance of the site (its own instance folder `name`) and wait until it answers."""
    port = port or free_port()
    log = site.folder / f"server-{name}.log"
    env = {**os.environ, **site.env(name), **LOAD_ENV, **(extra_env or {})}
    with open(log, "ab") as output:  # its log lines (stderr) and anything printed
        process = subprocess.Popen(serve_command(port, workers), cwd=ROOT, env=env, stdout=output, stderr=output,
                                   start_new_session=True)
    server = Server(name, port, process, log)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"instance {name} exited with {process.returncode} before answering; "
                               f"its log ({log}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + READY_PATH, timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"instance {name} did not answer on port {port} within {ready_within:.0f} s; see {log}")
