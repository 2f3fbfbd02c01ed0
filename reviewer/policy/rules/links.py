"""links (allowed domains, shorteners, count) and length (per-platform limits)."""

from __future__ import annotations

from typing import Any

from reviewer.vocabulary import PLATFORM_ALIASES

from ..urls import SHORTENERS, host_matches
from .base import CompiledRule, RuleMeta, Scan, Span

DEFAULT_LIMITS = {"x": 280, "facebook": 63206, "instagram": 2200, "linkedin": 3000}
DEFAULT_LINK_LENGTH = {"x": 23}


def canonical_platform(name: str) -> str:
    """The platform a name means (`twitter` is another name for `x`)."""
    return PLATFORM_ALIASES.get(name, name)


class DomainSet:
    """Domain patterns compiled once, with exactly the meaning of `urls.host_matches`.

    Plain ASCII names and `*.` wildcards over them are set lookups on the host
    and its parent domains; other patterns (IDN, punycode) go through
    host_matches. Patterns are validated by the loader.
    """

    def __init__(self, patterns: list[str] | tuple[str, ...] | frozenset[str]) -> None:
        self.patterns = tuple(patterns)
        self.exact: set[str] = set()
        self.wildcards: set[str] = set()
        self.others: list[str] = []
        for pattern in patterns:
            wanted = pattern.strip().lower()
            wildcard = wanted.startswith("*.")
            base = (wanted[2:] if wildcard else wanted).strip().rstrip(".")
            if base.isascii() and "xn--" not in base:
                (self.wildcards if wildcard else self.exact).add(base)
            else:
                self.others.append(pattern)

    def matches(self, host: str) -> bool:
        if "xn--" in host:  # a label find_urls could not decode: let host_matches decide
            return any(host_matches(host, pattern) for pattern in self.patterns)
        if host in self.exact or host in self.wildcards:
            return True
        if self.wildcards:
            dot = host.find(".")
            while dot >= 0:
                if host[dot + 1:] in self.wildcards:
                    return True
                dot = host.find(".", dot + 1)
        return any(host_matches(host, pattern) for pattern in self.others)


class AllowedDomainsRule(CompiledRule):
    """Every link must point at one of the allowed domains (`*.x` is x and its subdomains)."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.allowed = DomainSet(body.allowed_domains)

    def evaluate(self, scan: Scan) -> list[Span] | None:
        spans = [(u.start, u.end) for u in scan.urls if not self.allowed.matches(u.host)]
        return spans or None


class ShortenersRule(CompiledRule):
    """No link through a URL shortener (they hide where the link goes)."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.shorteners = DomainSet(body.domains if body.domains is not None else SHORTENERS)

    def evaluate(self, scan: Scan) -> list[Span] | None:
        spans = [(u.start, u.end) for u in scan.urls if self.shorteners.matches(u.host)]
        return spans or None


class LinkCountRule(CompiledRule):
    """At most `max` links; the links past the limit are marked."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.max = body.max

    def evaluate(self, scan: Scan) -> list[Span] | None:
        urls = scan.urls
        if len(urls) <= self.max:
            return None
        return [(u.start, u.end) for u in urls[self.max:]]


class LengthRule(CompiledRule):
    """The platform's character limit, counting each link as `link_length` characters.

    The span marks the characters past the limit. Length counts code points.
    """

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.limits = dict(DEFAULT_LIMITS)
        self.limits.update({canonical_platform(k): v for k, v in body.limits.items()})
        self.link_length = dict(DEFAULT_LINK_LENGTH)
        self.link_length.update({canonical_platform(k): v for k, v in body.link_length.items()})

    def evaluate(self, scan: Scan) -> list[Span] | None:
        if scan.platform is None:
            return None
        platform = canonical_platform(scan.platform)
        limit = self.limits.get(platform)
        if limit is None:
            return None
        text = scan.text
        link_length = self.link_length.get(platform)
        if link_length is None or not scan.urls:
            return [(limit, len(text))] if len(text) > limit else None
        # Walk the text; each link counts link_length, other characters one each.
        counted = 0
        position = 0
        for url in scan.urls:
            gap = url.start - position
            if counted + gap > limit:
                return [(position + (limit - counted), len(text))]
            counted += gap + link_length
            position = url.end
            if counted > limit:
                return [(url.start, len(text))]
        rest = len(text) - position
        if counted + rest > limit:
            return [(position + (limit - counted), len(text))]
        return None
