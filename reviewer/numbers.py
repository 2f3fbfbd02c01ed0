"""Whole numbers typed by people (query strings, form fields, command-line options), parsed strictly.

`str.isdigit()` is true for superscripts ("²"), which `int()` refuses, so
`int(raw) if raw.isdigit()` raised a ValueError (a 500); and `int()` itself
takes Arabic-Indic ("٣") and full-width ("１") digits. Only ASCII 0-9 count
here, and every place that turns typed text into a number goes through this
module.
"""

from __future__ import annotations

#: More digits than any id or count the app uses (ids are 64-bit: 19 digits); longer text is not parsed at all.
MAX_DIGITS = 20


def is_ascii_digits(text: str) -> bool:
    """True when `text` is one or more of 0-9 and nothing else."""
    return text.isascii() and text.isdigit()


def whole_number(text: str | None, most: int | None = None) -> int | None:
    """`text` as a whole number (ASCII digits only, at most `most`), or None when it is not one."""
    if text is None or not is_ascii_digits(text) or len(text) > MAX_DIGITS:
        return None
    value = int(text)
    return None if most is not None and value > most else value
