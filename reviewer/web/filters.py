"""Template filters and globals shared by every page (the approver pages reuse the draft partials)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, url_for

from reviewer.accounts.models import ROLE_LABELS
from reviewer.audit.wording import passed_policy
from reviewer.bidi import as_written, isolate
from reviewer.vocabulary import PLATFORM_LABELS
from reviewer.review.workflow import STATE_LABELS
from reviewer.web.highlight import (
    finding_title,
    numbered_findings,
    routing_reasons,
    segments,
    submit_outcome,
    verdict_label,
)


def format_datetime(value: datetime | None) -> str:
    """`2026-11-23 06:31 UTC`; empty for None."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def url_if(endpoint: str, **values: object) -> str | None:
    """The URL of `endpoint`, or None while the part of the app that serves it is not installed."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def highlight_segments(text: str, findings: Any, target: str = "draft") -> list:
    return segments(text or "", findings or [], target)


def template_numbered_findings(findings: Any, target: str = "draft") -> list:
    return numbered_findings(findings or [], target)


def character_limit(account: Any) -> int | None:
    """The account's platform limit under its policy (None when the policy has none or cannot load)."""
    from reviewer.policy import PolicyError
    from reviewer.web import checker

    try:
        return checker().policy_for(account).character_limit(account.platform)
    except PolicyError:
        return None


def waited(value: timedelta | int | None) -> str:
    """How long something has waited, for people: `under 1 min`, `42 min`, `3 h 12 min`, `2 d 4 h`."""
    if value is None:
        return ""
    minutes = value if isinstance(value, int) else int(value.total_seconds() // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def state_label(state: str | None) -> str:
    return STATE_LABELS.get(state or "", state or "")


def init_app(app: Flask) -> None:
    app.jinja_env.finalize = isolate  # before any template compiles: user text cannot reorder the page
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(platform_label, "platform_label")
    app.add_template_global(url_if, "url_if")
    app.add_template_filter(as_written, "as_written")
    app.add_template_filter(waited, "waited")
    app.add_template_filter(state_label, "state_label")
    app.add_template_global(highlight_segments, "highlight_segments")
    app.add_template_global(template_numbered_findings, "numbered_findings")
    app.add_template_global(verdict_label, "decision_label")
    app.add_template_global(routing_reasons, "routing_reasons")
    app.add_template_global(passed_policy, "passed_policy")
    app.add_template_global(character_limit, "character_limit")
    app.add_template_global(submit_outcome, "submit_outcome")
    app.add_template_global(finding_title, "finding_title")
