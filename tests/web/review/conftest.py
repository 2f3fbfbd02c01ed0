"""Fixtures for the approver pages: an app checking with the shipped policies, staff and two comms approvers."""

from __future__ import annotations

import pytest

from fixtures_workflow import SHIPPED_POLICIES  # type: ignore[import-not-found]


@pytest.fixture
def shipped_app(make_app):  # noqa: ANN001, ANN201
    """The app on this test's database, checking edits with the shipped policies (real findings)."""
    return make_app(POLICY_DIR=str(SHIPPED_POLICIES))


@pytest.fixture
def account(make_account):  # noqa: ANN001, ANN201
    return make_account("@HarbourCityNZ", name="Harbour City Council")


@pytest.fixture
def staff(make_user):  # noqa: ANN001, ANN201
    return make_user("sam", roles=["staff"], display_name="Sam Patel")


@pytest.fixture
def mere(make_user):  # noqa: ANN001, ANN201
    return make_user("mere", roles=["approver"], groups=["comms"], display_name="Mere Tainui")


@pytest.fixture
def hemi(make_user):  # noqa: ANN001, ANN201
    return make_user("hemi", roles=["approver"], groups=["comms"], display_name="Hemi Walker")


@pytest.fixture
def client_for(shipped_app, login):  # noqa: ANN001, ANN201
    """client_for(user): a test client signed in as `user` through the real login form."""

    def make(user):  # noqa: ANN001, ANN202
        client = shipped_app.test_client()
        assert login(client, user).status_code == 302
        return client

    return make


@pytest.fixture
def pending(make_draft, make_inbound, account, staff):  # noqa: ANN001, ANN201
    """pending(text=None): a draft answering a new post, submitted and waiting for comms."""

    def make(text: str | None = None, **kwargs):  # noqa: ANN003, ANN202
        inbound = kwargs.pop("inbound", None) or make_inbound(account, author_handle="@resident")
        return make_draft("pending", text=text, author=kwargs.pop("author", staff), inbound=inbound, **kwargs)

    return make


@pytest.fixture
def reload(db_session):  # noqa: ANN001, ANN201
    """reload(draft): the draft as the database has it now (after a request changed it)."""
    from reviewer.drafting.models import Draft

    def fetch(draft):  # noqa: ANN001, ANN202
        db_session.rollback()
        db_session.expire_all()
        return db_session.get(Draft, draft.id)

    return fetch
