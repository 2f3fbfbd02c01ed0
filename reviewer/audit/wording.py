"""Audit events in plain words, for the trail, the story and the report (the stored JSON stays as it is).

Pure: takes an event's action and its details (the parsed `data`), returns text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def passed_policy(policy: Mapping[str, Any] | None) -> str:
    """`Approved automatically: passed policy government version 2026.1` (the policy's own decision)."""
    policy = policy or {}
    name = policy.get("id") or "the policy"
    version = f" version {policy['version']}" if policy.get("version") else ""
    return f"Approved automatically: passed policy {name}{version}"


def event_summary(action: str, details: Mapping[str, Any], actor: str) -> str:
    """One line that says what happened, where the action name alone would mislead; '' otherwise."""
    if action == "draft.auto_approved":
        return f"{passed_policy(details.get('policy'))}, when {actor} submitted it; nobody approved it by hand."
    return ""
