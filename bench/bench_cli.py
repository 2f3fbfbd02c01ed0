"""Command-line speed: wall time of `reviewer --help` and `reviewer check "..."`, each in a fresh process.

Each command runs --runs times (default 5) as `python -m reviewer ...` from
the checkout, after one unmeasured run (so the OS file cache is warm, as for
someone editing a policy); prints every run, the median, peak memory of the
last run, and the targets (issue 16: check <= 0.6 s, --help <= 0.3 s). Also
prints the heaviest imports of one `check` (`python -X importtime`).

    .venv/bin/python bench/bench_cli.py [--runs 5] [--smoke] [--checkout DIR]

--checkout runs another checkout's code (e.g. the main branch, for a before/after).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Thanks, we will look into it"
COMMANDS = {
    "--help": (["--help"], 0.3),
    "check": (["check", TEXT], 0.6),
    "check --scorer none": (["check", TEXT, "--scorer", "none"], None),
}


def run_once(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # ROOT: this checkout, or --checkout
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "reviewer", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1, 2):
        raise SystemExit(f"reviewer {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def heaviest_imports(args: list[str], count: int = 8) -> list[tuple[float, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "reviewer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit() and not name.startswith("  "):  # top-level imports only
                rows.append((int(cumulative) / 1e6, name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one run of each, seconds in all")
    parser.add_argument("--checkout", type=Path, default=None, help="run this checkout's code instead")
    args = parser.parse_args()
    global ROOT  # one setting for the whole run
    ROOT = (args.checkout or ROOT).resolve()
    runs = 1 if args.smoke else args.runs
    print(f"reviewer CLI ({ROOT}), fresh process per run, {runs} run(s) each; load average {os.getloadavg()[0]:.2f}")
    for label, (command, target) in COMMANDS.items():
        run_once(command)  # warm the file cache
        times = [run_once(command) for _ in range(runs)]
        median = statistics.median(times)
        verdict = "" if target is None else f"  target <= {target} s: {'met' if median <= target else 'NOT met'}"
        print(f"  {label:<22} median {median:.3f} s  runs {' '.join(f'{t:.3f}' for t in times)}{verdict}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak resident memory of a run: {peak:.0f} MB")
    print("heaviest top-level imports of `check` (cumulative s):")
    for seconds, name in heaviest_imports(COMMANDS["check"][0]):
        print(f"  {seconds:6.3f}  {name}")


if __name__ == "__main__":
    main()
