"""Python's `\\b` and `\\B` written for RE2, whose word boundary knows only ASCII word characters.

Python's `\\b` (on text) is a change between a Unicode word character
(`str.isalnum()` or `_`) and anything else; RE2's looks at `[0-9A-Za-z_]`
only. The two agree unless a non-ASCII word character ("é", "ā", "٣") is
next to the boundary. Often the pattern itself says what that character is:

- a literal or small class on both sides decides the boundary outright;
- a non-ASCII word character on one side (`Café\\b`, `\\bÉcole`): RE2 sees a
  non-word character there, so Python's `\\b` is RE2's `\\B` (and back);
- an ASCII letter or a non-word character on one side: RE2's `\\b` is right;
- a repeat touching the boundary has its last (or first) repetition set
  apart (`\\w+\\b` as `\\w*\\w\\b`; `\\b\\w+\\b` as `\\b(?:\\w\\w*\\w|\\w)\\b`),
  the same matches in the same order;
- a group, alternation or class whose edge mixes these (`(?:Cafe|Café)\\b`,
  which Python's parser makes `Caf[eé]\\b`): the boundary moves inside, onto
  each alternative (`Caf(?:e\\b|é\\B)`; `\\w` splits into its ASCII and other
  characters), which matches the same text with the same priority.

What stays different: the character on the side the pattern does not
spell out is itself a non-ASCII word character ("éWe" has a boundary before
`W` for RE2, not for Python). docs/policy-format.md says so.
"""

from __future__ import annotations

from typing import Any

try:  # Python 3.11+
    from re import _constants as C
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]

from .char_sets import WORD_ASCII, category, class_ranges, complement, intersection

__all__ = ["pushed_in", "write"]

NEVER = r"[^\x{0}-\x{10FFFF}]"  # matches nothing: a boundary that cannot hold there
_MAX_CHARS = 256  # a class with more characters is not looked into
_FOLD_PAIRS = {"k": "\u212a", "s": "\u017f", "i": "\u0130\u0131"}  # ignoring case, these cross the ASCII line
_CROSS_FOLDS = {**_FOLD_PAIRS, **{other: ascii_letter for ascii_letter, others in _FOLD_PAIRS.items()
                                  for other in others}}
Items = list[tuple[Any, Any]]


def write(boundary: bool, before: Items, after: Items, ignorecase: bool) -> str:
    """RE2 for `\\b` (boundary=True) or `\\B`, between the pattern items `before` and `after`."""
    resolved = _resolved(boundary, before, after, ignorecase)
    return (r"\b" if boundary else r"\B") if resolved is None else resolved


def pushed_in(items: Items, ignorecase: bool) -> Items:
    """`items` with each boundary that its neighbours do not settle moved into a neighbouring group or
    alternation, onto each alternative (where a literal may settle it)."""
    out = list(items)
    i = 0
    while i < len(out):
        op, av = out[i]
        if op is C.AT and av in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY) and _resolved(
                av is C.AT_BOUNDARY, out[:i], out[i + 1:], ignorecase) is None:
            if (i + 2 < len(out) and out[i + 2][0] is C.AT and out[i + 2][1] in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY)
                    and (ends := _ends_apart(*out[i + 1])) is not None):
                out[i + 1:i + 2] = [ends]  # a repeat between two boundaries: both of its ends set apart
                continue
            if i > 0 and (moved := _moved_in(out[i - 1], (op, av), True, ignorecase)) is not None:
                out[i - 1:i + 1] = [moved]
                continue
            if i + 1 < len(out) and (moved := _moved_in(out[i + 1], (op, av), False, ignorecase)) is not None:
                out[i:i + 2] = [moved]
                continue
            if i > 0 and (apart := _last_one_apart(*out[i - 1], at_end=True)) is not None:
                out[i - 1:i] = apart
                continue  # the boundary, now one further on, is looked at again
            if i + 1 < len(out) and (apart := _last_one_apart(*out[i + 1], at_end=False)) is not None:
                out[i + 1:i + 2] = apart
                continue
        i += 1
    return out


def _moved_in(group: tuple[Any, Any], at: tuple[Any, Any], at_end: bool, ignorecase: bool) -> tuple[Any, Any] | None:
    op, av = _split_class(*group, ignorecase) or group
    if op is C.SUBPATTERN:
        number, add, remove, body = av
        if add & C.SRE_FLAG_ASCII or remove & C.SRE_FLAG_ASCII or add & C.SRE_FLAG_UNICODE:
            return None  # the boundary would change meaning inside
        items = list(body) + [at] if at_end else [at] + list(body)
        return (op, (number, add, remove, items))
    if op is C.BRANCH:
        return (op, (av[0], [list(b) + [at] if at_end else [at] + list(b) for b in av[1]]))
    return None


def _split_class(op: Any, av: Any, ignorecase: bool) -> tuple[Any, Any] | None:
    """A class mixing ASCII word characters, other word characters and non-word ones (Python's parser
    makes `Cafe|Café` into `Caf[eé]`; `\\w` is one) as an alternation of one class per kind, or None."""
    if op is not C.IN:
        return None
    chars = _chars(op, av, True, False, exact=True)
    if chars:
        groups: dict[str | None, list[str]] = {}
        for c in sorted(chars):
            groups.setdefault(_kind(_folded({c}, ignorecase)), []).append(c)
        parts = [[(C.LITERAL, ord(c)) for c in group] for group in groups.values()]
    else:
        negate, ranges = class_ranges(av, False)
        if negate and ignorecase:
            return None  # RE2 must fold before negating: the class has to stay negated
        members = complement(tuple(ranges)) if negate else ranges
        parts = [[(C.RANGE, r) for r in intersection(members, kind())] for kind in _KINDS]
        parts = [part for part in parts if part]
    if len(parts) < 2:
        return None
    return (C.BRANCH, (None, [[(C.IN, part)] for part in parts]))


def _ends_apart(op: Any, av: Any) -> tuple[Any, Any] | None:
    """`x{m,n}` between two boundaries as `(?:x x{m-2,n-2} x|x)`: its first and last repetitions on their
    own (one alternative for a single repetition), the same matches in the same order."""
    if op not in (C.MAX_REPEAT, C.MIN_REPEAT) or av[0] < 1:
        return None
    low, high, body = av
    items = list(body)
    one = items[0] if len(items) == 1 else (C.SUBPATTERN, (None, 0, 0, items))
    unbounded = high is C.MAXREPEAT or high == C.MAXREPEAT
    if not unbounded and high == 1:
        return one
    middle = [] if not unbounded and high == 2 else [(op, (max(low - 2, 0), high if unbounded else high - 2, body))]
    several = [one, *middle, one]
    if low >= 2:
        return (C.SUBPATTERN, (None, 0, 0, several))
    alternatives = [[one], several] if op is C.MIN_REPEAT else [several, [one]]  # lazy: fewest first
    return (C.BRANCH, (None, alternatives))


def _last_one_apart(op: Any, av: Any, at_end: bool) -> list[tuple[Any, Any]] | None:
    """`x{m,n}` as `x{m-1,n-1}x` (or `xx{m-1,n-1}` at its start): the same matches in the same order,
    with the one repetition that touches the boundary on its own (then split or pushed into)."""
    if op not in (C.MAX_REPEAT, C.MIN_REPEAT) or av[0] < 1:
        return None
    low, high, body = av
    items = list(body)
    one = items[0] if len(items) == 1 else (C.SUBPATTERN, (None, 0, 0, items))
    rest_high = high if high is C.MAXREPEAT or high == C.MAXREPEAT else high - 1
    rest = [] if rest_high == 0 else [(op, (low - 1, rest_high, body))]
    return rest + [one] if at_end else [one] + rest


def _resolved(boundary: bool, before: Items, after: Items, ignorecase: bool) -> str | None:
    """The RE2 text for the boundary when the neighbours settle it, else None."""
    left = _kind(_edge(before, True, ignorecase))
    right = _kind(_edge(after, False, ignorecase))
    left_word, right_word = _wordness(left), _wordness(right)
    if left_word is not None and right_word is not None:
        holds = (left_word != right_word) == boundary
        return "" if holds else NEVER
    if "other" in (left, right):  # RE2 takes that side's character for a non-word character
        return r"\B" if boundary else r"\b"
    if left in ("ascii", "none") or right in ("ascii", "none"):
        return r"\b" if boundary else r"\B"
    return None


def _wordness(kind: str | None) -> bool | None:
    if kind in ("ascii", "other", "word"):
        return True
    return False if kind == "none" else None


def _kind(chars: set[str] | None) -> str | None:
    """"ascii" (ASCII word characters), "other" (other word characters), "none" (no word character),
    "word" (word characters of both kinds), or None (a mix of word and non-word, or unknown)."""
    if not chars:
        return None
    kinds = {("ascii" if c.isascii() else "other") if c.isalnum() or c == "_" else "none" for c in chars}
    if len(kinds) == 1:
        return kinds.pop()
    return "word" if "none" not in kinds else None


def _edge(items: Items, last: bool, ignorecase: bool) -> set[str] | None:
    """The characters the item next to the boundary may match there (zero-width items skipped), or None."""
    for op, av in reversed(items) if last else items:
        if op is C.AT:
            continue
        return _chars(op, av, last, ignorecase)
    return None


def _chars(op: Any, av: Any, last: bool, ignorecase: bool, exact: bool = False) -> set[str] | None:
    """The characters the item may match at its start (or `last` character), or None when unknown; for a
    wide class, unless `exact`, one character of each kind it holds (all that _kind needs)."""
    if op is C.LITERAL:
        return _folded({chr(av)}, ignorecase)
    if op is C.IN:
        chars: set[str] = set()
        for item_op, item_av in av:
            if item_op is C.LITERAL:
                chars.add(chr(item_av))
            elif item_op is C.RANGE and item_av[1] - item_av[0] < _MAX_CHARS:
                chars.update(chr(c) for c in range(item_av[0], item_av[1] + 1))
            elif exact:
                return None  # negated, a category, a wide range
            else:
                return _representatives(av)
        return _folded(chars, ignorecase)
    if op is C.SUBPATTERN:
        _number, add, remove, body = av
        inner = (ignorecase or bool(add & C.SRE_FLAG_IGNORECASE)) and not remove & C.SRE_FLAG_IGNORECASE
        return _edge(list(body), last, inner)
    if op is C.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _edge(list(branch), last, ignorecase)
            if found is None:
                return None
            union |= found
        return union
    if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
        return _edge(list(av[2]), last, ignorecase)
    return None


def _representatives(items: Any) -> set[str]:
    negate, ranges = class_ranges(items, False)
    members = complement(tuple(ranges)) if negate else ranges
    return {chr(found[0][0]) for kind in _KINDS if (found := intersection(members, kind()))}


def _other_word() -> list[tuple[int, int]]:
    return intersection(category(C.CATEGORY_WORD, False), complement(WORD_ASCII))


_KINDS = (lambda: WORD_ASCII, _other_word, lambda: category(C.CATEGORY_NOT_WORD, False))


def _folded(chars: set[str], ignorecase: bool) -> set[str]:
    if not ignorecase:
        return chars
    out = set(chars)
    for c in chars:
        out.update(v for v in (c.lower(), c.upper()) if len(v) == 1)
        out.update(_CROSS_FOLDS.get(c.lower(), ""))
    return out
