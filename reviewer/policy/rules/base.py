"""What every compiled rule shares: its settings, and the scan of one text it reads.

A compiled rule turns its config into ready-to-run matchers once, at load.
`evaluate(scan)` returns the spans it found (an empty list for a finding about
the whole text, such as a toxicity score) or None when it does not fire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..urls import UrlMatch, find_urls
from ..verdict import default_title

Span = tuple[int, int]


@dataclass(frozen=True)
class Hit:
    """What a rule found when it has more to say than where: the spans, and a note for the finding's message."""

    spans: list[Span]
    note: str | None = None

_HASHTAG = re.compile(r"(?<![\w&#])#(\w+)")
# Every link find_urls can report has "://" or a dot followed by a letter (the
# top-level domain); most sentences have neither, so the link scan is skipped.
_MAYBE_LINK = re.compile(r"://|\.[^\W\d_]")


@dataclass(frozen=True)
class Escalation:
    during: str
    action: str | None
    severity: str | None
    route: str | None
    approvals: int | None


@dataclass(frozen=True)
class RuleMeta:
    """The settings of a rule that shape its finding, not what it matches."""

    id: str
    kind: str
    severity: str
    action: str
    route: str | None
    approvals: int
    message: str
    source: str
    during: str | None
    escalate: tuple[Escalation, ...]
    title: str = ""

    @classmethod
    def from_model(cls, model: Any) -> RuleMeta:
        return cls(
            id=model.id, kind=model.kind, severity=model.severity, action=model.action,
            route=model.route, approvals=model.approvals, message=model.message, source=model.source,
            during=model.during,
            escalate=tuple(Escalation(e.during, e.action, e.severity, e.route, e.approvals) for e in model.escalate),
            title=model.title or default_title(model.id),
        )


class Scan:
    """One text under check, with what several rules need computed at most once."""

    def __init__(self, text: str, hits: dict[str, list[Span]], platform: str | None = None,
                 scores: dict[str, float] | None = None, literal_finder: Any = None, encoder: Any = None) -> None:
        self.text = text
        self.encoder = encoder  # the policy's sentence encoder, for semantic rules (None: none)
        self.shared: dict[int, Any] = {}  # what several rules compute once per text (semantic scores)
        self.hits = hits
        self.platform = platform
        self.scores = scores
        self.literal_finder = literal_finder  # the policy's LiteralFinder for its regex rules, if any

    @cached_property
    def lowered(self) -> str | None:
        """The text lower-cased when it is ASCII (for literal pre-checks), else None."""
        return self.text.lower() if self.text.isascii() else None

    @cached_property
    def literals(self) -> frozenset[str] | None:
        """Which of the policy's regex literals the text holds (None: non-ASCII text, or no finder)."""
        lowered = self.lowered
        if lowered is None or self.literal_finder is None:
            return None
        return self.literal_finder.find(lowered)

    @cached_property
    def urls(self) -> list[UrlMatch]:
        return find_urls(self.text) if _MAYBE_LINK.search(self.text) else []

    @cached_property
    def sentences(self) -> list[Span]:
        from .semantic import sentence_spans  # only policies with semantic rules split sentences

        return sentence_spans(self.text)

    @cached_property
    def sentence_vectors(self) -> Any:
        """One embedding per sentence (a numpy matrix), or None without an encoder."""
        if self.encoder is None:
            return None
        return self.encoder.encode([self.text[s:e] for s, e in self.sentences])

    @cached_property
    def hashtags(self) -> list[re.Match[str]]:
        return list(_HASHTAG.finditer(self.text)) if "#" in self.text else []


class CompiledRule:
    """Base of every rule kind: a RuleMeta plus an evaluate() over a Scan."""

    reads_hits = False  # True: fires exactly when the shared matcher reports this rule's id
    needs_encoder = False  # True: built with the policy's sentence encoder (semantic rules)

    def __init__(self, meta: RuleMeta, body: Any = None) -> None:
        self.meta = meta

    def lexicon_entries(self) -> list[Any]:
        """LexiconEntry objects this rule wants in the policy's shared matcher."""
        return []

    def required_literals(self) -> set[str]:
        """Literals this rule wants the policy's shared LiteralFinder to look for (see RegexRule)."""
        return set()

    def evaluate(self, scan: Scan) -> list[Span] | Hit | None:
        raise NotImplementedError
