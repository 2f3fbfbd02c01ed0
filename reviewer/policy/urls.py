"""Find links in a draft and compare their hosts with domain patterns.

A link is an `http(s)://` URL, a `www.` address, or a bare domain that has a
path ("bit.ly/x") or ends in a well-known top-level domain ("example.com").
E-mail addresses are not links. Punctuation that ends a sentence or closes a
bracket opened before the link ("(see gov.uk/help).") stays out of the match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SHORTENERS", "UrlMatch", "domain_pattern_problem", "find_urls", "host_matches"]

SHORTENERS: frozenset[str] = frozenset(
    {
        "bit.ly", "bitly.com", "bit.do", "tinyurl.com", "t.co", "goo.gl", "g.co", "ow.ly", "buff.ly",
        "is.gd", "v.gd", "rebrand.ly", "rb.gy", "cutt.ly", "shorturl.at", "tiny.cc", "tiny.one",
        "t.ly", "tr.im", "x.co", "lnkd.in", "db.tt", "qr.ae", "adf.ly", "bl.ink", "s.id", "soo.gd",
        "clck.ru", "short.io", "shorte.st", "ouo.io", "po.st", "mcaf.ee", "su.pr", "fb.me", "fb.watch",
        "youtu.be", "amzn.to", "amzn.eu", "a.co", "wp.me", "trib.al", "dlvr.it", "ift.tt", "spr.ly",
        "lnk.to", "linktr.ee", "hubs.ly", "hubs.la", "bitly.is", "j.mp", "u.to", "urlz.fr", "0rz.tw",
        "shorturl.com", "snip.ly", "tinu.be", "zpr.io", "bbc.in", "apple.co", "on.fb.me", "dld.bz",
        "cli.gs", "kutt.it", "2.gp", "n9.cl", "go2l.ink", "rotf.lol", "tny.im", "han.gl", "me2.do",
        "urlr.me", "surl.li", "gg.gg", "qrco.de", "t2m.io", "shor.by", "chilp.it", "bre.is",
    }
)

# Top-level domains that make a bare "name.tld" a link even without a path.
# Two-letter country codes that are also common English words are left out
# ("logged.in", "sort.it"); with a path ("is.gd/x") any TLD counts.
_KNOWN_TLDS = frozenset(
    """
    com org net gov edu mil int info biz name pro aero coop museum app dev io ai co tv ly gl gd cc
    xyz online site website tech store shop blog news live life world today club link click page
    uk nz au ca ie de fr es nl be ch at se dk fi pl pt gr cz hu ro ru ua jp cn kr hk sg tw my ph
    th vn id za ng ke gh eg ma br ar cl mx pe ve uy eu asia mobi fm cx ws la su ms me
    govt gouv gc scot wales cymru london nyc berlin paris
    """.split()
)

_TRAILING = ".,;:!?'\"\u2019\u201d\u2026*_~"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}

_LABEL = r"[^\W_][\w-]*+"  # possessive: a word without a dot fails at once instead of backtracking
_HOST = rf"(?:{_LABEL}\.)+[^\W\d_]{{2,63}}\.?"
_PATH_CHARS = r"[^\s<>\"]"
# Every link has a dot before a letter, or "://"; both start with a literal, which is fast to search.
_DOT_LETTER = re.compile(r"\.[^\W\d_]")
_SCHEME_MARK = re.compile(r"://")
_NOT_SPACE = re.compile(r"\S*")
_URL = re.compile(
    rf"""
    (?P<scheme>https?://[^\s<>"]+)
    | (?<![\w.@/-])(?P<www>www\.{_HOST}(?::\d{{1,5}})?(?:[/?#]{_PATH_CHARS}*)?)
    | (?<![\w.@/:+-])(?P<bare>{_HOST}(?::\d{{1,5}})?(?P<path>[/?#]{_PATH_CHARS}*)?)
    """,
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class UrlMatch:
    """A link in a draft: [start, end) into the typed text, the link as typed, and its host."""

    start: int
    end: int
    url: str
    host: str  # lower-case, no port, no trailing dot, IDNA-decoded to unicode


def find_urls(text: str) -> list[UrlMatch]:
    """Every link in `text`, in order."""
    if not isinstance(text, str):
        raise TypeError(f"find_urls() needs a str, got {type(text).__name__}")
    found: list[UrlMatch] = []
    for region_start, region_end in _regions(text):
        for match in _URL.finditer(text, region_start, region_end):
            start = match.start()
            raw = _trim(match.group())
            if match.group("bare") is not None:
                if _followed_by_at(text, start + len(raw)) or not _bare_is_link(raw):
                    continue
            host = _host_of(raw)
            if host:
                found.append(UrlMatch(start, start + len(raw), raw, host))
    return found


def _regions(text: str) -> list[tuple[int, int]]:
    """The whitespace-delimited stretches of `text` that may hold a link (they have ".x" or "://").

    Scanning only these keeps the full link pattern off ordinary prose."""
    anchors = sorted([m.start() for m in _DOT_LETTER.finditer(text)] + [m.start() for m in _SCHEME_MARK.finditer(text)])
    regions: list[tuple[int, int]] = []
    for anchor in anchors:
        if regions and anchor < regions[-1][1]:
            continue
        start = max(text.rfind(" ", 0, anchor), text.rfind("\n", 0, anchor), text.rfind("\t", 0, anchor)) + 1
        end = _NOT_SPACE.match(text, anchor).end()
        if regions and start < regions[-1][1]:
            regions[-1] = (regions[-1][0], end)
        else:
            regions.append((start, end))
    return regions


def _followed_by_at(text: str, end: int) -> bool:
    return end < len(text) and text[end] == "@"


def _bare_is_link(raw: str) -> bool:
    host_part = re.split(r"[/?#:]", raw, maxsplit=1)[0].rstrip(".")
    has_path = len(host_part) < len(raw.rstrip(".")) and raw[len(host_part)] in "/?#"
    tld = host_part.rsplit(".", 1)[-1].lower()
    return has_path or tld in _KNOWN_TLDS


def _trim(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from the end of a link."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last]):
            url = url[:-1]
        else:
            break
    return url


def _host_of(url: str) -> str:
    rest = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url, flags=re.IGNORECASE)
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    authority = authority.rsplit("@", 1)[-1]  # drop user:password@
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0].lower()
    host = authority.split(":", 1)[0]
    return _decode_host(host)


def _decode_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                pass  # not valid punycode: keep it as typed
        labels.append(label)
    return ".".join(labels)


def domain_pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not a usable domain pattern (a sentence for the policy author), or None.

    `host_matches` raises ValueError with this text; a policy loader can call this while validating."""
    if not isinstance(pattern, str) or not pattern.strip():
        return f"domain pattern {pattern!r} is empty; write a domain such as 'example.org' or '*.gov.uk'"
    wanted = pattern.strip()
    wanted = wanted[2:] if wanted.startswith("*.") else wanted
    if "*" in wanted or not wanted.strip(".") or any(c.isspace() or c in "/:@" for c in wanted):
        return (
            f"domain pattern {pattern!r} is not valid: use a domain ('example.org') or '*.' and a domain ('*.gov.uk'), "
            "without a scheme, path or port"
        )
    return None


def host_matches(host: str, pattern: str) -> bool:
    """Whether `host` is allowed by `pattern`.

    "*.gov.uk" covers gov.uk and its subdomains; "example.org" only itself."""
    problem = domain_pattern_problem(pattern)
    if problem:
        raise ValueError(problem)
    wanted = pattern.strip()
    wildcard = wanted.startswith("*.")
    base = _decode_host(wanted[2:] if wildcard else wanted)
    name = _decode_host(host)
    return name == base or (wildcard and name.endswith("." + base))
