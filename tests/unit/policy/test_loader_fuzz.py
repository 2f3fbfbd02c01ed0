"""Whatever a policy file holds, loading it either works or raises PolicyError: never a traceback."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_helpers import FIXTURES

from reviewer.policy import PolicyError, load_policy

SOURCE = (FIXTURES / "every_kind.yaml").read_text(encoding="utf-8")
DATA = yaml.safe_load(SOURCE)

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(-2, 2), st.just(float("nan")), st.text(max_size=8),
    st.sampled_from(["lexicon", "regex", "pii", "links", "tone", "accessibility", "context", "topic", "(", "*.x",
                     "election", "block", "review", "high", "Pacific/Auckland", "x", "[", "\\", "case_ref"]),
    st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    st.lists(st.text(max_size=4), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, path + (index,))


PATHS = [p for p in _paths(DATA) if p]


def _replace(node, path, value):
    if len(path) == 1:
        node[path[0]] = value
        return
    _replace(node[path[0]], path[1:], value)


def _load(tmp_path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        assert exc.issues and all(issue.line >= 1 and issue.column >= 1 for issue in exc.issues)
        return
    policy.check("idiot 021 555 0199 https://bit.ly/x #mentalhealthweek", platform="x", in_reply_to="suicide")


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
def test_any_value_anywhere(tmp_path, changes) -> None:
    data = yaml.safe_load(SOURCE)
    for path, value in changes:
        try:
            _replace(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    _load(tmp_path, yaml.safe_dump(data, allow_unicode=True))


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(SOURCE)), junk=st.text(alphabet=":-[]{}'\"#&*!|> \n\tab1", max_size=6))
def test_any_edit_of_the_text(tmp_path, cut: int, junk: str) -> None:
    _load(tmp_path, SOURCE[:cut] + junk + SOURCE[cut + len(junk):])
