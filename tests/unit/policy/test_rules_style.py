"""tone (capitals, punctuation) and accessibility (hashtag count and case, emoji runs)."""

from __future__ import annotations

import pytest
from policy_helpers import rule_policy

from reviewer.policy.rules.style import is_multiword


def excerpt(verdict):
    return [f.excerpt for f in verdict.findings]


def test_capitals_ratio_and_spans(policy_of) -> None:
    policy = policy_of(rule_policy("kind: tone\ncheck: capitals"))
    assert excerpt(policy.check("WE HAVE TOLD YOU ALREADY, read it")) == ["WE HAVE TOLD YOU ALREADY"]
    assert policy.check("Thanks, the NHS and DWP can help you with this.").decision == "pass"
    assert policy.check("OK THEN").decision == "pass"  # under min_letters: too short to judge


def test_capitals_settings(policy_of) -> None:
    policy = policy_of(rule_policy("kind: tone\ncheck: capitals\nmax_ratio: 0.2\nmin_letters: 3"))
    assert policy.check("Hi THERE").decision == "block"


def test_punctuation_runs(policy_of) -> None:
    policy = policy_of(rule_policy("kind: tone\ncheck: punctuation"))
    assert policy.check("Really?! Yes!").decision == "pass"
    assert excerpt(policy.check("Really?!? No!!!! ok")) == ["?!? … !!!!"]
    assert excerpt(policy.check("Why\uff1f\uff1f\uff1f")) == ["\uff1f\uff1f\uff1f"]
    strict = policy_of(rule_policy("kind: tone\ncheck: punctuation\nmax_run: 1"), "s.yaml")
    assert strict.check("No!!").decision == "block"


def test_hashtag_count(policy_of) -> None:
    policy = policy_of(rule_policy("kind: accessibility\ncheck: hashtag_count\nmax: 2"))
    assert policy.check("#One #Two and C# or a#b").decision == "pass"
    assert excerpt(policy.check("#One #Two #Three #Four")) == ["#Three … #Four"]


@pytest.mark.parametrize("tag", ["#mentalhealthweek", "#MENTALHEALTHWEEK", "#votenow", "#ROADSAFETY",
                                 "#thisisaverylonghashtag"])
def test_hashtag_case_flags_one_case_multiword_tags(policy_of, tag: str) -> None:
    policy = policy_of(rule_policy("kind: accessibility\ncheck: hashtag_case"))
    assert excerpt(policy.check(f"Join us {tag} today")) == [tag]


@pytest.mark.parametrize("tag", ["#MentalHealthWeek", "#NHS", "#covid", "#COVID19", "#covid19vaccine", "#mental_health_week",
                                 "#health", "#Wellington", "#nz", "#unbelievable"])
def test_hashtag_case_passes_readable_tags(policy_of, tag: str) -> None:
    policy = policy_of(rule_policy("kind: accessibility\ncheck: hashtag_case"))
    assert policy.check(f"Join us {tag} today").decision == "pass"


def test_is_multiword() -> None:
    assert is_multiword("healthweek") and is_multiword("ROADSAFETY")
    assert not is_multiword("health") and not is_multiword("wellington")


def test_emoji_runs(policy_of) -> None:
    policy = policy_of(rule_policy("kind: accessibility\ncheck: emoji_run\nmax: 3"))
    assert policy.check("Great 🎉🎉🎉 news 🎉").decision == "pass"
    assert excerpt(policy.check("Great 🎉🎉🎉🎉 news")) == ["🎉🎉🎉🎉"]
    family = "👨\u200d👩\u200d👧"  # one emoji made of three joined
    thumbs = "👍🏽"  # one emoji with a skin tone
    assert policy.check(family + thumbs + "🇳🇿").decision == "pass"  # three emoji, one of them a flag
    assert policy.check(family + thumbs + "🇳🇿🇬🇧").decision == "block"
    assert policy.check("🎉 🎉 🎉 🎉 🎉").decision == "pass"  # spaced: not a run
    assert policy.check("❤️❤️❤️❤️").findings[0].spans == ((0, 8),)
