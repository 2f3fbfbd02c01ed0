"""App instances for a load: gunicorn (or `reviewer serve` when present) on a loopback port, and stopping them.

Each instance runs with the site's REVIEWER_* settings plus `LOAD_ENV`,
which keeps the product's rate limits out of the way of a load that is
meant to measure the app, not the limiter (the limits have their own tests).
"""

from __future__ import annotations

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

    def log_problems(self) -> str:
        """Tracebacks and lock errors from the instance's log ('' when clean)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        bad = [line for line in text.splitlines() if "Traceback" in line or "database is locked" in line
               or "[ERROR]" in line or "WORKER TIMEOUT" in line]
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
    """gunicorn with sync workers on loopback (the production command the README documents)."""
    return [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning", "reviewer:create_app()"]


def start_server(site: Site, name: str = "main", *, port: int | None = None, workers: int = 2,
                 extra_env: dict[str, str] | None = None, ready_within: float = 90) -> Server:
    """Start an instance of the site (its own instance folder `name`) and wait until it answers."""
    port = port or free_port()
    log = site.folder / f"server-{name}.log"
    env = {**os.environ, **site.env(name), **LOAD_ENV, **(extra_env or {})}
    command = [*serve_command(port, workers), "--error-logfile", str(log)]
    with open(log, "ab") as stderr:  # start-up failures before gunicorn's own logging land here too
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
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
