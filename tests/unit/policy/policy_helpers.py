"""Shared values for the policy engine's unit tests (imported by name; tests are not a package)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

# A valid one-rule policy. Line numbers matter: tests replace parts of it and
# assert the exact line and column of the error.
BASE = """\
id: test
version: "1"
rules:
  - id: a.one
    kind: lexicon
    severity: high
    action: block
    message: Fix it.
    source: s.1
    terms: [idiot]
"""

RULE_HEAD = """\
    severity: high
    action: block
    message: Fix it.
    source: s.1
"""


class Scorer:
    """A deterministic test double of the scorer interface: fixed scores per text."""

    name = "fixed"
    version = "1"
    labels = ("toxicity", "insult")

    def __init__(self, scores: dict[str, dict[str, float]] | None = None, default: float = 0.0) -> None:
        self.scores = scores or {}
        self.default = default
        self.calls: list[list[str]] = []

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        self.calls.append(list(texts))
        return [self.scores.get(t, {label: self.default for label in self.labels}) for t in texts]


ELECTION_DAY = dt.date(2026, 9, 10)
QUIET_DAY = dt.date(2026, 3, 1)


def rule_policy(fields: str, *, rule_id: str = "r.x", common: str = RULE_HEAD, extra: str = "") -> str:
    """A policy text with one rule: `fields` are its kind-specific lines, 4-space indented."""
    lines = "".join(f"    {line.strip()}\n" for line in fields.strip().splitlines())
    return f"id: t\nversion: '1'\nrules:\n  - id: {rule_id}\n{common}{lines}{extra}"
