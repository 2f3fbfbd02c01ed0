"""toxicity rules: thresholds per label, skipped without a scorer, one batched call."""

from __future__ import annotations

from policy_helpers import Scorer, rule_policy

from reviewer.policy import Draft

TOXICITY = "kind: toxicity\nthresholds: {toxicity: 0.8, insult: 0.7}"


def test_fires_at_or_above_any_threshold(policy_of) -> None:
    policy = policy_of(rule_policy(TOXICITY))
    scorer = Scorer({"a": {"toxicity": 0.8, "insult": 0.0}, "b": {"toxicity": 0.1, "insult": 0.69},
                     "c": {"toxicity": 0.1, "insult": 0.7}})
    assert [policy.check(t, scorer=scorer).decision for t in "abc"] == ["block", "pass", "block"]
    verdict = policy.check("a", scorer=scorer)
    assert (verdict.findings[0].spans, verdict.findings[0].excerpt) == ((), "")
    assert verdict.scores == {"toxicity": 0.8, "insult": 0.0}
    assert verdict.to_dict()["scorer"] == {"name": "fixed", "version": "1"}


def test_skipped_without_a_scorer(policy_of) -> None:
    verdict = policy_of(rule_policy(TOXICITY)).check("anything")
    assert (verdict.decision, verdict.scores, verdict.scorer) == ("pass", {}, None)


def test_check_batch_scores_all_texts_in_one_call(policy_of) -> None:
    policy = policy_of(rule_policy(TOXICITY))
    scorer = Scorer({"bad": {"toxicity": 0.9, "insult": 0.9}})
    verdicts = policy.check_batch([Draft("fine"), Draft("bad"), Draft("also fine", platform="x")], scorer=scorer)
    assert [v.decision for v in verdicts] == ["pass", "block", "pass"]
    assert scorer.calls == [["fine", "bad", "also fine"]]


def test_required_and_unknown_labels(policy_of) -> None:
    policy = policy_of(rule_policy("kind: toxicity\nthresholds: {toxicity: 0.8, threat: 0.5}"))
    assert policy.required_labels == {"toxicity", "threat"}
    messages = policy.unknown_labels(("toxicity", "insult"))
    assert messages == [f"{policy.path}:10:33: [r.x] toxicity label 'threat' is not produced by the scorer "
                        "(it gives: insult, toxicity); this threshold never fires"]
    assert policy.unknown_labels(["toxicity", "threat"]) == []
