"""The benchmarks this part of the product relies on still run (`--smoke`): none of them rots unseen.

Figures are not asserted here (speed is measured by the benchmarks themselves, never in tests).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(("script", "expect"), [
    ("bench_policy.py", "drafts/s"),
    ("bench_semantic.py", "edit one sentence"),
    ("bench_quality.py", "risky recall"),
])
def test_benchmark_runs_in_smoke_mode(script: str, expect: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--smoke"], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert expect in done.stdout
