"""Dates and times typed by people, kept inside what `datetime` can hold.

`0001-01-01T00:00:00+14:00` is a valid ISO 8601 time that falls before year
1 in UTC, and the day after `9999-12-31` does not exist: converting or
shifting them raised OverflowError (a 500). These helpers raise
`OutOfRange`, a ValueError whose message says what range works.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

When = TypeVar("When", date, datetime)

RANGE_HINT = "use a date from 0001-01-02 to 9999-12-30"


class OutOfRange(ValueError):
    """A date or time that cannot be held once converted to UTC or shifted."""

    def __init__(self, text: object) -> None:
        super().__init__(f"{text} is out of range: {RANGE_HINT}")


def as_utc(moment: datetime) -> datetime:
    """`moment` (timezone-aware) in UTC; OutOfRange when that falls outside years 1 to 9999."""
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise OutOfRange(moment.isoformat()) from None


def shift(when: When, delta: timedelta) -> When:
    """`when + delta`; OutOfRange when the result falls outside years 1 to 9999."""
    try:
        return when + delta
    except OverflowError:
        raise OutOfRange(when.isoformat()) from None
