"""Parse a rendered page and list what user text must never become: live script, handlers, styles, foreign elements.

`inline_problems(page)`: anything only 'unsafe-inline' (or no CSP) would let
run or apply. `foreign_elements(page)`: elements the app's own templates
never emit (svg, iframe, object, style, base, an img from elsewhere), which
can only have come from user text. `page_text(page)`: the text a person reads,
entities decoded, to prove a payload is *shown* rather than dropped.
"""

from __future__ import annotations

from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
FOREIGN_TAGS = {"svg", "math", "iframe", "frame", "object", "embed", "style", "base", "applet", "meta", "audio", "video"}


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline: list[str] = []
        self.foreign: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "head":
            self._in_head = True
        if tag == "script":
            if not names.get("src"):
                self.inline.append("inline <script> (no src)")
            self._in_script = True
        if tag == "style":
            self.inline.append("<style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.inline.append(f"<{tag} {name}=...> handler")
            if name == "style":
                self.inline.append(f"<{tag} style=...>")
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith(("javascript:", "vbscript:", "data:text/html")):
                self.inline.append(f"<{tag} {name}={value!r}>")
        if tag in FOREIGN_TAGS and not (tag == "meta" and self._in_head):
            self.foreign.append(tag)
        if tag == "img" and not (names.get("src") or "").startswith(("/static/", "data:image/")):
            self.foreign.append(f"img src={names.get('src')!r}")
        if tag == "link" and not (names.get("href") or "").startswith("/static/"):
            self.foreign.append(f"link href={names.get('href')!r}")
        if tag == "script" and names.get("src") and not names["src"].startswith("/static/"):
            self.foreign.append(f"script src={names['src']!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag == "head":
            self._in_head = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("a <script> with a body")
        self.text.append(data)


def _scan(page: str) -> _Scanner:
    scanner = _Scanner()
    scanner.feed(page)
    scanner.close()
    return scanner


def inline_problems(page: str) -> list[str]:
    return _scan(page).inline


def foreign_elements(page: str) -> list[str]:
    return _scan(page).foreign


def page_text(page: str) -> str:
    """The page's text nodes joined, entities decoded (highlight marks split text; joining puts it back)."""
    return "".join(_scan(page).text)
