"""Fixtures for the audit browser pages: an app checking with the shipped policies, an auditor."""

from __future__ import annotations

import pytest

from fixtures_workflow import SHIPPED_POLICIES  # type: ignore[import-not-found]


@pytest.fixture
def shipped_app(make_app):  # noqa: ANN001, ANN201
    return make_app(POLICY_DIR=str(SHIPPED_POLICIES))


@pytest.fixture
def auditor(make_user):  # noqa: ANN001, ANN201
    return make_user("ana", roles=["auditor"], display_name="Ana Auditor")


@pytest.fixture
def auditor_client(shipped_app, login, auditor):  # noqa: ANN001, ANN201
    client = shipped_app.test_client()
    assert login(client, auditor).status_code == 302
    return client
