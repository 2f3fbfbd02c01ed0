"""pii, links and length rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import rule_policy

from reviewer.policy.rules.base import _MAYBE_LINK
from reviewer.policy.rules.links import DomainSet
from reviewer.policy.urls import find_urls, host_matches


def excerpts(verdict):
    return [(f.rule, f.excerpt) for f in verdict.findings]


def test_pii_finds_personal_data_and_honours_allow(policy_of) -> None:
    policy = policy_of(rule_policy("kind: pii\ndetect: [email, phone, card]\nregions: [NZ]\n"
                                   "allow: ['0800 123 456', help@agency.govt.nz]"))
    verdict = policy.check("Call 021 555 0199 or mail jo.bloggs@example.com")
    assert excerpts(verdict) == [("r.x", "021 555 0199 … jo.bloggs@example.com")]
    assert policy.check("Call us on 0800 123 456 or help@agency.govt.nz").decision == "pass"
    assert policy.check("Card 4111 1111 1111 1111").decision == "block"
    assert policy.check("Card 4111 1111 1111 1112").decision == "pass"  # fails the Luhn check


def test_pii_case_reference_pattern(policy_of) -> None:
    policy = policy_of(rule_policy(r"kind: pii" + "\n" + r"detect: [case_ref]" + "\n" + r"case_ref_patterns: ['CC-\d{6}']"))
    assert excerpts(policy.check("Your case CC-123456 is open")) == [("r.x", "CC-123456")]


def test_pii_case_reference_patterns_ignore_case_unless_told(policy_of) -> None:
    body = "kind: pii\ndetect: [case_ref]\ncase_ref_patterns: ['\\bCC-\\d{6}\\b']"
    assert excerpts(policy_of(rule_policy(body)).check("Your case cc-123456 is open")) == [("r.x", "cc-123456")]
    strict = policy_of(rule_policy(body + "\ncase_ref_flags: []"))
    assert strict.check("Your case cc-123456 is open").decision == "pass"
    assert excerpts(strict.check("Your case CC-123456 is open")) == [("r.x", "CC-123456")]


def test_context_case_reference_patterns_ignore_case_too(policy_of) -> None:
    text = rule_policy("kind: context\nmatch: {kind: pii, detect: [case_ref], case_ref_patterns: ['CC-\\d{6}']}")
    verdict = policy_of(text).check("Thanks", in_reply_to="my case is cc-123456")
    assert excerpts(verdict) == [("r.x", "cc-123456")]


DOMAINS = "kind: links\ncheck: domains\nallowed_domains: ['*.govt.nz', example.org]"


def test_links_allowed_domains(policy_of) -> None:
    policy = policy_of(rule_policy(DOMAINS))
    assert policy.check("See https://www.health.govt.nz/a and example.org/b and govt.nz").decision == "pass"
    verdict = policy.check("See https://evil.com/x and www.example.org.evil.net")
    assert excerpts(verdict) == [("r.x", "https://evil.com/x … www.example.org.evil.net")]


def test_links_shorteners_default_and_custom(policy_of) -> None:
    default = policy_of(rule_policy("kind: links\ncheck: shorteners"))
    assert excerpts(default.check("Go to bit.ly/abc or https://tinyurl.com/x")) == [
        ("r.x", "bit.ly/abc … https://tinyurl.com/x")]
    assert default.check("Go to https://www.gov.uk/x").decision == "pass"
    custom = policy_of(rule_policy("kind: links\ncheck: shorteners\ndomains: [go.example]"), "c.yaml")
    assert custom.check("bit.ly/abc").decision == "pass"
    assert custom.check("https://go.example/a").decision == "block"


def test_links_count_marks_the_links_past_the_limit(policy_of) -> None:
    policy = policy_of(rule_policy("kind: links\ncheck: count\nmax: 1"))
    assert policy.check("one https://a.govt.nz").decision == "pass"
    assert excerpts(policy.check("https://a.govt.nz https://b.govt.nz https://c.govt.nz")) == [
        ("r.x", "https://b.govt.nz … https://c.govt.nz")]


LENGTH = "kind: length"


@pytest.mark.parametrize(("platform", "limit"), [("x", 280), ("twitter", 280), ("facebook", 63206),
                                                 ("instagram", 2200), ("linkedin", 3000)])
def test_length_defaults_per_platform(policy_of, platform: str, limit: int) -> None:
    policy = policy_of(rule_policy(LENGTH))
    assert policy.check("a" * limit, platform=platform).decision == "pass"
    verdict = policy.check("a" * (limit + 5), platform=platform)
    assert verdict.findings[0].spans == ((limit, limit + 5),)


def test_length_applies_only_with_a_platform(policy_of) -> None:
    assert policy_of(rule_policy(LENGTH)).check("a" * 5000).decision == "pass"


def test_length_counts_a_link_as_23_on_x(policy_of) -> None:
    policy = policy_of(rule_policy(LENGTH))
    link = "https://www.example.govt.nz/" + "p" * 100  # 128 characters, counted as 23
    text = "a" * 257 + link  # 257 + 23 = 280
    assert policy.check(text, platform="x").decision == "pass"
    assert policy.check(text, platform="facebook").decision == "pass"
    over = "a" * 250 + link + " " + "b" * 10  # 250 + 23 + 11 = 284
    verdict = policy.check(over, platform="x")
    assert verdict.findings[0].spans == ((len(over) - 4, len(over)),)


def test_length_overrides(policy_of) -> None:
    policy = policy_of(rule_policy("kind: length\nlimits: {x: 10, linkedin: 5}\nlink_length: {x: 5}"))
    assert policy.check("12345 https://a.govt.nz/xyz", platform="x").decision == "block"  # 6 + 5 = 11
    assert policy.check("1234 https://a.govt.nz/xyz", platform="x").decision == "pass"
    assert policy.check("123456", platform="linkedin").findings[0].spans == ((5, 6),)


def test_an_unknown_platform_is_a_clear_error(policy_of) -> None:
    with pytest.raises(ValueError, match="platform 'myspace' is not one of: x, twitter, facebook, instagram, linkedin"):
        policy_of(rule_policy(LENGTH)).check("hi", platform="myspace")


URLISH = st.lists(st.sampled_from(list("abcXY09 .:/-_@#?") + ["www.", "http", "://", ".com", ".govt.nz", "bit.ly",
                                                             "\uff0e", "\u3002", "é"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=URLISH)
def test_the_link_pre_check_never_hides_a_link(text: str) -> None:
    if find_urls(text):
        assert _MAYBE_LINK.search(text)


LABELS = st.sampled_from(["gov", "uk", "govt", "nz", "www", "health", "bit", "ly", "xn--bcher-kva", "bücher", "Gov", "co",
                          "xn--abc-", "abc"])
HOSTS = st.lists(LABELS, min_size=1, max_size=4).map(".".join)
PATTERNS = st.tuples(st.booleans(), HOSTS, st.sampled_from(["", ".", " "])).map(
    lambda t: ("*." if t[0] else "") + t[1] + t[2])


@settings(max_examples=300, deadline=None)
@given(host=HOSTS.map(str.lower), patterns=st.lists(PATTERNS, min_size=1, max_size=4))
def test_domain_sets_mean_what_host_matches_means(host: str, patterns: list[str]) -> None:
    assert DomainSet(patterns).matches(host) == any(host_matches(host, p) for p in patterns)
