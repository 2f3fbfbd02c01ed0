"""Run a policy's own examples (its tests) and describe each failure as a diff.

An example may give `scores` (`{toxicity: 0.9}`): it is then checked with a
scorer that returns exactly those scores, whatever scorer the run was given,
so that toxicity rules and their thresholds have tests of their own.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from .engine import Draft, Policy, Scorer
from .verdict import Verdict


@dataclass(frozen=True)
class ExampleResult:
    """One example: where it is, what it expected, and what the policy gave."""

    where: str  # path:line:column of the example
    example: Any  # schema.Example
    verdict: Verdict
    expected: tuple[str, ...]
    got: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    def diff(self) -> str:
        """The failure as a unified diff of expected and got, with the example's input."""
        example = self.example
        lines = [f"FAIL {self.where}", f"  text: {example.text!r}"]
        for name in ("in_reply_to", "platform", "date"):
            value = getattr(example, name)
            if value is not None:
                lines.append(f"  {name}: {value if name != 'in_reply_to' else repr(value)}")
        if example.scores is not None:
            lines.append("  scores: {" + ", ".join(f"{k}: {v}" for k, v in example.scores.items()) + "}")
        diff = difflib.unified_diff(list(self.expected), list(self.got), "expected", "got", lineterm="", n=5)
        lines += [f"  {line}" for line in diff]
        for finding in self.verdict.findings:
            lines.append(f"  # fired {finding.rule} ({finding.action}) on {finding.target}: {finding.excerpt!r}")
        return "\n".join(lines)


def _describe(example: Any, verdict: Verdict, expected: bool) -> tuple[str, ...]:
    """The lines compared: the decision, and rules/routes where the example names them."""
    fired = sorted({f.rule for f in verdict.findings})
    lines = [f"decision: {example.expect if expected else verdict.decision}"]
    if example.rules is not None:
        lines.append(f"rules: [{', '.join(sorted(example.rules) if expected else fired)}]")
    if example.routes is not None:
        lines.append(f"routes: [{', '.join(sorted(example.routes) if expected else verdict.routes)}]")
    return tuple(lines)


class FixedScorer:
    """A scorer that gives every text the same scores: an example's own `scores`."""

    name = "example-scores"
    version = "1"

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = dict(scores)
        self.labels = tuple(self.scores)

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        return [dict(self.scores) for _ in texts]


def run_examples(policy: Policy, scorer: Scorer | None = None) -> list[ExampleResult]:
    """Check every example of the policy's own file and compare.

    Examples without `scores` are checked in one batch with `scorer`; each
    example with `scores` is checked with a FixedScorer of those scores.
    """
    items = policy.examples
    drafts = [Draft(i.model.text, i.model.platform, i.model.date, i.model.in_reply_to) for i in items]
    plain = [index for index, item in enumerate(items) if item.model.scores is None]
    verdicts: list[Verdict | None] = [None] * len(items)
    for index, verdict in zip(plain, policy.check_batch([drafts[i] for i in plain], scorer=scorer)):
        verdicts[index] = verdict
    for index, item in enumerate(items):
        if item.model.scores is not None:
            [verdicts[index]] = policy.check_batch([drafts[index]], scorer=FixedScorer(item.model.scores))
    results = []
    for item, verdict in zip(items, verdicts):
        line, column = item.doc.where(item.loc)
        results.append(ExampleResult(
            where=f"{item.doc.path}:{line}:{column}",
            example=item.model,
            verdict=verdict,  # type: ignore[arg-type]
            expected=_describe(item.model, verdict, expected=True),
            got=_describe(item.model, verdict, expected=False),
        ))
    return results
