"""The notification settings checked at start-up: each problem names the setting and the entry.

A bad webhook kind would otherwise fail inside a request (the outbox row's
channel is checked by the database), and a bad escalation rule would never
fire; both are caught when the app starts instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

WEBHOOK_KINDS = ("teams", "slack", "json")


def notify_problems(config: Mapping[str, Any], name: Callable[[str], str]) -> list[str]:
    """Problems with NOTIFY_WEBHOOKS, ESCALATION and the numbers around them; `name(key)` is the variable's name."""
    problems = _webhook_problems(config.get("NOTIFY_WEBHOOKS") or {}, name("NOTIFY_WEBHOOKS"))
    problems += _escalation_problems(config.get("ESCALATION") or {}, name("ESCALATION"))
    for key, low, high in (("NOTIFY_DIGEST_HOUR", 0, 23), ("NOTIFY_INBOUND_NEAR_PERCENT", 1, 99),
                           ("NOTIFY_MAX_ATTEMPTS", 1, 100), ("NOTIFY_EXCERPT_CHARS", 0, 280),
                           ("NOTIFY_KEEP_DAYS", 1, 3650)):
        value = config.get(key)
        if _number(value) and not low <= value <= high:
            problems.append(f"{name(key)} must be from {low} to {high}, got {value}")
    base = config.get("EXTERNAL_BASE_URL")
    if base and urlsplit(str(base)).scheme not in ("http", "https"):
        problems.append(f"{name('EXTERNAL_BASE_URL')} must start with https:// (the links in messages), got {base!r}")
    return problems


def _webhook_problems(hooks: Any, where: str) -> list[str]:
    if not isinstance(hooks, Mapping):
        return [f"{where} must be a JSON object of group -> list of webhooks, got {type(hooks).__name__}"]
    problems = []
    for group, entries in hooks.items():
        if not isinstance(entries, list):
            problems.append(f"{where}[{group!r}] must be a list of webhooks, got {type(entries).__name__}")
            continue
        for index, hook in enumerate(entries):
            at = f"{where}[{group!r}][{index}]"
            if not isinstance(hook, Mapping):
                problems.append(f"{at} must be an object with kind and url, got {type(hook).__name__}")
                continue
            if hook.get("kind") not in WEBHOOK_KINDS:
                problems.append(f"{at}.kind must be one of {', '.join(WEBHOOK_KINDS)}, got {hook.get('kind')!r}")
            if urlsplit(str(hook.get("url") or "")).scheme not in ("http", "https"):
                problems.append(f"{at}.url must be an http(s) URL, got {hook.get('url')!r}")
            if hook.get("kind") == "json" and not hook.get("secret"):
                problems.append(f"{at}.secret is required for a json webhook (the HMAC key its receiver checks)")
    return problems


def _escalation_problems(rules: Any, where: str) -> list[str]:
    if not isinstance(rules, Mapping):
        return [f"{where} must be a JSON object of group -> rule, got {type(rules).__name__}"]
    problems = []
    for group, rule in rules.items():
        at = f"{where}[{group!r}]"
        if not isinstance(rule, Mapping):
            problems.append(f"{at} must be an object with to and after_minutes or before_target_minutes")
            continue
        if not isinstance(rule.get("to"), str) or not rule["to"].strip():
            problems.append(f"{at}.to must name the group to escalate to, got {rule.get('to')!r}")
        timed = [key for key in ("after_minutes", "before_target_minutes") if rule.get(key) is not None]
        if not timed:
            problems.append(f"{at} needs after_minutes or before_target_minutes (when to escalate)")
        for key in timed:
            if not _number(rule[key]) or rule[key] < 0:
                problems.append(f"{at}.{key} must be a number of minutes, 0 or more, got {rule[key]!r}")
    return problems


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
