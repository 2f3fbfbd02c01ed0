"""A guard against large regressions of the checker's judgement on drafts it never saw.

Runs bench/bench_quality.py's measurement (the shipped policy, the embedded
encoder and scorer, bench/data/quality/drafts.jsonl). The floors sit below
the figures reached (see the README): this catches a broken rule or model,
not a point of recall.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FLOORS = {"risky_recall": 0.7, "pass_rate": 0.78, "hard_negative_pass_rate": 0.75, "block_adequacy": 0.72}
CATEGORY_FLOOR = 0.3
STRONG = {"pii": 0.9, "evasion": 0.9}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "bench" / "bench_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_quality_set_stays_apart_from_the_policy_and_above_the_floors(embedded_encoder) -> None:
    from reviewer.policy import load_policy
    from reviewer.toxicity import load_scorer

    bench = _bench()
    items = bench.read_items()
    assert len(items) >= 400 and sum(i["expect"] == "pass" and i.get("hard_negative") for i in items) >= 100
    assert bench.overlaps(items, bench.POLICY) == []
    policy = load_policy(bench.POLICY, encoder=embedded_encoder)
    figures = bench.metrics(bench.judge(policy, items, load_scorer("embedded")))
    for name, floor in FLOORS.items():
        assert figures[name] >= floor, (name, figures[name])
    for category, row in figures["recall_by_category"].items():
        assert row["recall"] >= STRONG.get(category, CATEGORY_FLOOR), (category, row)
