"""Sets of code points as sorted (first, last) ranges: Python's `\\d`, `\\s`, `\\w`, a class's members."""

from __future__ import annotations

import functools
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

try:  # Python 3.11+
    from re import _constants as C
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]

Ranges = tuple[tuple[int, int], ...]


def class_ranges(items: list[tuple[Any, Any]], ascii_only: bool) -> tuple[bool, list[tuple[int, int]]]:
    """(negated, the code points its items name) of a `[...]` class of Python's parse tree."""
    negate = bool(items) and items[0][0] is C.NEGATE
    ranges: list[tuple[int, int]] = []
    for op, av in items[1:] if negate else items:
        if op is C.LITERAL:
            ranges.append((av, av))
        elif op is C.RANGE:
            ranges.append(av)
        elif op is C.CATEGORY:
            ranges.extend(category(av, ascii_only))
        else:  # pragma: no cover - the parser puts nothing else in a class
            raise ValueError(f"unexpected class item {op}")
    return negate, merged(ranges)


def merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def intersection(a: Ranges | list[tuple[int, int]], b: Ranges | list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


#: `scan` of \d, \s and \w over every code point, saved for one Unicode version (scanning is most
#: of the cost of translating a policy's patterns); another Python's Unicode database is scanned
#: instead. Rewrite it with `write_shipped()`; tests/unit/policy/test_patterns.py checks it.
SHIPPED = Path(__file__).with_name("unicode_classes.json")


@functools.cache
def category(category: object, ascii_only: bool) -> tuple[tuple[int, int], ...]:
    """The code-point ranges of Python's `\\d`, `\\s`, `\\w` or their negations: what `re` means by them
    (ASCII only under `(?a)`)."""
    name = str(category).removeprefix("CATEGORY_")
    letter = {"DIGIT": "d", "SPACE": "s", "WORD": "w"}[name.removeprefix("NOT_")]
    shipped = None if ascii_only else _shipped().get(letter)
    found = tuple((lo, hi) for lo, hi in shipped) if shipped else scan(letter, ascii_only)
    return complement(found) if name.startswith("NOT_") else found


def scan(letter: str, ascii_only: bool) -> tuple[tuple[int, int], ...]:
    """Where `re` itself finds `\\<letter>` when run over every code point."""
    every = every_code_point()[:0x80] if ascii_only else every_code_point()
    return tuple((m.start(), m.end() - 1) for m in re.finditer(f"\\{letter}+", every, re.ASCII if ascii_only else 0))


@functools.cache
def _shipped() -> dict:
    try:
        data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("unicode") == unicodedata.unidata_version else {}


def write_shipped() -> None:
    tables = {letter: scan(letter, False) for letter in "dsw"}
    SHIPPED.write_text(json.dumps({"unicode": unicodedata.unidata_version, **tables}, separators=(",", ":")) + "\n",
                       encoding="utf-8")


@functools.cache
def every_code_point() -> str:
    """chr(0) ... chr(0x10FFFF) in one string, built as UTF-32 bytes a byte column at a time (fast)."""
    count = sys.maxunicode + 1  # 17 planes of 65,536
    utf32 = bytearray(4 * count)
    utf32[0::4] = bytes(range(256)) * (count // 256)
    utf32[1::4] = b"".join(bytes([i]) * 256 for i in range(256)) * (count // 65536)
    utf32[2::4] = b"".join(bytes([i]) * 65536 for i in range(count // 65536))
    return utf32.decode("utf-32-le", "surrogatepass")


def complement(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out = []
    at = 0
    for lo, hi in ranges:
        if lo > at:
            out.append((at, lo - 1))
        at = hi + 1
    if at <= sys.maxunicode:
        out.append((at, sys.maxunicode))
    return tuple(out)


WORD_ASCII: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
