"""Links in drafts: what counts as a link, where it ends, its host, and domain patterns."""

from __future__ import annotations

import pytest

from reviewer.policy.urls import SHORTENERS, UrlMatch, domain_pattern_problem, find_urls, host_matches


def links(text: str) -> list[tuple[str, str]]:
    return [(u.url, u.host) for u in find_urls(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://www.gov.uk/help for more", [("https://www.gov.uk/help", "www.gov.uk")]),
        ("visit www.Council.govt.nz/rates, today", [("www.Council.govt.nz/rates", "www.council.govt.nz")]),
        ("short: bit.ly/x now", [("bit.ly/x", "bit.ly")]),
        ("go to example.com.", [("example.com", "example.com")]),
        ("gov.uk", [("gov.uk", "gov.uk")]),
        ("http://user:pw@EXAMPLE.com.:8080/a?b=1#c!", [("http://user:pw@EXAMPLE.com.:8080/a?b=1#c", "example.com")]),
        ("http://xn--bcher-kva.example/", [("http://xn--bcher-kva.example/", "b\u00fccher.example")]),
        ("b\u00fccher.de", [("b\u00fccher.de", "b\u00fccher.de")]),
        ("is.gd/abc", [("is.gd/abc", "is.gd")]),
        ("http://192.168.0.1/admin", [("http://192.168.0.1/admin", "192.168.0.1")]),
        ("http://[::1]:80/x", [("http://[::1]:80/x", "::1")]),
        ("two: a.com and https://b.org/x?y=1", [("a.com", "a.com"), ("https://b.org/x?y=1", "b.org")]),
    ],
)
def test_links_are_found_with_their_host(text: str, expected: list[tuple[str, str]]) -> None:
    assert links(text) == expected


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("(see gov.uk/help).", "gov.uk/help"),
        ("See https://www.gov.uk/help). Thanks", "https://www.gov.uk/help"),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("Is it https://example.org/a?", "https://example.org/a"),
        ('"https://example.org/q"', "https://example.org/q"),
        ("at example.org/path...", "example.org/path"),
        ("\u201chttps://example.org/\u201d", "https://example.org/"),
    ],
)
def test_trailing_punctuation_stays_out(text: str, url: str) -> None:
    [match] = find_urls(text)
    assert match.url == url
    assert text[match.start : match.end] == url


@pytest.mark.parametrize(
    "text",
    [
        "email john.smith@example.com or a.b@x.org",
        "e.g. this, i.e. that, Mr.Smith, 3.5, U.K.",
        "see report.pdf and form.docx",
        "logged.in and sort.it",
        "version 2.0.1",
        "thanks @example",
        "",
    ],
)
def test_other_dotted_text_is_not_a_link(text: str) -> None:
    assert find_urls(text) == []


def test_spans_point_into_the_text() -> None:
    text = "Read https://example.org/x and bit.ly/y."
    assert find_urls(text) == [
        UrlMatch(5, 26, "https://example.org/x", "example.org"),
        UrlMatch(31, 39, "bit.ly/y", "bit.ly"),
    ]


@pytest.mark.parametrize(
    ("host", "pattern", "expected"),
    [
        ("gov.uk", "*.gov.uk", True),
        ("www.gov.uk", "*.gov.uk", True),
        ("a.b.gov.uk", "*.GOV.UK", True),
        ("evilgov.uk", "*.gov.uk", False),
        ("gov.uk.evil.com", "*.gov.uk", False),
        ("example.org", "example.org", True),
        ("www.example.org", "example.org", False),
        ("EXAMPLE.org.", "example.org", True),
        ("b\u00fccher.example", "xn--bcher-kva.example", True),
    ],
)
def test_host_patterns(host: str, pattern: str, expected: bool) -> None:
    assert host_matches(host, pattern) is expected


@pytest.mark.parametrize("pattern", ["", "  ", "*.", "ex*ample.org", "*", "https://gov.uk", "gov.uk/help", "a b.org"])
def test_bad_host_patterns_are_clear_errors(pattern: str) -> None:
    assert domain_pattern_problem(pattern) is not None
    with pytest.raises(ValueError, match="domain pattern"):
        host_matches("example.org", pattern)


@pytest.mark.parametrize("pattern", ["example.org", "*.gov.uk", "GOV.UK.", "xn--bcher-kva.example"])
def test_good_host_patterns_have_no_problem(pattern: str) -> None:
    assert domain_pattern_problem(pattern) is None


def test_shorteners_are_a_good_list_of_hosts() -> None:
    assert {"bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "buff.ly", "is.gd", "rebrand.ly", "cutt.ly",
            "shorturl.at", "tiny.cc"} <= SHORTENERS
    assert all(host == host.lower() and "." in host and "/" not in host for host in SHORTENERS)
    assert [u.host for u in find_urls("see tinyurl.com/abc and t.co/xyz") if u.host in SHORTENERS] == ["tinyurl.com", "t.co"]


def test_find_urls_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="needs a str"):
        find_urls(None)  # type: ignore[arg-type]
