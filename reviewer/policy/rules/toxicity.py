"""toxicity: thresholds on the scores a scorer gives the draft; skipped without a scorer."""

from __future__ import annotations

from typing import Any

from .base import CompiledRule, RuleMeta, Scan, Span


class ToxicityRule(CompiledRule):
    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.thresholds = dict(body.thresholds)

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(self.thresholds)

    def evaluate(self, scan: Scan) -> list[Span] | None:
        scores = scan.scores
        if scores is None:
            return None
        for label, threshold in self.thresholds.items():
            score = scores.get(label)
            if score is not None and score >= threshold:
                return []  # about the whole text: no spans
        return None
