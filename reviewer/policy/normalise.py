"""The normalised view of a draft that term matching runs on, with a map back.

Evasion folded away, in order:

1. per character (see `_text.fold`): Unicode NFKC, combining marks stripped
   ("ïdiot"), homoglyphs folded with `confusable_homoglyphs` (Cyrillic "іdіot",
   fullwidth), case folding, zero-width and other invisible characters removed
   (ZWSP, ZWNJ, ZWJ, WJ, soft hyphen, BOM, variation selectors, bidi controls,
   tag characters);
2. spaced letters joined: a run of at least three single characters separated
   by one and the same separator ("s t u p i d", "s.t.u.p.i.d", "s-t-u-p-i-d")
   becomes one word, when at least two of them are letters. Where the runs
   are is kept (`NormalisedText.spaced`): a one-letter word typed before a
   spaced word joins the run ("a s t u p i d" -> "astupid"), so inside a run
   the lexicon matcher allows a word boundary between any two letters;
3. leetspeak inside words: `$`, `@` and `!` (not at the end of a word) fold to
   s, a, i in any word with a letter; digits (0 1 3 4 5 7 8 9) fold only in
   words with at least two letters ("1d10t", "5h1t"), so numbers ("2026",
   "0800 123 456") and codes such as the road "A55" keep their digits.

Repeated letters ("stuuupid") are left in this view: the lexicon matcher
compares letter runs itself, so that "as" never matches the term "ass".

`NormalisedText.to_original` maps a span of the view back to the characters
the person typed, including invisible characters and separators inside it.

Speed: plain ASCII (most drafts) is just lower-cased; other text first folds
through a one-to-one `str.translate` table and only takes the per-character
path (which keeps a position map) when a character is dropped or expands.
The spaced-letter and leetspeak passes run only behind cheap pre-checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._text.fold import IRREGULAR, ONE_TO_ONE, fold_char

__all__ = ["NormalisedText", "normalise"]


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A draft and its normalised view; `_starts`/`_ends` map view characters to the original.

    `_starts[i]`/`_ends[i]` are the original span of view character `i`; both
    are None when the view maps one-to-one onto the original (plain ASCII).
    `spaced` holds the [start, end) spans of `text` that were spaced-letter runs.
    """

    original: str
    text: str
    spaced: tuple[tuple[int, int], ...] = ()
    _starts: list[int] | None = field(default=None, repr=False, compare=False)
    _ends: list[int] | None = field(default=None, repr=False, compare=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map [start, end) in `text` to the smallest [s, e) of `original` covering those characters."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(
                f"span [{start}, {end}) is not a non-empty span of the normalised text (length {len(self.text)})"
            )
        if self._starts is None or self._ends is None:
            return start, end
        return self._starts[start], self._ends[end - 1]


_ASCII_OR_CHAR = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

_ELEMENT = r"(?:[^\W_]|[$@])"
_SEPARATORS = r"[ .\-_*~/|+:\u00b7\u2022]"
# A cheap necessary condition for _SPACED (two single characters in a row), searched on " view ".
_SPACED_HINT = re.compile(rf"[\W_]{_ELEMENT}{_SEPARATORS}{_ELEMENT}[\W_]")
# The same condition for ASCII text, by shape: x = element, s = separator, o = anything else.
_SHAPES = str.maketrans(
    {chr(c): "x" if chr(c).isalnum() or chr(c) in "$@" else "s" if chr(c) in " .-_*~/|+:" else "o" for c in range(128)}
)
_SPACED_SHAPES = (re.compile("sxsx[so]"), re.compile("oxsx[so]"))  # a literal first: fast to search
_SPACED = re.compile(
    rf"(?<![^\W_])(?<![$@]){_ELEMENT}({_SEPARATORS}){_ELEMENT}(?:\1{_ELEMENT})+(?!{_ELEMENT})"
)

_LEET_CHARS = re.compile(r"[0-9$@!]+")
_BANG_IN_WORD = re.compile(r"![^\W_]|![$@]")
_LEET_SYMBOLS = str.maketrans({"$": "s", "@": "a", "!": "i"})
_LEET_ALL = str.maketrans(
    {"$": "s", "@": "a", "!": "i", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
)


def normalise(text: str) -> NormalisedText:
    """Fold `text` into the view that term matching runs on (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"normalise() needs a str, got {type(text).__name__}")
    starts: list[int] | None = None
    ends: list[int] | None = None
    spaced: tuple[tuple[int, int], ...] = ()
    if text.isascii():
        view = text.lower()
    else:
        view = _fold_one_to_one(text)
        if IRREGULAR in view:
            view, starts, ends = _fold_characters(text)
    if _may_have_spaced_letters(view):
        view, starts, ends, spaced = _join_spaced_letters(view, starts, ends)
    if _may_have_leet(view):
        view = _fold_leet(view)  # same length: `spaced` still holds
    return NormalisedText(text, view, spaced, starts, ends)


def _may_have_spaced_letters(view: str) -> bool:
    """Whether two single characters stand in a row ("a b"), which a spaced-out word needs."""
    padded = f" {view} "
    if not padded.isascii():
        return _SPACED_HINT.search(padded) is not None
    shape = padded.translate(_SHAPES)
    return any(pattern.search(shape) for pattern in _SPACED_SHAPES)


def _may_have_leet(view: str) -> bool:
    """Whether `view` has a digit, `$`, `@`, or a `!` before a letter (single-character searches are fast)."""
    for char in "0123456789$@":
        if char in view:
            return True
    return "!" in view and _BANG_IN_WORD.search(view) is not None


def _fold_one_to_one(text: str) -> str:
    """Fold a text whose characters each fold to exactly one character; IRREGULAR marks the others."""
    pieces: list[str] = []
    last = 0
    for match in _NON_ASCII.finditer(text):
        a, b = match.span()
        pieces.append(text[last:a].lower())
        pieces.append(match.group().translate(ONE_TO_ONE))
        last = b
    pieces.append(text[last:].lower())
    return "".join(pieces)


def _fold_characters(text: str) -> tuple[str, list[int], list[int]]:
    """Fold character by character (ASCII stretches in bulk), recording original spans."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in _ASCII_OR_CHAR.finditer(text):
        a, b = match.span()
        chunk = match.group()
        if chunk.isascii():
            pieces.append(chunk.lower())
            starts.extend(range(a, b))
            ends.extend(range(a + 1, b + 1))
            continue
        folded, attached = fold_char(chunk)
        if folded:
            pieces.append(folded)
            starts.extend([a] * len(folded))
            ends.extend([b] * len(folded))
        elif attached and ends:
            ends[-1] = b  # a combining mark belongs to the letter it decorates
    return "".join(pieces), starts, ends


def _join_spaced_letters(
    view: str, starts: list[int] | None, ends: list[int] | None
) -> tuple[str, list[int] | None, list[int] | None, tuple[tuple[int, int], ...]]:
    """Drop the separators inside runs of spaced single letters ("s t u p i d"); also return
    the spans of the joined runs in the new view."""
    dropped: list[int] = []
    runs: list[tuple[int, int]] = []
    for match in _SPACED.finditer(view):
        run = match.group()
        elements = run[::2]
        if sum(map(str.isalpha, elements)) < 2:
            continue
        start = match.start() - len(dropped)
        runs.append((start, start + len(elements)))
        dropped.extend(range(match.start() + 1, match.end(), 2))
    if not dropped:
        return view, starts, ends, ()
    if starts is None or ends is None:
        starts = list(range(len(view)))
        ends = list(range(1, len(view) + 1))
    drop = set(dropped)
    keep = [i for i in range(len(view)) if i not in drop]
    joined = "".join(view[i] for i in keep)
    return joined, [starts[i] for i in keep], [ends[i] for i in keep], tuple(runs)


def _fold_leet(view: str) -> str:
    """Fold leetspeak in words that have letters; leave plain numbers alone.

    A word is a run of letters, digits, `$`, `@` and `!`, less any `!` at its
    end (that is punctuation: "idiot!").
    """
    pieces: list[str] = []
    copied = scanned = 0
    size = len(view)
    for match in _LEET_CHARS.finditer(view):
        if match.start() < scanned:
            continue
        start, end = match.start(), match.end()
        while start > 0 and (view[start - 1].isalnum() or view[start - 1] in "$@!"):
            start -= 1
        while end < size and (view[end].isalnum() or view[end] in "$@!"):
            end += 1
        scanned = end
        while end > start and view[end - 1] == "!":
            end -= 1
        word = view[start:end]
        letters = sum(map(str.isalpha, word))
        if not letters:
            continue
        folded = word.translate(_LEET_ALL if letters >= 2 else _LEET_SYMBOLS)
        if folded != word:
            pieces.append(view[copied:start])
            pieces.append(folded)
            copied = end
    if not pieces:
        return view
    pieces.append(view[copied:])
    return "".join(pieces)
