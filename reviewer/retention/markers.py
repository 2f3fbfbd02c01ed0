"""What a purged text becomes: a marker naming the date and the sha256 of the text it replaced.

Pure (standard library and the pure workflow only). The marker is ordinary
text, so every page, export, API answer and PDF that shows a text shows the
marker instead, with nothing else to change and nothing to crash on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from reviewer.review.workflow import TRANSITIONS
from reviewer.vocabulary import DRAFT_STATES

#: States a draft never leaves (no transition starts there): its workflow is finished.
FINISHED_STATES: tuple[str, ...] = tuple(state for state in DRAFT_STATES if not any(src == state for src, _ in TRANSITIONS))

_MARKER = re.compile(r"^\[(text|comment) removed on \d{4}-\d{2}-\d{2} under the retention policy \(sha256 [0-9a-f]{64}\)\]$")


def _day(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d")


def text_marker(when: datetime, sha256: str) -> str:
    """`[text removed on 2026-11-23 under the retention policy (sha256 ...)]`."""
    return f"[text removed on {_day(when)} under the retention policy (sha256 {sha256})]"


def comment_marker(when: datetime, sha256: str) -> str:
    """The same for a review comment or reason."""
    return f"[comment removed on {_day(when)} under the retention policy (sha256 {sha256})]"


def is_marker(text: str | None) -> bool:
    """True when `text` is a marker left by a purge."""
    return bool(text) and _MARKER.match(text) is not None


def scrub_verdict(verdict: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The verdict without the purged text's words: each finding's excerpt emptied, its spans dropped.

    Rule ids, kinds, severities, actions, routes, messages (the policy's own
    words), scores, the policy and the scorer stay, so reports still count
    which rules fired. The shape is unchanged (the API's schema still holds).
    """
    if verdict is None:
        return None
    scrubbed = dict(verdict)
    scrubbed["findings"] = [
        {**finding, "excerpt": "", "spans": []} if isinstance(finding, Mapping) else finding
        for finding in verdict.get("findings") or []
    ]
    return scrubbed
