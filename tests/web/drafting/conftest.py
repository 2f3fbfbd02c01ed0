"""Fixtures for the staff pages: an app checking with the shipped policies, a signed-in staff client."""

from __future__ import annotations

import pytest

from fixtures_workflow import SHIPPED_POLICIES  # type: ignore[import-not-found]


@pytest.fixture
def shipped_app(make_app):  # noqa: ANN001, ANN201
    """The app on this test's database, checking drafts with the shipped policies (real findings)."""
    return make_app(POLICY_DIR=str(SHIPPED_POLICIES))


@pytest.fixture
def staff(make_user):  # noqa: ANN001, ANN201
    return make_user("sam", roles=["staff"], display_name="Sam Patel")


@pytest.fixture
def staff_client(shipped_app, staff, login):  # noqa: ANN001, ANN201
    client = shipped_app.test_client()
    assert login(client, staff).status_code == 302
    return client


@pytest.fixture
def account(make_account):  # noqa: ANN001, ANN201
    return make_account("@HarbourCityNZ", name="Harbour City Council")
