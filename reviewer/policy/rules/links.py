"""links (allowed domains, shorteners, count) and length (per-platform limits)."""

from __future__ import annotations

from typing import Any

from ..urls import SHORTENERS, host_matches
from .base import CompiledRule, RuleMeta, Scan, Span

DEFAULT_LIMITS = {"x": 280, "facebook": 63206, "instagram": 2200, "linkedin": 3000}
DEFAULT_LINK_LENGTH = {"x": 23}


def canonical_platform(name: str) -> str:
    """`twitter` is another name for `x`."""
    return "x" if name == "twitter" else name


class AllowedDomainsRule(CompiledRule):
    """Every link must point at one of the allowed domains (`*.x` is x and its subdomains)."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.allowed = tuple(d.lower() for d in body.allowed_domains)

    def evaluate(self, scan: Scan) -> list[Span] | None:
        spans = [(u.start, u.end) for u in scan.urls
                 if not any(host_matches(u.host, pattern) for pattern in self.allowed)]
        return spans or None


class ShortenersRule(CompiledRule):
    """No link through a URL shortener (they hide where the link goes)."""

    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        domains = [d.strip().lower() for d in (body.domains if body.domains is not None else SHORTENERS)]
        # Plain ASCII names are looked up in a set; wildcards and IDNs go through host_matches.
        self.exact = frozenset(d for d in domains if not d.startswith("*.") and d.isascii() and "xn--" not in d)
        self.patterns = tuple(d for d in domains if d not in self.exact)

    def _is_shortener(self, host: str) -> bool:
        return host in self.exact or any(host_matches(host, p) for p in self.patterns)

    def evaluate(self, scan: Scan) -> list[Span] | None:
        spans = [(u.start, u.end) for u in scan.urls if self._is_shortener(u.host)]
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
