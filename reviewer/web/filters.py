"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, url_for

from reviewer.accounts.models import ROLE_LABELS
from reviewer.orgs.models import PLATFORM_LABELS


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


def init_app(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(platform_label, "platform_label")
    app.add_template_global(url_if, "url_if")
