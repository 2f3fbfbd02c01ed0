"""The verdict: one data model for the CLI, the web app, the audit log and reports.

`to_dict()` gives exactly the JSON of docs/policy-format.md, keys in that
order, so the same verdict always serialises to the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]
SEPARATOR = " … "


def merge_spans(spans: list[Span]) -> tuple[Span, ...]:
    """Sorted spans with overlapping or touching ones joined."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def excerpt_of(text: str, spans: tuple[Span, ...]) -> str:
    """The typed text of the spans, joined by ` … `."""
    return SEPARATOR.join(text[s:e] for s, e in spans)


#: Rule-id prefixes that read badly as words.
_PREFIX_WORDS = {"pii": "Personal information"}


def default_title(rule_id: str) -> str:
    """A finding's heading when its rule has no `title:`: `abuse.toxicity` -> `Abuse: toxicity`."""
    head, _, rest = rule_id.partition(".")
    words = _PREFIX_WORDS.get(head, head.replace("_", " ").replace("-", " ").capitalize())
    rest = rest.replace(".", " ").replace("_", " ").replace("-", " ").strip()
    return f"{words}: {rest}" if rest else words


#: Which text a finding is in: the draft, or the post it answers (`Finding.target`); the engine indexes it by rank.
FINDING_TARGETS = ("draft", "in_reply_to")


@dataclass(frozen=True)
class Finding:
    """One rule that fired on one target (the draft or the post it answers)."""

    rule: str
    kind: str
    severity: str
    action: str
    route: str | None
    target: str
    message: str
    source: str
    spans: tuple[Span, ...]
    excerpt: str
    approvals: int = field(default=1, compare=False)
    title: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title or default_title(self.rule),
            "kind": self.kind,
            "severity": self.severity,
            "action": self.action,
            "route": self.route,
            "target": self.target,
            "message": self.message,
            "source": self.source,
            "spans": [[s, e] for s, e in self.spans],
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True)
class PolicyRef:
    id: str
    version: str
    sha256: str


@dataclass(frozen=True)
class ScorerRef:
    name: str
    version: str


@dataclass(frozen=True)
class Verdict:
    """The decision on one draft and every finding behind it."""

    decision: str
    routes: tuple[str, ...]
    approvals: int
    findings: tuple[Finding, ...]
    scores: dict[str, float]
    periods: tuple[str, ...]
    policy: PolicyRef
    scorer: ScorerRef | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "routes": list(self.routes),
            "approvals": self.approvals,
            "findings": [f.to_dict() for f in self.findings],
            "scores": {label: round(float(score), 4) for label, score in sorted(self.scores.items())},
            "periods": list(self.periods),
            "policy": {"id": self.policy.id, "version": self.policy.version, "sha256": self.policy.sha256},
            "scorer": None if self.scorer is None else {"name": self.scorer.name, "version": self.scorer.version},
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def verdict_dict(verdict: Verdict | dict[str, Any] | None) -> dict[str, Any] | None:
    """The verdict as its JSON dict, whether a live `Verdict`, one already stored as a dict, or None (no verdict)."""
    if verdict is None or isinstance(verdict, dict):
        return verdict
    return verdict.to_dict()
