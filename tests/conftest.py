"""Fixtures shared by every test layer.

Layer-specific fixtures live beside their tests (tests/unit/..., tests/web/...).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
ARTIFACTS = ROOT / "test-artifacts"

# CI sets this so that browser and PostgreSQL tests fail instead of skipping
# when what they need is missing.
REQUIRE_ALL = os.environ.get("REVIEWER_TEST_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail in CI, where nothing may be silently left out."""
    if REQUIRE_ALL:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
