"""Semantic rules: validation with file:line, training, spans as typed, targets, extends, no encoder."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from reviewer.policy import PolicyError, load_policy
from reviewer.policy.rules.semantic import sentence_spans, train

HEADER = 'id: t\nversion: "1"\n'
RULE = """\
  - id: tone.snark
    kind: semantic
    severity: medium
    action: review
    route: comms
    message: Be kind.
    source: test
    target: {target}
    like: ["Obviously you did not bother reading", "Wow what a surprise genius", "Clearly you did not read it",
           "Bless you for bothering", "Obviously a genius at reading"]
    unlike: ["The library opens on Monday", "Thanks for your message", "The pool opens at hours on Tuesday",
             "Please read the page again and thanks", "Our bins collection is on Monday"]
"""
SEMANTIC = """\
semantic:
  false_alarm_rate: 0.2
  neutral: ["We are open on Monday", "Thanks for the message about the bins", "The pool is open this Tuesday",
            "Our library hours are on the page", "Please message us again", "It is open at the library"]
"""


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def policy_with(tmp_path: Path, target: str = "draft", extra: str = ""):
    return write(tmp_path, HEADER + SEMANTIC + "rules:\n" + RULE.format(target=target) + extra)


def test_a_sentence_like_the_examples_fires_with_its_span_as_typed(tmp_path: Path, tiny_encoder) -> None:
    policy = load_policy(policy_with(tmp_path), encoder=tiny_encoder)
    text = "Thanks for your message.   Obviously you didn't bother reading, genius!"
    verdict = policy.check(text)
    assert verdict.decision == "review" and verdict.routes == ("comms",)
    [finding] = verdict.findings
    assert finding.kind == "semantic" and finding.target == "draft"
    assert finding.excerpt == "Obviously you didn't bother reading, genius!"
    start, end = finding.spans[0]
    assert text[start:end] == finding.excerpt
    assert re.search(r'Be kind\. Reads like: "[^"]+" \(similarity [01]\.\d\d\)\.', finding.message)


def test_ordinary_replies_pass(tmp_path: Path, tiny_encoder) -> None:
    policy = load_policy(policy_with(tmp_path), encoder=tiny_encoder)
    for text in ("The library opens on Monday at nine.", "Thanks for your message about the pool hours."):
        assert policy.check(text).decision == "pass", text


def test_target_inbound_reads_the_post_answered_and_both_reads_both(tmp_path: Path, tiny_encoder) -> None:
    snark = "Wow, what a surprise, genius, obviously."
    inbound = load_policy(policy_with(tmp_path, "inbound"), encoder=tiny_encoder)
    assert inbound.check(snark).decision == "pass"
    [finding] = inbound.check("Thanks for your message.", in_reply_to=snark).findings
    assert finding.target == "in_reply_to" and finding.excerpt == snark
    both = load_policy(policy_with(tmp_path, "both"), encoder=tiny_encoder)
    targets = sorted(f.target for f in both.check(snark, in_reply_to=snark).findings)
    assert targets == ["draft", "in_reply_to"]


def test_an_explicit_threshold_is_used(tmp_path: Path, tiny_encoder) -> None:
    path = write(tmp_path, HEADER + "rules:\n" + RULE.format(target="draft").replace(
        "    target: draft\n", "    target: draft\n    threshold: 5.0\n"))
    assert load_policy(path, encoder=tiny_encoder).check("Obviously a genius, wow.").decision == "pass"


def test_an_unlike_example_vetoes_what_is_nearer_to_it(tmp_path: Path, tiny_encoder) -> None:
    text = "Wow, obviously a genius at reading."
    assert load_policy(policy_with(tmp_path), encoder=tiny_encoder).check(text).decision == "review"
    vetoed = policy_with(tmp_path).read_text().replace('unlike: ["', f'unlike: ["{text}", "')
    assert load_policy(write(tmp_path, vetoed, "q.yaml"), encoder=tiny_encoder).check(text).decision == "pass"


def test_without_an_encoder_the_policy_is_refused_at_the_rule(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"p\.yaml:\d+:11: \[tone\.snark\] rule 'tone\.snark' is a semantic rule, "
                                          r"which needs a sentence encoder"):
        load_policy(policy_with(tmp_path))


def test_skip_semantic_leaves_the_other_rules(tmp_path: Path) -> None:
    extra = ("  - {id: x.word, kind: lexicon, severity: low, action: block, message: m, source: s, terms: [idiot]}\n")
    policy = load_policy(policy_with(tmp_path, extra=extra), skip_semantic=True)
    assert policy.rule_ids == ["x.word"]
    assert policy.check("Obviously a genius, wow, idiot.").decision == "block"


@pytest.mark.parametrize(("body", "message"), [
    ("    like: []\n", r"p\.yaml:\d+:\d+: \[s\.x\] 'like' is empty; give at least one item"),
    ("    like: [a b c d]\n    target: everyone\n", r"p\.yaml:\d+:13: \[s\.x\] 'everyone' is not a valid target \(allowed: draft, inbound, both\)"),
    ("    like: [a b c d]\n    lik: [x]\n", r"unknown key 'lik' in the semantic rule; did you mean 'like'\?"),
    ("    like: [a b c d]\n    false_alarm_rate: 0.7\n", r"'false_alarm_rate' must be less than 0\.5"),
])
def test_validation_errors_name_the_file_line_and_field(tmp_path: Path, tiny_encoder, body: str, message: str) -> None:
    rule = ("rules:\n  - id: s.x\n    kind: semantic\n    severity: low\n    action: review\n    message: m\n"
            "    source: s\n" + body)
    with pytest.raises(PolicyError, match=message):
        load_policy(write(tmp_path, HEADER + rule), encoder=tiny_encoder)


def test_extends_adds_examples_to_an_inherited_rule(tmp_path: Path, tiny_encoder) -> None:
    policy_with(tmp_path)  # p.yaml, the parent
    text = "I am scared and alone and unsafe."
    child = ('id: c\nversion: "1"\nextends: p.yaml\nrules:\n  - id: tone.snark\n    add:\n      like: ['
             '"scared and alone", "I feel unsafe", "unsafe and scared anymore", "alone and hurt", "no point anymore"]\n')
    parent = load_policy(tmp_path / "p.yaml", encoder=tiny_encoder)
    grown = load_policy(write(tmp_path, child, "c.yaml"), encoder=tiny_encoder)
    added = ("scared and alone", "I feel unsafe", "unsafe and scared anymore", "alone and hurt", "no point anymore")
    [finding] = grown.check(text).findings
    assert any(f'Reads like: "{example}"' in finding.message for example in added)
    assert not any(example in f.message for f in parent.check(text).findings for example in added)
    assert grown.sha256 != parent.sha256


def test_adding_examples_to_a_rule_that_is_not_semantic_is_an_error(tmp_path: Path, tiny_encoder) -> None:
    write(tmp_path, HEADER + "rules:\n  - {id: x.word, kind: lexicon, severity: low, action: block, message: m, "
          "source: s, terms: [idiot]}\n", "parent.yaml")
    child = 'id: c\nversion: "1"\nextends: parent.yaml\nrules:\n  - {id: x.word, add: {like: [a]}}\n  - {id: x.nope, add: {like: [a]}}\n'
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, child, "c.yaml"), encoder=tiny_encoder)
    text = str(caught.value)
    assert "c.yaml:5:5: [x.word] adds examples to rule 'x.word', but it is a lexicon rule, not semantic" in text
    assert "c.yaml:6:5: [x.nope] adds examples to rule 'x.nope', but no parent policy defines it" in text


def test_the_trained_state_is_cached_and_reused(tmp_path: Path, tiny_encoder, monkeypatch) -> None:
    from reviewer.policy import engine

    monkeypatch.setattr(tiny_encoder, "cache_dir", tmp_path / "cache")
    engine._CACHE.clear()  # compiled by an earlier test of this process
    path = policy_with(tmp_path)
    first = load_policy(path, encoder=tiny_encoder).check("Obviously a genius, wow.")
    [cached] = (tmp_path / "cache").glob("semantic-*.npz")
    engine._CACHE.clear()
    calls = []
    monkeypatch.setattr("reviewer.policy.rules.semantic.train", lambda *a: calls.append(a))
    again = load_policy(path, encoder=tiny_encoder).check("Obviously a genius, wow.")
    assert calls == [] and again == first and cached.is_file()


def test_sentences_split_as_typed_and_short_ones_join_a_neighbour() -> None:
    text = "Thanks!  We'll look into it today.\nYes. Ha!"
    assert [text[s:e] for s, e in sentence_spans(text)] == [text]  # every short sentence joins its neighbour
    spans = sentence_spans("Thanks! We'll look into it today. Is the pool open on Monday?")
    assert [s for s in spans] == [(0, 33), (34, 61)]
    assert sentence_spans("Ha!") == [(0, 3)] and sentence_spans("  ") == []


def test_training_is_deterministic_and_separates() -> None:
    rng = np.random.default_rng(1)
    positives = rng.normal(0, 1, (30, 8)) + 3
    negatives = rng.normal(0, 1, (200, 8))
    first, second = train(positives, negatives, 0.01), train(positives, negatives, 0.01)
    assert np.array_equal(first[0], second[0]) and first[1:] == second[1:]
    weights, bias, threshold = first
    assert float(np.mean(negatives @ weights + bias > threshold)) <= 0.05
    assert float(np.mean(positives @ weights + bias > threshold)) >= 0.9
