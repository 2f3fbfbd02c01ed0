"""reviewer.numbers, reviewer.moments and reviewer.jsontext: what people type, parsed without surprises (issue 15, item 7)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviewer import jsontext, moments, numbers


@given(st.text(max_size=30))
def test_whole_number_never_raises_and_takes_ascii_digits_only(text: str) -> None:
    value = numbers.whole_number(text)
    if value is not None:
        assert text.isascii() and text.isdigit() and value == int(text)


@pytest.mark.parametrize("text", ["²", "1²", "٣", "１", "-1", "+1", " 1", "1_000", "", "1" * 21])
def test_whole_number_refuses_what_is_not_plain_digits(text: str) -> None:
    assert numbers.whole_number(text) is None


def test_whole_number_respects_its_ceiling() -> None:
    assert numbers.whole_number("500", 500) == 500 and numbers.whole_number("501", 500) is None


@pytest.mark.parametrize(
    ("moment", "delta"),
    [(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), None), (date(9999, 12, 31), timedelta(days=1)),
     (date(1, 1, 5), -timedelta(days=30))],
)
def test_moments_out_of_range_is_a_value_error_saying_the_range(moment, delta) -> None:
    with pytest.raises(moments.OutOfRange, match="out of range: use a date from 0001-01-02 to 9999-12-30"):
        moments.as_utc(moment) if delta is None else moments.shift(moment, delta)


def test_moments_within_range_are_unchanged() -> None:
    noon = datetime(2026, 11, 1, 12, tzinfo=timezone(timedelta(hours=13)))
    assert moments.as_utc(noon) == noon and moments.as_utc(noon).tzinfo == timezone.utc
    assert moments.shift(date(2026, 12, 31), timedelta(days=1)) == date(2027, 1, 1)


def test_jsontext_refuses_deep_nesting_without_recursion_error() -> None:
    for text in ("[" * 100_000, "[" * 65 + "]" * 65, '{"a":' * 65 + "1" + "}" * 65):
        with pytest.raises(jsontext.JsonTextError, match="nested more than 64 levels deep"):
            jsontext.loads(text)
    assert jsontext.loads("[" * 64 + "]" * 64) is not None


def test_jsontext_names_where_a_lone_surrogate_is() -> None:
    with pytest.raises(jsontext.JsonTextError) as caught:
        jsontext.loads('{"posts": [{"text": "ok"}, {"text": "bad \\udc00"}]}')
    assert caught.value.where == "posts[1].text" and "lone surrogate (\\udc00)" in str(caught.value)
    with pytest.raises(jsontext.JsonTextError, match="body: holds a lone surrogate"):
        jsontext.loads('"\\ud800"')
    assert jsontext.loads('{"emoji": "\\ud83d\\ude00"}') == {"emoji": "\U0001f600"}  # a pair is one character


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=10))
def test_jsontext_reads_what_json_writes(value) -> None:
    assert jsontext.loads(json.dumps(value)) == value
