"""Find words and phrases from a policy's term lists, resisting evasion.

Matching runs on a skeleton of the normalised view (see `normalise`): every
run of whitespace or punctuation becomes one space (so "you   people" and
"you-people" match the phrase "you people"). Terms get the same treatment,
and all of them go into one Aho-Corasick automaton. Whole-word terms are
stored with a space on each side and the skeleton is padded with spaces, so
the automaton itself only reports whole-word hits.

Repeated letters: a letter run in the draft matches the term's run of that
letter when the lengths are equal, or when the draft's run is at least three
letters long and longer than the term's ("stuuupid", "idiooot", "asss"). So
"as" does not match "ass", and "good" does not match "god" (a doubled letter
is ordinary spelling). Runs of three or more are rare in real text, so the
automaton also holds the 26 tripled letters as markers: only when one fires
is the skeleton rebuilt with those runs squeezed to one letter, and matched
against term variants whose letter runs are squeezed the same way.

Spaced-letter runs ("u r a c u n t", joined by `normalise` into "uracunt"):
a word boundary may fall between any two letters of a run, so whole-word
terms are also looked for inside each run, with a second automaton that holds
them unpadded and with their spaces removed ("s h u t u p" is "shut up").
Runs are rare, so this costs nothing on ordinary drafts.

Spans are offsets into the text exactly as typed (`NormalisedText.to_original`).

Note for the policy loader: `LexiconMatcher(...)` raises ValueError for a term
with nothing left to match after normalisation (":", "!!!", ""); call
`term_problem(term)` while validating a policy to report it at its file:line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import ahocorasick

from .normalise import NormalisedText, normalise

__all__ = ["LexiconEntry", "LexiconMatch", "LexiconMatcher", "term_problem"]


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
    """A compiled entry (or one of its squeezed variants) as stored in the automaton."""

    length: int  # length of the stored pattern, padding spaces included
    whole_word: bool
    long_runs: tuple[int, ...]  # offsets in the core that must be a squeezed run of 3+ in the draft
    entry: LexiconEntry


_LONG_RUN_MARKER = "long-run"
_MARKERS = [letter * 3 for letter in "abcdefghijklmnopqrstuvwxyz"]
_MAX_VARIANT_RUNS = 4  # a term with more doubled letters gets only the all-kept and all-squeezed variants

# Non-alphanumerics become spaces; ASCII through a fixed table, the rest through a lazy one.
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


class _Separators(dict[int, str]):
    """`str.translate` table for non-ASCII characters: letters, digits and marks stay, the rest become spaces."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = char if char.isalnum() or unicodedata.category(char).startswith("M") else " "
        if len(self) >= 50_000:
            self.clear()
        self[code] = value
        return value


_OTHER_SEPARATORS = _Separators()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_SPACES = re.compile(r"  +")
_SPACES_OR_LONG_RUN = re.compile(r"  +|([^\W\d_])\1{2,}")
_LETTER_RUN = re.compile(r"([^\W\d_])\1+")
_LONG_RUN = re.compile(r"([^\W\d_])\1{2,}")


def _blank_separators(view: str) -> tuple[str, bool]:
    """`view` with every non-alphanumeric as a space (same length); and whether it has non-ASCII letters."""
    if view.isascii():
        return view.translate(_ASCII_SEPARATORS), False
    pieces: list[str] = []
    last = 0
    other_letters = False
    for match in _NON_ASCII.finditer(view):
        a, b = match.span()
        pieces.append(view[last:a].translate(_ASCII_SEPARATORS))
        blanked = match.group().translate(_OTHER_SEPARATORS)
        other_letters = other_letters or not blanked.isspace()
        pieces.append(blanked)
        last = b
    pieces.append(view[last:].translate(_ASCII_SEPARATORS))
    return "".join(pieces), other_letters


def _skeleton(blanked: str, spots: re.Pattern[str]) -> tuple[str, list[int], frozenset[int]]:
    """Collapse the `spots` of `blanked` (space runs; letter runs if asked): the skeleton, the index
    in the view of each skeleton index (plus one past the end), and the indices of squeezed runs."""
    pieces: list[str] = []
    positions: list[int] = []
    long_runs: list[int] = []
    last = 0
    for match in spots.finditer(blanked):
        a, b = match.span()
        if a > last:
            pieces.append(blanked[last:a])
            positions.extend(range(last, a))
        letter = match.group(1) if spots.groups else None
        if letter:
            long_runs.append(len(positions))
        pieces.append(letter or " ")
        positions.append(a)
        last = b
    pieces.append(blanked[last:])
    positions.extend(range(last, len(blanked) + 1))
    return "".join(pieces), positions, frozenset(long_runs)


class LexiconMatcher:
    """All the terms of a policy compiled once into one automaton."""

    def __init__(self, entries: Iterable[LexiconEntry]) -> None:
        self._keys: set[Hashable] = set()
        grouped: dict[str, list[_Pattern]] = {}
        in_runs: dict[str, list[_Pattern]] = {}  # whole-word terms, unpadded, for inside spaced-letter runs
        seen: set[tuple[str, tuple[int, ...], Hashable, bool, bool]] = set()
        for entry in entries:
            self._check_entry(entry)
            core = _term_core(entry.term)
            if not core:
                raise ValueError(f"lexicon term {entry.term!r} (key {entry.key!r}) {_NOTHING_TO_MATCH}")
            for text, long_runs in _variants(core):
                pattern_text = f" {text} " if entry.whole_word else text
                identity = (pattern_text, long_runs, entry.key, entry.whole_word, entry.allow)
                if identity not in seen:
                    seen.add(identity)
                    grouped.setdefault(pattern_text, []).append(
                        _Pattern(len(pattern_text), entry.whole_word, long_runs, entry))
            if entry.whole_word:
                for text, long_runs in _variants(core.replace(" ", "")):
                    in_runs.setdefault(text, []).append(_Pattern(len(text), False, long_runs, entry))
            if not entry.allow:
                self._keys.add(entry.key)
        self._empty = not grouped
        self._automaton = _build_automaton(grouped)
        self._run_automaton = _build_automaton(in_runs) if in_runs else None

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

    def keys(self) -> set[Hashable]:
        """The keys that can produce matches (allow-only keys excluded)."""
        return set(self._keys)

    def find(self, text: str | NormalisedText) -> list[LexiconMatch]:
        """Every match of every term, sorted by (start, end), with allow-listed overlaps removed."""
        if self._empty:
            return []
        normalised = text if isinstance(text, NormalisedText) else normalise(text)
        blanked, other_letters = _blank_separators(normalised.text)
        skeleton = _collapse_spaces(blanked)
        hits = list(self._automaton.iter(f" {skeleton} "))
        if not hits and not other_letters and not normalised.spaced:
            return []
        positions = None if skeleton is blanked else _skeleton(blanked, _SPACES)[1]
        long_runs: frozenset[int] = frozenset()
        run_ends = [end for end, value in hits if value is _LONG_RUN_MARKER]
        if run_ends or (other_letters and _LONG_RUN.search(blanked)):
            # Rare: letters repeated three times or more. Match on a skeleton with those runs squeezed.
            if other_letters:
                skeleton, positions, long_runs = _skeleton(blanked, _SPACES_OR_LONG_RUN)
            else:
                if positions is not None:  # marker ends are in skeleton coordinates: map them to blanked ones
                    run_ends = [positions[end - 1] + 1 for end in run_ends]
                skeleton, positions, long_runs = _squeezed_skeleton(blanked, run_ends)
            hits = list(self._automaton.iter(f" {skeleton} "))
        found: list[tuple[int, int, LexiconEntry]] = []
        _collect(hits, positions, long_runs, normalised, found)
        if normalised.spaced and self._run_automaton is not None:
            self._find_in_runs(normalised, found)
        return _without_allowed(found) if found else []

    def _find_in_runs(self, normalised: NormalisedText, found: list[tuple[int, int, LexiconEntry]]) -> None:
        """Whole-word terms inside spaced-letter runs, where a word may start or end at any letter."""
        assert self._run_automaton is not None
        for run_start, run_end in normalised.spaced:
            blanked, _ = _blank_separators(normalised.text[run_start:run_end])
            skeleton, positions, long_runs = _skeleton(blanked, _SPACES_OR_LONG_RUN)
            hits = list(self._run_automaton.iter(f" {skeleton} "))
            if hits:
                _collect(hits, [run_start + p for p in positions], long_runs, normalised, found)


_NOTHING_TO_MATCH = (
    "has no letters or digits left to match after normalisation; remove it or write it with letters"
)


def _term_core(term: str) -> str:
    """The skeleton of a term: normalised, punctuation as single spaces, trimmed."""
    blanked, _ = _blank_separators(normalise(term).text)
    return _collapse_spaces(blanked).strip(" ")


def term_problem(term: str) -> str | None:
    """Why `term` cannot be a lexicon term (a sentence to show the policy author), or None if it can."""
    if not isinstance(term, str):
        return f"must be a string, not {type(term).__name__}"
    return None if _term_core(term) else _NOTHING_TO_MATCH


def _collapse_spaces(blanked: str) -> str:
    """`blanked` with every run of spaces made one space (the same object when there is none)."""
    if "  " not in blanked:
        return blanked
    collapsed = blanked.replace("  ", " ")
    while "  " in collapsed:
        collapsed = collapsed.replace("  ", " ")
    return collapsed


def _collect(
    hits: list[tuple[int, object]],
    positions: list[int] | None,
    long_runs: frozenset[int],
    normalised: NormalisedText,
    found: list[tuple[int, int, LexiconEntry]],
) -> None:
    """Turn automaton hits into original spans; `positions` maps skeleton to view (None: the same)."""
    for end_index, patterns in hits:
        if patterns is _LONG_RUN_MARKER:
            continue
        for pattern in patterns:  # type: ignore[attr-defined]
            begin = end_index - pattern.length + 1
            start, stop = (begin, end_index - 1) if pattern.whole_word else (begin - 1, end_index)
            if pattern.long_runs and not all(start + offset in long_runs for offset in pattern.long_runs):
                continue
            if positions is not None:
                start, stop = positions[start], positions[stop]
            orig_start, orig_end = normalised.to_original(start, stop)
            found.append((orig_start, orig_end, pattern.entry))


def _squeezed_skeleton(blanked: str, run_ends: list[int]) -> tuple[str, list[int], frozenset[int]]:
    """Like `_skeleton(blanked, _SPACES_OR_LONG_RUN)`, but taking the letter runs from the ends of
    tripled-letter marker hits (indices into " blanked "), which saves a slow regex scan."""
    spots: list[tuple[int, int, str]] = [(m.start(), m.end(), " ") for m in _SPACES.finditer(blanked)]
    run_start = run_end = -1
    for end in run_ends:  # in increasing order; a run of n letters gives n - 2 overlapping hits
        start = end - 3  # the marker covers blanked[end - 3 : end]
        if start < run_end:
            run_end = end
            continue
        if run_end > 0:
            spots.append((run_start, run_end, blanked[run_start]))
        run_start, run_end = start, end
    if run_end > 0:
        spots.append((run_start, run_end, blanked[run_start]))
    spots.sort()
    pieces: list[str] = []
    positions: list[int] = []
    long_runs: list[int] = []
    last = 0
    for a, b, replacement in spots:
        if a > last:
            pieces.append(blanked[last:a])
            positions.extend(range(last, a))
        if replacement != " ":
            long_runs.append(len(positions))
        pieces.append(replacement)
        positions.append(a)
        last = b
    pieces.append(blanked[last:])
    positions.extend(range(last, len(blanked) + 1))
    return "".join(pieces), positions, frozenset(long_runs)


def _build_automaton(grouped: dict[str, list[_Pattern]]) -> ahocorasick.Automaton:
    """One automaton over the grouped patterns, plus the tripled-letter markers."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for pattern_text, patterns in grouped.items():
        automaton.add_word(pattern_text, tuple(patterns))
    for marker in _MARKERS:
        automaton.add_word(marker, _LONG_RUN_MARKER)
    automaton.make_automaton()
    return automaton


def _variants(core: str) -> list[tuple[str, tuple[int, ...]]]:
    """The forms of a term core stored in an automaton: as written and with its letter runs squeezed
    (each with the offsets that must be squeezed runs of 3+ in the draft)."""
    runs = [(m.start(), m.end()) for m in _LETTER_RUN.finditer(core)]
    doubles = [run for run in runs if run[1] - run[0] == 2]
    if len(doubles) <= _MAX_VARIANT_RUNS:
        choices = [frozenset(d for i, d in enumerate(doubles) if mask >> i & 1) for mask in range(1 << len(doubles))]
    else:
        choices = [frozenset(), frozenset(doubles)]
    return [_squeeze(core, [r for r in runs if r[1] - r[0] > 2 or r in squeezed]) for squeezed in choices]


def _squeeze(core: str, runs: list[tuple[int, int]]) -> tuple[str, tuple[int, ...]]:
    """`core` with each of `runs` squeezed to one letter, and the offsets of the squeezed letters."""
    pieces: list[str] = []
    offsets: list[int] = []
    last = 0
    length = 0
    for a, b in runs:
        pieces.append(core[last:a])
        length += a - last
        offsets.append(length)
        pieces.append(core[a])
        length += 1
        last = b
    pieces.append(core[last:])
    return "".join(pieces), tuple(offsets)


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
