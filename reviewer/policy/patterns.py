"""A policy's regexes: written in Python `re` syntax, run by RE2 in time linear in the text.

Python's `re` backtracks: a pattern such as `(a+)+$` takes minutes on
`"a" * 41 + "!"`, and the live check runs every pattern on every keystroke.
RE2 never backtracks. A pattern is parsed by Python's own parser (so authors
keep the syntax they know, `verbose` included) and written out again for
RE2, with Python's meaning kept where RE2's differs:

- `\\w`, `\\d`, `\\s` (and `\\W`, `\\D`, `\\S`, also inside `[...]`) are
  Python's Unicode classes, written out as code-point ranges (ASCII ones under
  the `(?a)` flag), so `\\w` matches "é" and `\\d` matches "٣" as before.
- Flags (`ignorecase`, `multiline`, `dotall`; `verbose` is read by the
  parser) and inline `(?i)`, `(?-i:...)` map onto RE2's.
- Groups do not capture: only the whole match's span is used.
- `\\b` and `\\B` keep Python's Unicode meaning wherever the pattern spells
  out the character beside them (`Café\\b`, `\\b\\w+\\b`: see _text/boundaries).

Two differences remain, stated in docs/policy-format.md: where the character
beside `\\b` is not spelled out by the pattern and is a non-ASCII letter or
digit in the text, RE2 takes it for a non-word character; and `$` without
`multiline` matches only at the very end of the text (Python's also matches
before a final newline). Patterns that can match empty text are refused, as
Python and RE2 step past an empty match differently.

What RE2 cannot run at all (lookahead, lookbehind, backreferences,
conditional, atomic and possessive groups, repeats over 1,000) raises
PatternError, which names the construct, its position and how to rewrite it;
the loader turns it into a file:line error.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

import re2

from ._text import boundaries
from ._text.char_sets import class_ranges, merged

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as P
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

__all__ = ["PatternError", "PatternSyntaxError", "PolicyPattern", "compile_alternation", "compile_pattern", "translate"]

MAX_REPEAT_COUNT = 1000  # RE2's limit on {m,n}
_FLAG_LETTERS = ((C.SRE_FLAG_IGNORECASE, "i"), (C.SRE_FLAG_MULTILINE, "m"), (C.SRE_FLAG_DOTALL, "s"))
_SURROGATES = re.compile("[\ud800-\udfff]")
_AT = {
    C.AT_BEGINNING: "^", C.AT_BEGINNING_STRING: r"\A", C.AT_END: "$", C.AT_END_STRING: r"\z",
    C.AT_BOUNDARY: r"\b", C.AT_NON_BOUNDARY: r"\B",
}
_LOOKAROUND_HINT = (
    "RE2 runs patterns in linear time and has no lookaround; for a word boundary write `\\b` "
    "(`word(?!\\w)` becomes `word\\b`, `W(?<!\\w.)ord` becomes `\\bWord`); to leave out certain "
    "wording, match it with the rule's `allow` patterns, which cancel the matches they overlap"
)
_UNSUPPORTED = {
    C.GROUPREF: ("a backreference", r"\\[1-9]|\(\?P=",
                 "RE2 has no backreferences; spell out the alternatives, e.g. `(?:-\\d+-|/\\d+/)` "
                 "instead of `([-/])\\d+\\1`"),
    C.GROUPREF_EXISTS: ("a conditional group `(?(...)...)`", r"\(\?\(",
                        "RE2 has no conditional groups; write the cases as an alternation `(?:...|...)`"),
}
_ATOMIC = getattr(C, "ATOMIC_GROUP", None)
_POSSESSIVE = getattr(C, "POSSESSIVE_REPEAT", None)
_NO_BACKTRACKING_HINT = ("RE2 never backtracks, so it is not needed: write a plain group `(?:...)` "
                         "or a plain repeat (`*`, `+`, `?`, `{m,n}`)")


_TURKISH_I = "Iiİı"  # one letter to Python's `re` ignoring case; RE2 folds only I and i together


class _Mode(NamedTuple):
    """The flags that change how a part of the pattern is written out."""

    ascii_only: bool
    ignorecase: bool

    def changed(self, add: int, remove: int) -> _Mode:
        ascii_only = (self.ascii_only or bool(add & C.SRE_FLAG_ASCII)) and not (
            remove & C.SRE_FLAG_ASCII or add & C.SRE_FLAG_UNICODE)
        ignorecase = (self.ignorecase or bool(add & C.SRE_FLAG_IGNORECASE)) and not remove & C.SRE_FLAG_IGNORECASE
        return _Mode(ascii_only, ignorecase)


class PatternError(ValueError):
    """A pattern that does not parse, or that RE2 cannot run: what, where, and how to rewrite it."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class PatternSyntaxError(PatternError):
    """The pattern is not valid Python `re` syntax: `msg` says why, `position` where."""

    def __init__(self, msg: str, position: int | None = None) -> None:
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"invalid regex: {msg}{where}", position)
        self.msg = msg


# The C++ matcher under the re2 module's Python layer (google-re2 is pinned; test_patterns runs both paths).
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED


@dataclass(frozen=True, eq=False)
class PolicyPattern:
    """One compiled policy pattern: `source` as the author wrote it, `compiled` its RE2 form.

    ASCII text (most drafts) goes straight to RE2's C++ matcher as bytes, whose
    offsets are then the text's own: the `re2` module's Python layer, which maps
    UTF-8 offsets back to characters, costs several times the match itself on a
    short draft. Other text goes through that layer.
    """

    source: str
    flags: int
    compiled: re2._Regexp

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in `text`."""
        if text.isascii():
            data = text.encode("ascii")
            return self.compiled._regexp.Match(_UNANCHORED, data, 0, len(data))[0][0] >= 0
        return self.compiled.search(_encodable(text)) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Every non-empty match's (start, end) in `text`, left to right, as Python's finditer finds them."""
        if not text.isascii():
            return [m.span() for m in self.compiled.finditer(_encodable(text)) if m.end() > m.start()]
        data = text.encode("ascii")
        match = self.compiled._regexp.Match
        found = []
        pos, end = 0, len(data)
        while True:
            start, stop = match(_UNANCHORED, data, pos, end)[0]
            if start < 0:
                return found
            if stop > start:
                found.append((start, stop))
            if pos == end:
                return found
            pos = pos + 1 if stop == pos else stop  # after an empty match, step on (as re2.finditer does)


def _encodable(text: str) -> str:
    """`text` with lone surrogates (which UTF-8 cannot hold) as U+FFFD: same length, so same offsets."""
    return _SURROGATES.sub("\ufffd", text) if not text.isascii() and _SURROGATES.search(text) else text


def _options() -> re2.Options:
    options = re2.Options()
    options.never_capture = True  # only the whole match is read: RE2 can then use its DFA throughout
    options.log_errors = False
    return options


@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str, flags: int = 0) -> PolicyPattern:
    """Compile a policy pattern (Python `re` syntax and flags) for RE2; PatternError when it cannot run."""
    translated = translate(pattern, flags)
    try:
        compiled = re2.compile(translated, _options())
    except re2.error as exc:
        raise PatternError(f"RE2 cannot compile it ({exc}); simplify the pattern") from None
    return PolicyPattern(pattern, flags, compiled)


def compile_alternation(patterns: tuple[str, ...], flags: int = 0) -> PolicyPattern:
    """One RE2 pattern that matches wherever any of `patterns` does (each keeps its own inline flags)."""
    joined = "|".join(f"(?:{translate(p, flags)})" for p in patterns)
    try:
        compiled = re2.compile(joined, _options())
    except re2.error as exc:
        raise PatternError(f"RE2 cannot compile the patterns together ({exc})") from None
    return PolicyPattern(" | ".join(patterns), flags, compiled)


@functools.lru_cache(maxsize=4096)
def translate(pattern: str, flags: int = 0) -> str:
    """The RE2 pattern that matches what `pattern` matches under Python's `re` (see the module notes)."""
    if not isinstance(pattern, str):
        raise PatternError(f"a pattern must be text, not {type(pattern).__name__}")
    try:
        parsed = P.parse(pattern, flags)
    except re.error as exc:
        raise PatternSyntaxError(exc.msg, exc.pos) from None
    except (RecursionError, OverflowError, ValueError, TypeError) as exc:
        raise PatternSyntaxError(str(exc)) from None
    state = parsed.state.flags
    try:
        mode = _Mode(bool(state & C.SRE_FLAG_ASCII), bool(state & C.SRE_FLAG_IGNORECASE))
        body = _Writer(pattern).sequence(parsed, mode)
        empty = _can_match_empty(parsed)
    except RecursionError:
        raise PatternError("the pattern nests too deeply; simplify it") from None
    if empty:
        raise PatternError("the pattern matches empty text (as `x*`, `a|` or a lone `\\b` do), which is nothing "
                           "to report; make it require at least one character")
    letters = "".join(letter for bit, letter in _FLAG_LETTERS if state & bit)
    return f"(?{letters}:{body})" if letters else body


def _can_match_empty(items: P.SubPattern | list) -> bool:
    """Whether some way through the pattern consumes no character (assertions such as `\\b` consume none).

    Such patterns are refused: a rule reports only non-empty matches, and
    where an empty match and a longer one start at the same place, Python's
    finditer goes on to the longer one and RE2's does not.
    """
    return all(_item_can_match_empty(op, av) for op, av in items)


def _item_can_match_empty(op: object, av: object) -> bool:
    if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
        return False
    if op is C.SUBPATTERN:
        return _can_match_empty(av[-1])  # type: ignore[index]
    if op is C.BRANCH:
        return any(_can_match_empty(branch) for branch in av[1])  # type: ignore[index]
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, _high, body = av  # type: ignore[misc]
        return low == 0 or _can_match_empty(body)
    return True  # AT (`^`, `\\b`, ...): zero-width


class _Writer:
    """Writes a parse tree of Python's `re` parser out in RE2 syntax."""

    def __init__(self, source: str) -> None:
        self.source = source

    def refuse(self, what: str, opener: str, hint: str) -> PatternError:
        found = re.search(opener, self.source)
        at = f" at position {found.start()}" if found else ""
        return PatternError(f"RE2 cannot run {what}{at}: {hint}", found.start() if found else None)

    def sequence(self, items: P.SubPattern | list, mode: _Mode) -> str:
        items = list(items) if mode.ascii_only else boundaries.pushed_in(list(items), mode.ignorecase)
        out = []
        for i, (op, av) in enumerate(items):
            if op is C.AT and av in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY) and not mode.ascii_only:
                out.append(boundaries.write(av is C.AT_BOUNDARY, items[:i], items[i + 1:], mode.ignorecase))
            else:
                out.append(self.item(op, av, mode))
        return "".join(out)

    def item(self, op: object, av: object, mode: _Mode) -> str:
        if op is C.LITERAL:
            return _char_class([(op, av)], mode) if mode.ignorecase and chr(av) in _TURKISH_I else _char(av)  # type: ignore[arg-type]
        if op is C.NOT_LITERAL:
            return _char_class([(C.NEGATE, None), (C.LITERAL, av)], mode)
        if op is C.ANY:
            return "."
        if op is C.IN:
            return _char_class(av, mode)  # type: ignore[arg-type]
        if op is C.AT:
            return _AT[av]  # type: ignore[index]
        if op is C.BRANCH:
            return "(?:" + "|".join(self.sequence(branch, mode) for branch in av[1]) + ")"  # type: ignore[index]
        if op is C.SUBPATTERN:
            _group, add, remove, body = av  # type: ignore[misc]
            on = "".join(letter for bit, letter in _FLAG_LETTERS if add & bit)
            off = "".join(letter for bit, letter in _FLAG_LETTERS if remove & bit)
            flags = on + ("-" + off if off else "")
            return f"(?{flags}:{self.sequence(body, mode.changed(add, remove))})"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            return self.repeat(op, av, mode)
        if op is C.ASSERT or op is C.ASSERT_NOT:
            direction, _ = av  # type: ignore[misc]
            behind = direction < 0
            opener = ("(?<" if behind else "(?") + ("=" if op is C.ASSERT else "!")
            what = f"{'a lookbehind' if behind else 'a lookahead'} `{opener}...)`"
            return self._raise(self.refuse(what, re.escape(opener), _LOOKAROUND_HINT))
        if op in _UNSUPPORTED:
            what, opener, hint = _UNSUPPORTED[op]
            return self._raise(self.refuse(what, opener, hint))
        if op is _ATOMIC and _ATOMIC is not None:
            return self._raise(self.refuse("an atomic group `(?>...)`", r"\(\?>", _NO_BACKTRACKING_HINT))
        if op is _POSSESSIVE and _POSSESSIVE is not None:
            return self._raise(self.refuse("a possessive repeat (`*+`, `++`, `?+`)", r"[*+?}]\+",
                                           _NO_BACKTRACKING_HINT))
        return self._raise(PatternError(f"RE2 cannot run this construct ({op}); simplify the pattern"))

    @staticmethod
    def _raise(error: PatternError) -> str:
        raise error

    def repeat(self, op: object, av: object, mode: _Mode) -> str:
        low, high, body = av  # type: ignore[misc]
        unbounded = high is C.MAXREPEAT or high == C.MAXREPEAT
        if low > MAX_REPEAT_COUNT or (not unbounded and high > MAX_REPEAT_COUNT):
            count = low if unbounded else high
            raise self.refuse(f"a repeat of {count}", r"\{\d*,?\d*\}",
                              f"RE2 allows at most {MAX_REPEAT_COUNT} in `{{m,n}}`; use a smaller count "
                              f"(or `*` / `+` for no limit)")
        inner = self.sequence(body, mode)
        items = list(body)
        if not (len(items) == 1 and items[0][0] in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN)):
            inner = f"(?:{inner})"
        if unbounded:
            quantifier = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
        elif (low, high) == (0, 1):
            quantifier = "?"
        else:
            quantifier = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        return inner + quantifier + ("?" if op is C.MIN_REPEAT else "")


def _char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:X}}}"


def _char_class(items: list[tuple[object, object]], mode: _Mode) -> str:
    """`[...]` of the code points the class holds (categories written out as ranges); a negated
    class stays negated, so that RE2 applies case folding before negating, as Python does.
    Ignoring case, Python also equates I, i, İ and ı, which RE2's case folding does not: all four go in."""
    ascii_only = mode.ascii_only
    negate, ranges = class_ranges(items, ascii_only)
    if mode.ignorecase and not ascii_only and any(lo <= ord(c) <= hi for c in _TURKISH_I for lo, hi in ranges):
        ranges.extend((ord(c), ord(c)) for c in _TURKISH_I)
    body = "".join(_range(lo, hi) for lo, hi in _without_surrogates(merged(ranges)))
    if not body:  # a class of nothing (only surrogates): matches nothing, or anything when negated
        return r"[\x{0}-\x{10FFFF}]" if negate else r"[^\x{0}-\x{10FFFF}]"
    return f"[^{body}]" if negate else f"[{body}]"


def _range(lo: int, hi: int) -> str:
    return _char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}"


def _without_surrogates(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """RE2 reads UTF-8, which has no surrogates (texts have theirs replaced, see _encodable)."""
    out = []
    for lo, hi in ranges:
        if hi < 0xD800 or lo > 0xDFFF:
            out.append((lo, hi))
            continue
        if lo < 0xD800:
            out.append((lo, 0xD7FF))
        if hi > 0xDFFF:
            out.append((0xE000, hi))
    return out
