"""Fixtures for the approver pages: two comms approvers, a pending draft, a fresh read of a draft.

`shipped_app`, `client_for`, `staff` and `account` come from tests/fixtures_workflow.py.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def mere(make_user):
    return make_user("mere", roles=["approver"], groups=["comms"], display_name="Mere Tainui")


@pytest.fixture
def hemi(make_user):
    return make_user("hemi", roles=["approver"], groups=["comms"], display_name="Hemi Walker")


@pytest.fixture
def pending(make_draft, make_inbound, account, staff):
    """pending(text=None): a draft answering a new post, submitted and waiting for comms."""

    def make(text: str | None = None, **kwargs):
        inbound = kwargs.pop("inbound", None) or make_inbound(account, author_handle="@resident")
        return make_draft("pending", text=text, author=kwargs.pop("author", staff), inbound=inbound, **kwargs)

    return make


@pytest.fixture
def reload(db_session):
    """reload(draft): the draft as the database has it now (after a request changed it)."""
    from reviewer.drafting.models import Draft

    def fetch(draft):
        db_session.rollback()
        db_session.expire_all()
        return db_session.get(Draft, draft.id)

    return fetch
