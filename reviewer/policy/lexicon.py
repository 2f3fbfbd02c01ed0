"""Find words and phrases from a policy's term lists, resisting evasion.

Matching runs on a skeleton of the normalised view (see `normalise`): every
run of whitespace or punctuation becomes one space (so "you   people" and
"you-people" match the phrase "you people"), and every run of one letter
becomes that letter once, remembering the run's length. Terms get the same
treatment, and all of them go into one Aho-Corasick automaton. Whole-word
terms are stored with a space on each side and the skeleton is padded with
spaces, so the automaton itself only reports whole-word hits.

A letter run in the draft matches the term's run of that letter when the
lengths are equal, or when the draft's run is at least three letters long and
longer than the term's ("stuuupid", "idiooot"). So "as" does not match "ass",
and "good" does not match "god" (a doubled letter is ordinary spelling).

Spans are offsets into the text exactly as typed (`NormalisedText.to_original`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import ahocorasick

from .normalise import NormalisedText, normalise

__all__ = ["LexiconEntry", "LexiconMatch", "LexiconMatcher"]


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One term of a policy's list. `allow=True` makes it an exception that cancels overlapping matches of `key`."""

    term: str
    key: Hashable
    whole_word: bool = True
    allow: bool = False


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    """A term found in a draft; `start`/`end` are offsets into the original text."""

    start: int
    end: int
    term: str
    key: Hashable


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A compiled entry: its skeleton length, letter runs longer than one, and payload."""

    length: int  # length of the stored pattern, padding spaces included
    whole_word: bool
    runs: tuple[tuple[int, int], ...]  # (index in the core skeleton, run length) where length > 1
    entry: LexiconEntry


# Places where the skeleton differs from the normalised text: any run of
# non-alphanumerics other than a single space, and runs of a repeated letter.
_SPOTS = re.compile(r"[\W_]{2,}|[^\w ]|_|([^\W\d_])\1+")


def _skeleton(view: str) -> tuple[str, list[int], list[int]]:
    """Return the skeleton of `view`, the index in `view` of each skeleton index (plus one past
    the end), and the skeleton indices of squeezed letter runs."""
    pieces: list[str] = []
    positions: list[int] = []
    repeats: list[int] = []
    last = 0
    for match in _SPOTS.finditer(view):
        a, b = match.span()
        if a > last:
            pieces.append(view[last:a])
            positions.extend(range(last, a))
        letter = match.group(1)
        if letter:
            repeats.append(len(positions))
        pieces.append(letter if letter else " ")
        positions.append(a)
        last = b
    if not pieces:
        return view, [*range(len(view) + 1)], repeats
    pieces.append(view[last:])
    positions.extend(range(last, len(view) + 1))
    return "".join(pieces), positions, repeats


def _runs_match(text_run: int, term_run: int) -> bool:
    return text_run == term_run or (text_run >= 3 and text_run > term_run)


class LexiconMatcher:
    """All the terms of a policy compiled once into one automaton."""

    def __init__(self, entries: Iterable[LexiconEntry]) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        self._keys: set[Hashable] = set()
        grouped: dict[str, list[_Pattern]] = {}
        seen: set[tuple[str, Hashable, bool, bool]] = set()
        for entry in entries:
            self._check_entry(entry)
            pattern_text, pattern = self._compile(entry)
            identity = (pattern_text, entry.key, entry.whole_word, entry.allow)
            if identity in seen:
                continue
            seen.add(identity)
            grouped.setdefault(pattern_text, []).append(pattern)
            if not entry.allow:
                self._keys.add(entry.key)
        for pattern_text, patterns in grouped.items():
            self._automaton.add_word(pattern_text, tuple(patterns))
        self._empty = not grouped
        if not self._empty:
            self._automaton.make_automaton()

    @staticmethod
    def _check_entry(entry: object) -> None:
        if not isinstance(entry, LexiconEntry):
            raise TypeError(f"LexiconMatcher takes LexiconEntry items, got {type(entry).__name__}")
        if not isinstance(entry.term, str):
            raise ValueError(f"lexicon term {entry.term!r} (key {entry.key!r}) must be a string")
        try:
            hash(entry.key)
        except TypeError:
            raise ValueError(f"lexicon term {entry.term!r}: key {entry.key!r} is not hashable") from None

    @staticmethod
    def _compile(entry: LexiconEntry) -> tuple[str, _Pattern]:
        view = normalise(entry.term).text
        skeleton, positions, _ = _skeleton(view)
        core = skeleton.strip(" ")
        if not any(c.isalnum() for c in core):
            raise ValueError(
                f"lexicon term {entry.term!r} (key {entry.key!r}) has no letters or digits left to match "
                "after normalisation; remove it or write it with letters"
            )
        offset = len(skeleton) - len(skeleton.lstrip(" "))
        runs = tuple(
            (k, positions[offset + k + 1] - positions[offset + k])
            for k, char in enumerate(core)
            if char.isalpha() and positions[offset + k + 1] - positions[offset + k] > 1
        )
        pattern_text = f" {core} " if entry.whole_word else core
        return pattern_text, _Pattern(len(pattern_text), entry.whole_word, runs, entry)

    def keys(self) -> set[Hashable]:
        """The keys that can produce matches (allow-only keys excluded)."""
        return set(self._keys)

    def find(self, text: str | NormalisedText) -> list[LexiconMatch]:
        """Every match of every term, sorted by (start, end), with allow-listed overlaps removed."""
        if self._empty:
            return []
        normalised = text if isinstance(text, NormalisedText) else normalise(text)
        skeleton, positions, repeats = _skeleton(normalised.text)
        found: list[tuple[int, int, LexiconEntry]] = []
        for end_index, patterns in self._automaton.iter(f" {skeleton} "):
            for pattern in patterns:
                begin = end_index - pattern.length + 1
                if pattern.whole_word:
                    start, stop = begin, end_index - 1
                else:
                    start, stop = begin - 1, end_index
                if (pattern.runs or (repeats and _any_between(repeats, start, stop))) and not _letter_runs_agree(
                    skeleton, positions, start, stop, pattern.runs
                ):
                    continue
                orig_start, orig_end = normalised.to_original(positions[start], positions[stop])
                found.append((orig_start, orig_end, pattern.entry))
        return _without_allowed(found)


def _any_between(sorted_indices: list[int], start: int, stop: int) -> bool:
    i = bisect_left(sorted_indices, start)
    return i < len(sorted_indices) and sorted_indices[i] < stop


def _letter_runs_agree(
    skeleton: str, positions: list[int], start: int, stop: int, term_runs: tuple[tuple[int, int], ...]
) -> bool:
    wanted = dict(term_runs)
    for k in range(stop - start):
        j = start + k
        if skeleton[j].isalpha() and not _runs_match(positions[j + 1] - positions[j], wanted.get(k, 1)):
            return False
    return True


def _without_allowed(found: list[tuple[int, int, LexiconEntry]]) -> list[LexiconMatch]:
    allowed: dict[Hashable, list[tuple[int, int]]] = {}
    for start, end, entry in found:
        if entry.allow:
            allowed.setdefault(entry.key, []).append((start, end))
    matches: set[LexiconMatch] = set()
    for start, end, entry in found:
        if entry.allow:
            continue
        spans = allowed.get(entry.key)
        if spans and any(a < end and start < b for a, b in spans):
            continue
        matches.add(LexiconMatch(start, end, entry.term, entry.key))
    return sorted(matches, key=lambda m: (m.start, m.end, m.term, repr(m.key)))
