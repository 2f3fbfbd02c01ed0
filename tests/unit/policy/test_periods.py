"""Periods: inclusive windows and the draft's local date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from reviewer.policy.periods import Period, active_periods, local_date, selector_active

LONDON = ZoneInfo("Europe/London")
VOTE = Period("2026 general election", "election", dt.date(2026, 5, 1), dt.date(2026, 5, 7))
BUDGET = Period("budget", "purdah", dt.date(2026, 5, 7), dt.date(2026, 5, 20))


def test_windows_are_inclusive_and_may_overlap() -> None:
    assert active_periods((VOTE, BUDGET), dt.date(2026, 4, 30)) == ()
    assert active_periods((VOTE, BUDGET), dt.date(2026, 5, 1)) == (VOTE,)
    assert active_periods((VOTE, BUDGET), dt.date(2026, 5, 7)) == (VOTE, BUDGET)
    assert active_periods((VOTE, BUDGET), dt.date(2026, 5, 20)) == (BUDGET,)


def test_selectors_name_a_kind_or_a_name() -> None:
    assert selector_active("election", (VOTE,)) and selector_active("2026 general election", (VOTE,))
    assert not selector_active("purdah", (VOTE,))


def test_local_date_of_an_aware_datetime() -> None:
    late = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.timezone.utc)  # BST: already 1 July in London
    assert local_date(late, LONDON) == dt.date(2026, 7, 1)
    winter = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone.utc)  # GMT: still 31 December
    assert local_date(winter, LONDON) == dt.date(2026, 12, 31)


def test_a_date_is_already_local_and_none_is_today() -> None:
    assert local_date(dt.date(2026, 1, 2), LONDON) == dt.date(2026, 1, 2)
    assert local_date(None, LONDON) == dt.datetime.now(LONDON).date()


def test_naive_datetimes_and_other_types_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(dt.datetime(2026, 1, 1, 12), LONDON)
    with pytest.raises(TypeError, match="got str"):
        local_date("2026-01-01", LONDON)  # type: ignore[arg-type]
