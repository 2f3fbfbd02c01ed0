"""Rules that match words and patterns: lexicon, topic, tone phrases, regex.

Lexicon-like rules match nothing themselves: they hand their terms to the
policy's single shared LexiconMatcher (keyed by rule id), which runs once per
text; evaluate() just reads that rule's hits.
"""

from __future__ import annotations

import re
from typing import Any

import ahocorasick

from .._text.literals import required_literal_sets
from ..lexicon import LexiconEntry
from ..patterns import PatternError, PolicyPattern, compile_alternation, compile_pattern
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
    """Regexes (Python syntax, run by RE2 in linear time: see ..patterns) on the original text.

    A match that overlaps a match of one of the rule's `allow` patterns is
    dropped (as a lexicon rule's `allow` terms cancel the matches they overlap).

    On ASCII text a pattern runs only when the text holds a literal of each
    set it cannot match without (`_text.literals`). One automaton pass per
    text (the policy's LiteralFinder, shared by its regex rules through the
    Scan) finds which literals the text holds; most drafts hold too few for
    any pattern, and that is far cheaper than a regex scan per pattern.
    """

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        bits = flag_bits(body.flags)
        self.patterns = [compile_pattern(p, bits) for p in body.patterns]
        self.allow = [compile_pattern(p, bits) for p in getattr(body, "allow", ())]
        self.literals = [_useful(required_literal_sets(p, bits)) for p in body.patterns]
        self.any_pattern = _alternation(body.patterns, bits) if len(self.patterns) > 1 else None
        self.all_need_literals = all(self.literals)  # then a text without any of them matches nothing
        self.own_finder = LiteralFinder(self.required_literals())
        self._trusted: LiteralFinder | None = None  # the last shared finder seen to cover this rule's literals

    def required_literals(self) -> set[str]:
        return {s for needs in self.literals for literals in needs for s in literals}

    def _present(self, scan: Scan) -> frozenset[str] | None:
        shared = scan.literal_finder
        if shared is not None and (shared is self._trusted or shared.covers(self.own_finder)):
            self._trusted = shared
            return scan.literals
        lowered = scan.lowered
        return None if lowered is None else self.own_finder.find(lowered)

    def evaluate(self, scan: Scan) -> list[Span] | None:
        text = scan.text
        present = self._present(scan) if self.own_finder.literals else None
        if present is not None:
            if not present and self.all_need_literals:
                return None
            patterns = []
            for pattern, needs in zip(self.patterns, self.literals):
                for literals in needs:
                    if present.isdisjoint(literals):
                        break
                else:
                    patterns.append(pattern)
        elif self.any_pattern is not None and not self.any_pattern.search(text):
            return None  # no pattern matches anywhere: skip the one-by-one scans
        else:
            patterns = self.patterns
        spans = [span for pattern in patterns for span in pattern.spans(text)]
        if spans and self.allow:
            allowed = [a for pattern in self.allow for a in pattern.spans(text)]
            spans = [(s, e) for s, e in spans if not any(s < a_end and a_start < e for a_start, a_end in allowed)]
        return spans or None


def _useful(needs: tuple[frozenset[str], ...]) -> tuple[frozenset[str], ...]:
    """The rarest set, and the others only when none of their strings is a single character
    (a set such as {"t"} rules out nothing and costs an automaton hit per occurrence)."""
    return needs[:1] + tuple(s for s in needs[1:] if min(map(len, s)) >= 2)


class LiteralFinder:
    """One automaton that says which of a set of lower-case literals a lower-cased text holds."""

    def __init__(self, literals: set[str]) -> None:
        self.literals = frozenset(literals)
        self._automaton = None
        if literals:
            self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
            for literal in self.literals:
                self._automaton.add_word(literal, literal)
            self._automaton.make_automaton()

    def covers(self, other: LiteralFinder) -> bool:
        return self is other or other.literals <= self.literals

    def find(self, lowered: str) -> frozenset[str]:
        if self._automaton is None:
            return frozenset()
        return frozenset(found for _, found in self._automaton.iter(lowered))


def _alternation(patterns: list[str], bits: int) -> PolicyPattern | None:
    """One regex that matches wherever any of `patterns` does: a cheap first test.

    The patterns themselves still run one by one when it finds something, so
    every (possibly overlapping) match is reported. None when RE2 cannot
    hold them all in one program.
    """
    try:
        return compile_alternation(tuple(patterns), bits)
    except PatternError:
        return None
