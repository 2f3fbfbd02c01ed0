"""tone (capitals, runs of !/?) and accessibility (hashtag count and case, emoji runs)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from .base import CompiledRule, RuleMeta, Scan, Span

_ASCII = bytes(range(128))
_NOT_UPPER = bytes(b for b in _ASCII if not chr(b).isupper())
_NOT_ALPHA = bytes(b for b in _ASCII if not chr(b).isalpha())
_CAPS_WORD = re.compile(r"[^\W\d_]*[A-Z][^\W\d_]*")
_PUNCT = "!?\uff01\uff1f\u203c\u2047\u2048\u2049"


class CapitalsRule(CompiledRule):
    """Shouting: more than `max_ratio` of the letters are capitals (with at least `min_letters` letters).

    The spans mark the words written wholly in capitals.
    """

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.max_ratio = body.max_ratio
        self.min_letters = body.min_letters

    def evaluate(self, scan: Scan) -> list[Span] | None:
        text = scan.text
        if text.isascii():  # fast path: count with bytes.translate
            raw = text.encode("ascii")
            upper = len(raw.translate(None, _NOT_UPPER))
        else:
            upper = sum(map(str.isupper, text))
        if upper <= self.max_ratio * self.min_letters:
            return None  # too few capitals to be over the ratio with enough letters
        letters = len(raw.translate(None, _NOT_ALPHA)) if text.isascii() else sum(map(str.isalpha, text))
        if letters < self.min_letters or upper / letters <= self.max_ratio:
            return None
        spans: list[Span] = []
        for match in _CAPS_WORD.finditer(text):
            if match.end() - match.start() < 2 or not match.group().isupper():
                continue
            start, end = match.span()
            if spans and not any(c.isalpha() for c in text[spans[-1][1]:start]):
                spans[-1] = (spans[-1][0], end)  # one span for a run of shouted words
            else:
                spans.append((start, end))
        return spans


class PunctuationRule(CompiledRule):
    """Runs of `!` and `?` longer than `max_run` ("!!!", "?!?!")."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.pattern = re.compile(f"[{_PUNCT}]{{{body.max_run + 1},}}")

    def evaluate(self, scan: Scan) -> list[Span] | None:
        text = scan.text
        if "!" not in text and "?" not in text and not any(c in text for c in _PUNCT[2:]):
            return None
        spans = [m.span() for m in self.pattern.finditer(text)]
        return spans or None


class HashtagCountRule(CompiledRule):
    """More than `max` hashtags; the ones past the limit are marked."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.max = body.max

    def evaluate(self, scan: Scan) -> list[Span] | None:
        tags = scan.hashtags
        if len(tags) <= self.max:
            return None
        return [m.span() for m in tags[self.max:]]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The small bundled word list used to split hashtags into words."""
    text = resources.files("reviewer.policy").joinpath("data/words.txt").read_text(encoding="utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        if not line.startswith("#"):
            words.update(w.lower() for w in line.split() if len(w) >= 2)
    return frozenset(words)


LONG_HASHTAG = 15


@lru_cache(maxsize=4096)
def is_multiword(letters: str) -> bool:
    """True when a one-case run of letters reads as several words.

    A listed word is one word. Otherwise the run is multi-word when it splits
    wholly into two or more listed words (`mentalhealthweek`, `VOTENOW`), or
    when it is 15 letters or more (few single English words are that long).
    """
    word = letters.lower()
    words = english_words()
    if word in words:
        return False
    return len(word) >= LONG_HASHTAG or _splits(word, words)


def _splits(word: str, words: frozenset[str]) -> bool:
    """True when `word` is a concatenation of listed words."""
    ends = [True] + [False] * len(word)
    for end in range(2, len(word) + 1):
        for start in range(max(0, end - 20), end - 1):
            if ends[start] and word[start:end] in words:
                ends[end] = True
                break
    return ends[-1]


class HashtagCaseRule(CompiledRule):
    """Multi-word hashtags in one case: screen readers cannot split `#mentalhealthweek`.

    Each run of letters in the tag is checked; a tag with any case change
    (CamelCase), or words split by `_` or digits into known words, passes.
    """

    _LETTER_RUN = re.compile(r"[^\W\d_]+")

    def evaluate(self, scan: Scan) -> list[Span] | None:
        spans = []
        for tag in scan.hashtags:
            for run in self._LETTER_RUN.findall(tag.group(1)):
                if (run.islower() or run.isupper()) and len(run) >= 4 and is_multiword(run):
                    spans.append(tag.span())
                    break
        return spans or None


# Any character _is_emoji accepts: a quick test before the character walk.
_ANY_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]")


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (0x1F300 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x1F000 <= code <= 0x1F2FF
            or 0x2B00 <= code <= 0x2BFF or 0x2300 <= code <= 0x23FF)


# Characters that join or modify an emoji without starting a new one.
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


def _is_modifier(ch: str) -> bool:
    return ch in _JOINERS or 0x1F3FB <= ord(ch) <= 0x1F3FF or 0xE0020 <= ord(ch) <= 0xE007F


class EmojiRunRule(CompiledRule):
    """More than `max` emoji in a row: each is read out by name by screen readers.

    A ZWJ sequence, skin-tone or flag counts as one emoji; spaces break a run.
    """

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.max = body.max

    def evaluate(self, scan: Scan) -> list[Span] | None:
        text = scan.text
        if text.isascii() or _ANY_EMOJI.search(text) is None:
            return None
        spans = []
        run_start = -1
        count = 0
        index = 0
        previous = ""
        flag_half = False
        for index, ch in enumerate(text):
            if _is_modifier(ch):
                if run_start < 0:
                    count, flag_half = 0, False
            elif _is_emoji(ch):
                regional = 0x1F1E6 <= ord(ch) <= 0x1F1FF
                if previous == "\u200d" or (regional and flag_half):
                    flag_half = False
                else:
                    if run_start < 0:
                        run_start = index
                    count += 1
                    flag_half = regional
            else:
                if count > self.max:
                    spans.append((run_start, index))
                run_start, count, flag_half = -1, 0, False
            previous = ch
        if count > self.max:
            spans.append((run_start, len(text)))
        return spans or None
