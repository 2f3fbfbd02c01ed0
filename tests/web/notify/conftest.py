"""The app for the notification pages: `notify_config` (override it with parametrize) goes into its config."""

from __future__ import annotations

import pytest


@pytest.fixture
def notify_config() -> dict:
    return {}


@pytest.fixture
def app(make_app, notify_config):
    """Overrides the shared `app`: the factories (make_draft, ...) write through this app's sessions."""
    return make_app(**notify_config)
