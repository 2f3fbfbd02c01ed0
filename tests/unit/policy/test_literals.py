"""Regex literal pre-checks: the literals a pattern cannot match without, and that skipping on them changes nothing
(the literals are read from Python's parse tree; the patterns run on RE2, see reviewer.policy.patterns)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.encoder import load_encoder
from reviewer.policy import load_policy
from reviewer.policy._text.literals import required_literal_sets, required_literals
from reviewer.policy.patterns import compile_pattern
from reviewer.policy.rules.base import Scan
from reviewer.policy.rules.lexical import RegexRule

POLICIES = Path(__file__).resolve().parents[3] / "policies"


@pytest.mark.parametrize(
    ("pattern", "flags", "literals"),
    [
        (r"\bidiot\b", 0, {"idiot"}),
        (r"(?:Cat|dog)s?", 0, {"cat", "dog"}),
        (r"[Hh](?<!\w.)is\s+salary", 0, {"salary"}),
        (r"\bsh[*#]{1,2}t", re.I, {"sh*", "sh#"}),
        (r"\d{3}-\d{4}", 0, {"-"}),
        (r"a?b*", 0, None),
        (r"\w+", 0, None),
        (r"(?:x|\d)", 0, None),  # one branch needs nothing known
        (r"['\u2019]s home", 0, {"s home"}),  # a non-ASCII character is never required
        (r"(unclosed", 0, None),
    ],
)
def test_required_literals(pattern: str, flags: int, literals: set[str] | None) -> None:
    found = required_literals(pattern, flags)
    assert (None if found is None else set(found)) == literals


def _shipped_patterns() -> list[tuple[str, int]]:
    found = []
    for path in POLICIES.glob("*.yaml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            body = rule.get("match", rule)
            if body.get("kind") == "regex":
                flags = re.I if "ignorecase" in body.get("flags", ["ignorecase"]) else 0
                found += [(p, flags) for p in body["patterns"]]
            found += [(p, re.I) for p in body.get("case_ref_patterns", [])]
    return found


SHIPPED = _shipped_patterns()
PIECES = sorted({s for p, f in SHIPPED for needs in required_literal_sets(p, f) for s in needs}) + [
    " ", "  ", "\n", "'", "Fix", "We", "I", "Sarah", "officer", "is", "by ", "Friday", "12", "2027", "-", "CAS-",
    "123456", "x", ".", "our team", "will be", "fixed", "Ltd", "Check out ", "Bob", "recommend ", "Acme",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join), st.booleans())
def test_every_match_holds_a_literal_of_each_required_set(text: str, upper: bool) -> None:
    text = text.upper() if upper else text
    for pattern, flags in SHIPPED:
        if compile_pattern(pattern, flags).search(text):
            for needs in required_literal_sets(pattern, flags):
                assert any(s in text.lower() for s in needs), (pattern, text, needs)


def _naive(rule: RegexRule, text: str) -> list[tuple[int, int]] | None:
    """Every pattern run on the whole text, less the spans an `allow` pattern overlaps."""
    allowed = [a for p in rule.allow for a in p.spans(text)]
    spans = [(s, e) for p in rule.patterns for s, e in p.spans(text)
             if not any(s < a_end and a_start < e for a_start, a_end in allowed)]
    return spans or None


@pytest.fixture(scope="module")
def government_rules():
    return load_policy(POLICIES / "government.yaml", encoder=load_encoder("embedded"))._compiled.draft


def test_skipping_on_literals_finds_what_every_pattern_finds(government_rules) -> None:
    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
    def check(text: str) -> None:
        _same_as_naive(government_rules, text)

    check()


def _same_as_naive(rule_set, text: str) -> None:
    scan = Scan(text, {}, literal_finder=rule_set.literal_finder)
    alone = Scan(text, {})  # the rule's own finder
    for rule in rule_set.rules:
        if isinstance(rule, RegexRule):
            assert rule.evaluate(scan) == rule.evaluate(alone) == _naive(rule, text), (rule.meta.id, text)
