"""Helpers for the staff page tests (a plain module: test modules never import a conftest)."""

from __future__ import annotations

import re


def page_text(response) -> str:
    return response.get_data(as_text=True)


def csrf_token_in(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)
