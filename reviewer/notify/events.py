"""What each notification says: the kinds of event, their labels, and the message (plain data, no I/O).

A message carries a title, a few lines, and the path of the page to open;
never the draft's full text (an excerpt only when NOTIFY_EXCERPT_CHARS
allows one). Paths are written here rather than with `url_for` because
messages are made inside services and the worker, outside any request.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

# The events a person can choose how to receive (settings page), with the words the page shows.
EVENTS: dict[str, str] = {
    "draft.routed": "A draft is waiting for one of your groups",
    "draft.returned": "A draft of yours was returned for changes",
    "draft.decided": "A draft of yours was approved or rejected",
    "approval.reminder": "An approval is waiting past half of its target, or past it",
    "approval.escalated": "An approval was escalated to one of your groups",
    "inbound.reminder": "A post is near or past its account's response target",
    "audit.verify_failed": "A check of the audit chain failed",
}
# Digests are sent as their own message, whatever the person chose for the events in them.
DIGEST = "digest"


@dataclass(frozen=True)
class Message:
    """One notification's content; `payload()` is what the outbox row keeps."""

    event: str
    title: str
    lines: tuple[str, ...] = ()
    path: str = "/"
    excerpt: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"title": self.title, "lines": list(self.lines), "path": self.path, "excerpt": self.excerpt, "facts": self.facts}


def excerpt_of(text: str | None, limit: int) -> str | None:
    """The first `limit` characters of `text` (on a word boundary, with an ellipsis), or None when 0."""
    if not text or limit <= 0:
        return None
    clean = " ".join(text.split())
    if len(clean) <= limit:
        return clean
    cut = clean[:limit].rsplit(" ", 1)[0] or clean[:limit]
    return cut + "…"


def link_of(base_url: str | None, path: str) -> str:
    return (base_url or "").rstrip("/") + path


def plain_text(payload: dict[str, Any], link: str) -> str:
    """The email's text/plain part."""
    parts = [payload["title"], "", *payload.get("lines", [])]
    if payload.get("excerpt"):
        parts += ["", f"“{payload['excerpt']}”"]
    parts += ["", f"Open: {link}", "", "You get this because of your notification settings in reviewer."]
    return "\n".join(parts) + "\n"


def html_text(payload: dict[str, Any], link: str) -> str:
    """The email's text/html part (escaped; no remote images, no scripts)."""
    escape = html.escape
    lines = "".join(f"<p>{escape(line)}</p>" for line in payload.get("lines", []))
    quote = f"<blockquote>{escape(payload['excerpt'])}</blockquote>" if payload.get("excerpt") else ""
    return (
        "<!doctype html><html><body>"
        f"<h1 style=\"font-size:1.2em\">{escape(payload['title'])}</h1>{lines}{quote}"
        f"<p><a href=\"{escape(link, quote=True)}\">Open in reviewer</a></p>"
        "<p style=\"color:#555\">You get this because of your notification settings in reviewer.</p>"
        "</body></html>"
    )


def digest_payload(items: list[dict[str, Any]]) -> dict[str, Any]:
    """One daily digest from the payloads it gathers (newest last)."""
    lines = [f"{item['title']} ({item['path']})" for item in items]
    return {"title": f"reviewer: {len(items)} notification{'s' if len(items) != 1 else ''} today", "lines": lines,
            "path": "/", "excerpt": None, "facts": {"count": len(items)}}
