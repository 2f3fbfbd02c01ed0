"""Rules that match words and patterns: lexicon, topic, tone phrases, regex.

Lexicon-like rules match nothing themselves: they hand their terms to the
policy's single shared LexiconMatcher (keyed by rule id), which runs once per
text; evaluate() just reads that rule's hits.
"""

from __future__ import annotations

import re
from typing import Any

from ..lexicon import LexiconEntry
from .base import CompiledRule, RuleMeta, Scan, Span

_FLAG_BITS = {"ignorecase": re.IGNORECASE, "multiline": re.MULTILINE, "dotall": re.DOTALL, "verbose": re.VERBOSE}


def flag_bits(flags: list[str]) -> int:
    """The `re` flags named in a regex rule's `flags`."""
    bits = 0
    for name in flags:
        bits |= _FLAG_BITS[name]
    return bits


class TermsRule(CompiledRule):
    """lexicon, topic and tone/phrases: terms (whole-word by default) with allow-list exceptions."""

    reads_hits = True

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.entries = [LexiconEntry(term, meta.id, whole_word=body.whole_word) for term in body.terms]
        self.entries += [LexiconEntry(term, meta.id, whole_word=True, allow=True) for term in body.allow]

    def lexicon_entries(self) -> list[LexiconEntry]:
        return self.entries

    def evaluate(self, scan: Scan) -> list[Span] | None:
        return scan.hits.get(self.meta.id)


class RegexRule(CompiledRule):
    """Python regexes run on the original text."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        bits = flag_bits(body.flags)
        self.patterns = [re.compile(p, bits) for p in body.patterns]
        self.any_pattern = _alternation(body.patterns, bits) if len(self.patterns) > 1 else None

    def evaluate(self, scan: Scan) -> list[Span] | None:
        text = scan.text
        if self.any_pattern is not None and self.any_pattern.search(text) is None:
            return None  # no pattern matches anywhere: skip the one-by-one scans
        spans = [m.span() for pattern in self.patterns for m in pattern.finditer(text) if m.end() > m.start()]
        return spans or None


def _alternation(patterns: list[str], bits: int) -> re.Pattern[str] | None:
    """One regex that matches wherever any of `patterns` does: a cheap first test.

    The patterns themselves still run one by one when it finds something, so
    every (possibly overlapping) match is reported. None when the patterns
    cannot be joined (a global inline flag such as `(?i)` inside one).
    """
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), bits)
    except re.error:
        return None
