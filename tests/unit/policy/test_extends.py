"""`extends`: a child policy on top of its parent (override, disable, periods, cycles)."""

from __future__ import annotations

import datetime as dt

import pytest

from reviewer.policy import PolicyError, load_policy

PARENT = """\
id: parent
version: "1"
title: Parent
timezone: Europe/London
defaults:
  route: comms
periods:
  - {name: vote, kind: election, start: 2026-05-01, end: 2026-05-07}
  - {name: budget, kind: purdah, start: 2026-03-01, end: 2026-03-10}
rules:
  - id: abuse.insults
    kind: lexicon
    severity: high
    action: block
    message: No insults.
    source: p.1
    terms: [idiot]
  - id: tone.blame
    kind: tone
    check: phrases
    severity: medium
    action: review
    message: No blame.
    source: p.2
    terms: [you people]
  - id: topic.vote
    kind: topic
    route: political
    during: election
    severity: medium
    message: Election.
    source: p.3
    terms: [ballot]
examples:
  - {text: "idiot", expect: block}
"""

CHILD = """\
extends: parent.yaml
id: child
version: "2"
timezone: Pacific/Auckland
periods:
  - {name: vote, kind: election, start: 2026-10-01, end: 2026-10-17}
  - {name: local, kind: election, start: 2026-11-01, end: 2026-11-02}
rules:
  - id: abuse.insults
    kind: lexicon
    severity: critical
    action: block
    message: Never insult anyone.
    source: c.1
    terms: [idiot, moron]
  - {id: tone.blame, enabled: false}
  - id: local.case
    kind: regex
    severity: high
    action: block
    message: No case refs.
    source: c.2
    patterns: ['\\bCC-\\d{6}\\b']
examples:
  - {text: "moron", expect: block, rules: [abuse.insults]}
  - {text: "you people", expect: pass}
"""


@pytest.fixture
def family(write):
    write(PARENT, "parent.yaml")
    return write(CHILD, "child.yaml")


def test_child_scalars_win_and_parent_ones_are_inherited(family) -> None:
    policy = load_policy(family)
    assert (policy.id, policy.version, policy.timezone) == ("child", "2", "Pacific/Auckland")
    verdict = policy.check("you people and the ballot", date=dt.date(2026, 10, 5))
    assert verdict.routes == ("political",)  # defaults.route comms inherited, not used here


def test_a_child_rule_replaces_the_parents_in_place_and_new_ones_append(family) -> None:
    policy = load_policy(family)
    verdict = policy.check("moron CC-123456", date=dt.date(2026, 1, 1))
    rules = [(f.rule, f.severity, f.source) for f in verdict.findings]
    assert rules == [("abuse.insults", "critical", "c.1"), ("local.case", "high", "c.2")]
    assert policy.rule_ids == ["abuse.insults", "topic.vote", "local.case"]


def test_enabled_false_disables_the_parents_rule(family) -> None:
    assert load_policy(family).check("you people", date=dt.date(2026, 1, 1)).findings == ()


def test_periods_merge_by_name(family) -> None:
    policy = load_policy(family)
    assert [(p.name, p.start) for p in policy.periods] == [
        ("vote", dt.date(2026, 10, 1)), ("budget", dt.date(2026, 3, 1)), ("local", dt.date(2026, 11, 1))]
    assert load_policy(family).check("ballot", date=dt.date(2026, 5, 3)).decision == "pass"
    assert load_policy(family).check("ballot", date=dt.date(2026, 10, 3)).decision == "review"
    assert load_policy(family).check("ballot", date=dt.date(2026, 11, 2)).periods == ("local",)


def test_each_file_keeps_its_own_examples(family, tmp_path) -> None:
    assert [e.model.text for e in load_policy(family).examples] == ["moron", "you people"]
    assert [e.model.text for e in load_policy(tmp_path / "parent.yaml").examples] == ["idiot"]


def test_sha256_covers_the_parent(family, tmp_path) -> None:
    before = load_policy(family).sha256
    parent = tmp_path / "parent.yaml"
    parent.write_text(PARENT.replace("source: p.3", "source: p.3b"), encoding="utf-8")
    assert load_policy(family).sha256 != before
    parent.write_text(PARENT.replace("source: p.2", "source: p.2b"), encoding="utf-8")
    assert load_policy(family).sha256 == before  # tone.blame is disabled in the child: it does not apply


def test_sha256_ignores_examples_and_formatting(write) -> None:
    first = load_policy(write(PARENT, "a.yaml")).sha256
    second = load_policy(write("# a comment\n" + PARENT.replace('  - {text: "idiot", expect: block}\n', ""), "b.yaml"))
    assert second.sha256 == first


def test_errors_in_the_parent_name_the_parent_file(write, tmp_path) -> None:
    write(PARENT.replace("severity: medium\n    action: review", "severity: medum\n    action: review"), "parent.yaml")
    child = write(CHILD, "child.yaml")
    with pytest.raises(PolicyError) as info:
        load_policy(child)
    assert str(info.value) == (f"{tmp_path}/parent.yaml:21:15: [tone.blame] 'medum' is not a valid severity; "
                               "did you mean 'medium'? (allowed: low, medium, high, critical)")


def test_extends_a_missing_file(write, tmp_path) -> None:
    child = write(CHILD.replace("extends: parent.yaml", "extends: baseline.yaml"), "child.yaml")
    with pytest.raises(PolicyError) as info:
        load_policy(child)
    assert str(info.value) == (f"{tmp_path}/child.yaml:1:10: extends 'baseline.yaml': file not found "
                               f"({tmp_path}/baseline.yaml); the path is relative to this file")


def test_extends_cycle_lists_the_chain(write, tmp_path) -> None:
    write("extends: b.yaml\nid: a\nversion: '1'\n", "a.yaml")
    write("extends: c.yaml\nid: b\nversion: '1'\n", "b.yaml")
    write("extends: a.yaml\nid: c\nversion: '1'\n", "c.yaml")
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "a.yaml")
    a, b, c = (f"{tmp_path}/{n}.yaml" for n in "abc")
    assert str(info.value) == f"{c}:1:10: extends cycle: {a} -> {b} -> {c} -> {a}; remove one of these `extends`"


def test_a_file_extending_itself(write, tmp_path) -> None:
    path = write("extends: self.yaml\nid: s\nversion: '1'\n", "self.yaml")
    with pytest.raises(PolicyError, match=r"self.yaml:1:10: extends cycle: .*self.yaml -> .*self.yaml;"):
        load_policy(path)


def test_a_child_may_use_the_parents_periods(write) -> None:
    write(PARENT, "parent.yaml")
    rule = ("  - id: x.vote\n    kind: lexicon\n    during: purdah\n    severity: low\n    action: note\n"
            "    message: m\n    source: s\n    terms: [budget]\n")
    child = write(CHILD.replace("examples:\n", rule + "examples:\n"), "child2.yaml")
    assert load_policy(child).check("the budget", date=dt.date(2026, 3, 5)).findings[0].rule == "x.vote"
