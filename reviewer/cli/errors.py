"""Errors the commands share, worded once."""

from __future__ import annotations

from typing import Any

import click


def database_unusable(error: Any) -> click.ClickException:
    """What a command says when the database refused its work (a DBAPIError): what failed and what to check."""
    reason = str(getattr(error, "orig", None) or "").strip() or error.__class__.__name__
    return click.ClickException(
        f"the database cannot be used ({reason}): check REVIEWER_DATABASE_URL, that the database server is "
        "running and that the schema is up to date (`reviewer db upgrade`)"
    )
