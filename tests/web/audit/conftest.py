"""Fixtures for the audit browser pages: an auditor signed in to the shipped-policies app.

`shipped_app` and `client_for` come from tests/fixtures_workflow.py.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def auditor(make_user):
    return make_user("ana", roles=["auditor"], display_name="Ana Auditor")


@pytest.fixture
def auditor_client(client_for, auditor):
    return client_for(auditor)
