"""Every benchmark still runs (`--smoke`): none of them rots unseen.

The list is every bench/bench_*.py, so a new benchmark without a --smoke mode
fails here. Figures are not asserted (speed is measured by the benchmarks
themselves, never in tests); each smoke run must exit 0 and print something.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHES = sorted(p.name for p in (ROOT / "bench").glob("bench_*.py"))
# What each one prints when it got to the end (the rest print their figures too; these are checked by name).
LAST_WORDS = {
    "bench_policy.py": "drafts/s",
    "bench_semantic.py": "edit one sentence",
    "bench_quality.py": "risky recall",
    "bench_report.py": "target under 5 s",
    "bench_soak.py": "sqlite: OK",
    "bench_web.py": "integrity",
    "bench_first_check.py": "median over 1 start",
    "bench_toxicity_speed.py": "tokenizer alone",
    "bench_tone_dev.py": "pass rate on pass items",
}


def test_every_benchmark_is_listed() -> None:
    assert len(BENCHES) >= 15
    assert all("--smoke" in (ROOT / "bench" / name).read_text() for name in BENCHES)


@pytest.mark.slow
@pytest.mark.parametrize("script", BENCHES)
def test_benchmark_runs_in_smoke_mode(script: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--smoke"], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert done.stdout.strip(), done.stderr[-3000:]
    assert LAST_WORDS.get(script, "") in done.stdout, done.stdout[-3000:]
