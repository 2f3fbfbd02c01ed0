"""Literals a regex cannot match without: a cheap test that skips most regex scans.

`required_literals(pattern, flags)` reads the pattern's parse tree and returns
a set of lower-case strings of which every match contains at least one (or
None when no such set is known). For ASCII text, `any(s in text.lower() for s
in literals)` is then a necessary condition for a match, case-insensitive or
not: a substring equal to a literal (exactly, or ignoring case) lower-cases
to that literal. Python's own regex engine has no such prefilter for
patterns that start with `\\b` or an alternation, and scans them character by
character; `str.__contains__` is far faster.

Rules of the walk: consecutive single characters (literals and small sets,
across zero-width assertions such as `\\b` or lookarounds) multiply into
strings; an alternation needs one of its branches' literals; a repeat needs its
body's literals only when it must occur at least once; of all the candidate
sets of a sequence, the one whose commonest string is rarest wins.
"""

from __future__ import annotations

import re
from itertools import product
from typing import Any

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as P
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

__all__ = ["required_literal_sets", "required_literals"]

_MAX_SET = 12  # the most characters a class may have to count as "one of these characters"
_MAX_STRINGS = 64  # the most strings a candidate may have
_ZERO_WIDTH = {C.AT, C.ASSERT, C.ASSERT_NOT}
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT)}

Literals = frozenset[str]


def required_literals(pattern: str, flags: int = 0) -> Literals | None:
    """Lower-case strings of which every match of `pattern` contains one, or None if unknown."""
    found = required_literal_sets(pattern, flags)
    return found[0] if found else None


def required_literal_sets(pattern: str, flags: int = 0, most: int = 3) -> tuple[Literals, ...]:
    """Up to `most` sets of lower-case strings, rarest first: every match contains one string of each set."""
    try:
        parsed = P.parse(pattern, flags)
        candidates = _candidates(list(parsed))
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        return ()
    return tuple(sorted(candidates, key=_score, reverse=True)[:most])


def _chars(op: Any, av: Any) -> set[str] | None:
    """The characters one item may match, when it matches exactly one from a small set."""
    if op is C.LITERAL:
        chars = {chr(av).lower()}
    elif op is C.IN:
        chars = set()
        for item_op, item_av in av:
            if item_op is C.LITERAL:
                chars.add(chr(item_av).lower())
            elif item_op is C.RANGE and item_av[1] - item_av[0] < _MAX_SET:
                chars.update(chr(c).lower() for c in range(item_av[0], item_av[1] + 1))
            else:
                return None  # a negated set, a category (\d, \w), a wide range
        if len(chars) > _MAX_SET:
            return None
    else:
        return None
    # Non-ASCII characters are left out: ignoring case, "ſ" matches "s", which lower() does not say.
    return chars if all(c.isascii() for c in chars) else None


def _rarity(literal: str) -> int:
    """Longer is rarer; a symbol ("*", "%") is rarer than a letter."""
    return len(literal) + 2 * (not literal.isalnum())


def _score(candidate: Literals) -> tuple[int, int]:
    """Better when its commonest string is rarer, then when it has fewer strings."""
    return min(map(_rarity, candidate)), -len(candidate)


def _sequence(items: list[tuple[Any, Any]]) -> Literals | None:
    """The best candidate of a sequence, or None."""
    candidates = _candidates(items)
    return max(candidates, key=_score) if candidates else None


def _candidates(items: list[tuple[Any, Any]]) -> list[Literals]:
    """Every set of literals the sequence cannot match without."""
    candidates: list[Literals] = []
    chain: set[str] = set()

    def close() -> None:
        nonlocal chain
        if chain:
            candidates.append(frozenset(chain))
        chain = set()

    def extend(chars: set[str]) -> None:
        nonlocal chain
        grown = {a + b for a, b in product(chain or {""}, chars)}
        if len(grown) > _MAX_STRINGS:
            close()
            grown = set(chars)
        chain = grown

    for op, av in items:
        if op in _ZERO_WIDTH:
            continue  # matches no characters: the characters around it are still adjacent
        chars = _chars(op, av)
        if chars is not None:
            extend(chars)
            continue
        if op in _REPEATS:
            low, high, body = av
            body_items = list(body)
            single = _chars(*body_items[0]) if len(body_items) == 1 else None
            if low >= 1 and single is not None:
                extend(single)
                if high != 1 or low != 1:
                    close()  # more may follow: what comes next is not adjacent to this character
                continue
            close()
            inner = _sequence(body_items) if low >= 1 else None
            if inner is not None:
                candidates.append(inner)
            continue
        close()
        inner = _group(op, av)
        if inner is not None:
            candidates.append(inner)
    close()
    return candidates


def _group(op: Any, av: Any) -> Literals | None:
    """The literals of a group or an alternation (None for anything else)."""
    if op is C.SUBPATTERN:
        return _sequence(list(av[-1]))
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _sequence(list(av))
    if op is C.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _sequence(list(branch))
            if found is None:
                return None
            union.update(found)
            if len(union) > _MAX_STRINGS * 4:
                return None
        return frozenset(union)
    return None
