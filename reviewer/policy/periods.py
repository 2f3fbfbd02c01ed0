"""Named date windows (election, caretaker, ...) and the draft's date in the policy's timezone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    """An inclusive window of local dates with a name and a kind."""

    name: str
    kind: str
    start: dt.date
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def answers_to(self, selector: str) -> bool:
        """True when a `during:` selector names this period's kind or name."""
        return selector == self.kind or selector == self.name


def local_date(when: dt.date | dt.datetime | None, zone: ZoneInfo) -> dt.date:
    """The calendar date of `when` in `zone` (today there when None).

    A plain date is taken as already local. A datetime must carry a timezone:
    a naive one is ambiguous, so it is refused rather than guessed.
    """
    if when is None:
        return dt.datetime.now(zone).date()
    if isinstance(when, dt.datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("date: a datetime must be timezone-aware; pass a date or an aware datetime")
        return when.astimezone(zone).date()
    if isinstance(when, dt.date):
        return when
    raise TypeError(f"date: expected a date or datetime, got {type(when).__name__}")


def active_periods(periods: tuple[Period, ...], day: dt.date) -> tuple[Period, ...]:
    """The periods that `day` falls in, in declaration order."""
    return tuple(p for p in periods if p.contains(day))


def selector_active(selector: str, active: tuple[Period, ...]) -> bool:
    return any(p.answers_to(selector) for p in active)
