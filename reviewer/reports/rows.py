"""The plain rows of the compliance report (frozen dataclasses), and flagged text as segments.

Kept apart from `data.py` so the PDF layer and the tests can import the
shapes without the database code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reviewer.review.stats import Durations
from reviewer.web.highlight import segments


@dataclass(frozen=True)
class TextPiece:
    """A run of a draft's text; `rules` is non-empty for words a finding flagged (drawn as <mark>)."""

    text: str
    rules: tuple[str, ...] = ()


def marked_text(text: str, findings: Iterable[Mapping[str, Any]]) -> list[TextPiece]:
    """The text split into plain and flagged pieces (the shared highlight segments)."""
    return [TextPiece(s.text, tuple(s.rules)) for s in segments(text, list(findings))]


@dataclass(frozen=True)
class PolicyInForce:
    id: str
    version: str
    sha256: str
    versions_checked: int  # draft versions checked under it in the period


@dataclass(frozen=True)
class Summary:
    written: int
    passed_directly: int
    routed: int
    blocked: int
    approved: int
    rejected: int
    returned: int
    posted: int
    approval: Durations  # submitted -> approved, drafts approved by approvers
    reply: Durations  # inbound post received -> answered
    inbound_received: int
    breaches: int  # posts answered past, or still waiting past, their account's target
    blocked_attempts: int = 0  # submissions the policy refused (`draft.blocked` events in the period)
    #: passed_directly by policy version: ("Approved automatically: passed policy government version 2026.1", count)
    passed_by_policy: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class RuleCount:
    rule: str
    findings: int
    drafts: int
    action: str


@dataclass(frozen=True)
class DraftRow:
    """A draft the policy blocked or an approver rejected."""

    draft_id: int
    account: str
    author: str
    outcome: str  # "blocked by policy" | "rejected"
    decided_by: str
    when: datetime
    reason: str
    rules: list[str]
    text: list[TextPiece]


@dataclass(frozen=True)
class ApprovalRow:
    """One approval of a version that had findings."""

    draft_id: int
    account: str
    approver: str
    group: str
    when: datetime
    version: int
    rules: list[str]
    text: list[TextPiece]


@dataclass(frozen=True)
class RefusalRow:
    """A self-approval attempt the workflow refused (an `approval.refused` audit event)."""

    seq: int
    when: datetime
    actor: str
    draft_id: int | None
    account: str
    reason: str
    message: str


@dataclass(frozen=True)
class PolicyChange:
    when: datetime
    what: str
    detail: str
    by: str
