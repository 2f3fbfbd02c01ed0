"""Fixtures for the staff pages: a staff client signed in to the shipped-policies app.

`shipped_app`, `client_for`, `staff` and `account` come from tests/fixtures_workflow.py.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def staff_client(client_for, staff):
    return client_for(staff)
