"""Per-character folding: NFKC, marks stripped, homoglyphs, case, invisibles.

Each character of a draft folds on its own (cached), so every output
character can be traced back to the character the person typed.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs.confusables import confusables_data

# Characters that render as nothing (or as a blank) and are used to split words
# invisibly. Every format character (category Cf: ZWSP, ZWNJ, ZWJ, WJ, soft
# hyphen, BOM, bidi controls, tag characters, invisible operators) is dropped
# as well; these are the invisible ones outside that category.
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u180e\u034f")
_BLANKS = frozenset("\u2800")  # Braille blank: looks like a space, so it reads as one

# Fold results: the folded text and whether a dropped character belongs to the
# character before it (a combining mark) rather than standing alone.
DROPPED_ALONE = ("", False)
DROPPED_ATTACHED = ("", True)

_MARK_CATEGORIES = frozenset({"Mn", "Me"})


def _build_homoglyphs() -> dict[str, str]:
    """Map each non-ASCII lookalike of a Latin letter to that lower-case letter."""
    table: dict[str, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii() or unicodedata.category(char) == "Nd":
            continue
        letters = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalpha()]
        if not letters:
            continue
        target = letters[0].lower()
        if target == "l" and char.lower() != char:
            target = "i"  # upper-case lookalikes of "I" (Cyrillic І, Greek Ι) read as i
        table[char] = target
    return table


HOMOGLYPHS: dict[str, str] = _build_homoglyphs()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    if all(unicodedata.category(c) not in _MARK_CATEGORIES for c in decomposed):
        return text
    stripped = "".join(c for c in decomposed if unicodedata.category(c) not in _MARK_CATEGORIES)
    return unicodedata.normalize("NFC", stripped)


def _homoglyphs(text: str) -> str:
    return "".join(HOMOGLYPHS.get(c, c) for c in text)


def fold_char_uncached(char: str) -> tuple[str, bool]:
    """Fold one character: returns (folded text, attaches to previous character)."""
    category = unicodedata.category(char)
    if category == "Cf" or char in _INVISIBLE_EXTRA:
        return DROPPED_ALONE
    if category in _MARK_CATEGORIES:
        return DROPPED_ATTACHED
    if char in _BLANKS:
        return (" ", False)
    text = unicodedata.normalize("NFKC", char)
    text = _homoglyphs(_strip_marks(text))  # before case folding: Cyrillic В looks like B, в does not
    text = _homoglyphs(_strip_marks(text.casefold()))
    text = "".join(c for c in text if unicodedata.category(c) != "Cf" and c not in _INVISIBLE_EXTRA)
    return (text, False)


_CACHE: dict[str, tuple[str, bool]] = {}
_CACHE_LIMIT = 50_000


def fold_char(char: str) -> tuple[str, bool]:
    """Cached `fold_char_uncached` (bounded, so hostile input cannot grow it forever)."""
    found = _CACHE.get(char)
    if found is None:
        found = fold_char_uncached(char)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[char] = found
    return found


# Stands in, in a quick first fold, for a character that does not fold to exactly
# one character (dropped or expanded); a private-use character, which itself is
# marked this way so that typing it cannot fool the check.
IRREGULAR = "\ue000"


class _OneToOne(dict[int, str]):
    """`str.translate` table: code point -> its one-character fold, or IRREGULAR (filled lazily)."""

    def __missing__(self, code: int) -> str:
        folded, _ = fold_char(chr(code))
        value = folded if len(folded) == 1 and folded != IRREGULAR else IRREGULAR
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[code] = value
        return value


ONE_TO_ONE = _OneToOne()
