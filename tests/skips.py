"""Skip locally, fail in CI: for a test that needs what this machine may lack (PostgreSQL, Chromium, a tmpfs, ...).

CI sets REVIEWER_TEST_REQUIRE_ALL=1, so that there nothing is silently left out.
A plain module (tests/ is on sys.path under pytest): every conftest and test imports it by name.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_ALL = os.environ.get("REVIEWER_TEST_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip locally; fail in CI, where nothing may be silently left out."""
    if REQUIRE_ALL:
        pytest.fail(reason)
    pytest.skip(reason)
