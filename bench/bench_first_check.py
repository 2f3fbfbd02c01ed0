"""The first live check after `reviewer serve` starts, against the tenth.

Builds a fresh SQLite instance (bench_web's: a staff user with an API token,
an account on the shipped city-council policy), starts `reviewer serve` with
one worker on a free loopback port, waits for /healthz, then sends --checks
checks one after another, each a reply never sent before (new sentences for
the encoder), and prints each one's latency. --path api (the default) sends
POST /api/v1/check with the token; --path editor signs in through the login
form, opens the account's compose page, and sends what the editor sends as
the person types (POST /drafting/check with the page's CSRF token). Each run
starts a new server; --runs N prints the median of the first and of the
tenth check over N starts (target, issue 16: the first as fast as the tenth).

The API's first check also records the token's first use (one UPDATE, which
later checks within a minute skip): work only the first does, not warming.

    .venv/bin/python bench/bench_first_check.py [--runs 3] [--checks 10] [--path api|editor]
                                                [--toxicity embedded|none] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_web import build_instance, distinct_text, stop, wait_until_answering  # the same instance as the web bench
from loadgen.http import Client
from loadgen.site import free_port


def start_serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "reviewer", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                                   stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    return wait_until_answering(process, f"http://127.0.0.1:{port}/healthz", 120, "reviewer serve",
                                lambda: f"its log:\n{log.read_text()[-3000:]}")


def api_checks(port: int, instance, count: int, offset: int, pause: float) -> list[float]:
    latencies = []
    for i in range(count):
        time.sleep(pause)
        body = json.dumps({"text": distinct_text(offset + i), "account_id": instance.account_id}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/check", data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {instance.token}"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            if response.status != 200:
                raise SystemExit(f"check {i + 1} answered {response.status}")
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def editor_checks(port: int, instance, count: int, offset: int, pause: float) -> list[float]:
    client = Client(f"http://127.0.0.1:{port}")
    signed_in = client.login("bench.staff", instance.password)
    page = client.get(f"/inbox/{instance.account_id}/compose")
    if signed_in.status != 302 or page.status != 200 or not client.csrf:
        raise SystemExit(f"signing in answered {signed_in.status}, the compose page {page.status}")
    latencies = []
    for i in range(count):
        time.sleep(pause)
        answer = client.request("POST", "/drafting/check", headers={"X-CSRFToken": client.csrf},
                                body={"account_id": instance.account_id, "text": distinct_text(offset + i)})
        if answer.status != 200:
            raise SystemExit(f"check {i + 1} answered {answer.status}: {answer.excerpt()}")
        latencies.append(answer.seconds * 1000)
    client.close()
    return latencies


def one_start(number: int, checks: int, toxicity: str, path: str, pause: float) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-first-") as tmp:
        folder = Path(tmp)
        instance = build_instance(folder, toxicity, ROOT / "policies")
        port = free_port()
        process = start_serve(instance.env, port, folder / "serve.log")
        timed = api_checks if path == "api" else editor_checks
        try:
            latencies = timed(port, instance, checks, offset=number * 1000, pause=pause)
        finally:
            stop(process)
        if os.environ.get("BENCH_SHOW_LOG"):
            print((folder / "serve.log").read_text()[-6000:])
    print(f"start {number}: " + "  ".join(f"#{i + 1} {ms:.1f}" for i, ms in enumerate(latencies)) + " ms")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="server starts")
    parser.add_argument("--checks", type=int, default=10, help="checks after each start")
    parser.add_argument("--toxicity", default="embedded")
    parser.add_argument("--path", choices=("api", "editor"), default="api", help="the API or the editor's live check")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds of quiet before each check (as between a person's keystrokes)")
    parser.add_argument("--smoke", action="store_true", help="one start of each path, three checks")
    args = parser.parse_args()
    runs, checks = (1, 3) if args.smoke else (args.runs, max(args.checks, 2))
    for path in ("api", "editor") if args.smoke else (args.path,):
        print(f"first live check after `reviewer serve` (1 worker, {path}, TOXICITY={args.toxicity}); "
              f"load average {os.getloadavg()[0]:.2f}")
        starts = [one_start(n + 1, checks, args.toxicity, path, args.pause) for n in range(runs)]
        first = statistics.median(s[0] for s in starts)
        last = statistics.median(s[-1] for s in starts)
        rest = statistics.median(ms for s in starts for ms in s[1:])
        print(f"median over {runs} start(s): first {first:.1f} ms, #{checks} {last:.1f} ms, "
              f"#2..#{checks} {rest:.1f} ms; first / #{checks} = {first / last:.2f}")

if __name__ == "__main__":
    main()
