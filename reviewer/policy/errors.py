"""Errors a policy author can act on: each names file:line:column and the rule."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class PolicyIssue:
    """One problem in a policy file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        rule = f"[{self.rule_id}] " if self.rule_id else ""
        return f"{self.path}:{self.line}:{self.column}: {rule}{self.message}"


class PolicyError(Exception):
    """A policy that cannot be loaded; `issues` lists every problem found."""

    def __init__(self, issues: list[PolicyIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))
