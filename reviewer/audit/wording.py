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
    if action == "approval.refused":
        return f"{refusal_words(str(details.get('reason', '')))}: refused."
    return ""


#: Why the workflow refused an approval, as a person would say it (codes from review.workflow).
REFUSAL_WORDS = {
    "own_draft": "Tried to approve their own draft",
    "own_edit": "Tried to approve their own edit",
    "not_approver": "Not an approver",
    "not_in_group": "Not in a group the draft is routed to",
    "already_approved": "Had already approved this version",
    "group_done": "Their group had already approved it",
    "not_staff": "Does not draft for this account",
}


def refusal_words(code: str) -> str:
    """`own_edit` -> `Tried to approve their own edit`; an unknown code is shown, not hidden."""
    return REFUSAL_WORDS.get(code, f"Refused ({code})")


#: Detail keys as words, where the key alone reads badly.
DETAIL_LABELS = {
    "account_id": "Account",
    "inbound_post_id": "Inbound post",
    "draft_id": "Draft",
    "approvals_required": "Approvals required",
    "text_sha256": "Text sha256",
    "blocking_rules": "Blocking rules",
    "returned_by": "Returned by",
}


def detail_pairs(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An event's data as (label, value) pairs to read: lists joined, nested objects as `key value`."""

    def text(value: Any) -> str:
        if isinstance(value, Mapping):
            return ", ".join(f"{key} {text(inner)}" for key, inner in value.items() if inner not in (None, ""))
        if isinstance(value, (list, tuple)):
            return ", ".join(text(inner) for inner in value) if value else "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "" if value is None else str(value)

    return [(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()), text(value)) for key, value in details.items()]
