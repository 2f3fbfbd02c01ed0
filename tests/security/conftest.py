"""Fixtures for the security suite (issue 7): two organisations' worth of people and drafts, CSRF-aware clients.

Everything runs on SQLite only: these tests are about who may see and do
what, which the database engine does not change, and the suite must stay fast.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

SHIPPED_POLICIES = Path(__file__).resolve().parents[2] / "policies"
CSRF_FIELD = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only (overrides the root fixture, which also runs every test on PostgreSQL)."""
    path = tmp_path / "reviewer.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def secure_app(make_app):
    """The app as in production: CSRF on, the shipped policies (real findings)."""
    return make_app(WTF_CSRF_ENABLED=True, POLICY_DIR=str(SHIPPED_POLICIES))


def csrf_token_of(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


class WebClient:
    """A test client that knows its CSRF token (from a real page), so POSTs reach the view's own checks."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()
        self.token: str | None = None

    def refresh_token(self, path: str = "/login") -> str:
        response = self.client.get(path)
        self.token = csrf_token_of(response.get_data(as_text=True))
        return self.token

    def sign_in(self, user: Any) -> Any:
        token = self.refresh_token("/login")
        response = self.client.post(
            "/login", data={"username": user.username, "password": user.test_password, "csrf_token": token}
        )
        assert response.status_code == 302, f"{user.username} could not sign in ({response.status_code})"
        self.refresh_token("/account/password")  # the session changed at sign-in: a token of the new one
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.token or "", **(data or {})}, **kwargs)

    def post_json(self, path: str, body: Any) -> Any:
        return self.client.post(path, json=body, headers={"X-CSRFToken": self.token or ""})


@pytest.fixture
def web_as(secure_app) -> Callable[[Any], WebClient]:
    """web_as(user): a CSRF-aware client signed in as `user`; web_as(None): anonymous (with a token)."""

    def make(user: Any) -> WebClient:
        client = WebClient(secure_app)
        if user is None:
            client.refresh_token("/login")
        else:
            client.sign_in(user)
        return client

    return make


class Api:
    """The JSON API with one bearer token."""

    def __init__(self, app: Any, secret: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(path, json=body, headers=self.headers)


@pytest.fixture
def make_token(db_session) -> Callable[..., Any]:
    """make_token(user): a committed API token of `user` (the NewToken: `.secret`, `.token`)."""
    from reviewer.api.services import create_token

    def make(user: Any, name: str = "security tests") -> Any:
        db_session.commit()
        new = create_token(db_session, None, user, name)
        db_session.commit()
        return new

    return make


@pytest.fixture
def api_as(secure_app, make_token) -> Callable[[Any], Api]:
    def make(user: Any) -> Api:
        return Api(secure_app, make_token(user).secret)

    return make


@pytest.fixture
def two_orgs(db_session, make_user, make_account, make_inbound, make_draft, checker) -> SimpleNamespace:
    """Two organisation accounts, each drafted for by its own team, with posts and drafts in each.

    Team A drafts for account A, team B for account B. Approver "comms" is in
    comms only, "legal" in legal only. `pending_a` is routed to comms,
    `legal_b` to legal; `versions_a` has two versions (a diff).
    """
    from reviewer.accounts.services import create_group
    from reviewer.drafting.services import revise_draft

    from fixtures_workflow import LEGAL_TEXT  # registered plugin module (tests/ is on sys.path)

    db_session.commit()
    for name in ("team-a", "team-b"):
        create_group(db_session, None, name)
    db_session.commit()
    w = SimpleNamespace()
    w.account_a = make_account("@OrgA", name="Org A", groups=["team-a"])
    w.account_b = make_account("@OrgB", name="Org B", groups=["team-b"])
    w.staff_a = make_user("staff-a", roles=["staff"], groups=["team-a"])
    w.staff_b = make_user("staff-b", roles=["staff"], groups=["team-b"])
    w.comms = make_user("approver-comms", roles=["approver"], groups=["comms"])
    w.legal = make_user("approver-legal", roles=["approver"], groups=["legal"])
    w.auditor = make_user("auditor", roles=["auditor"])
    w.admin = make_user("admin", roles=["admin"])
    w.post_a = make_inbound(w.account_a, text="Post to A")
    w.post_b = make_inbound(w.account_b, text="Post to B")
    w.draft_a = make_draft("draft", account=w.account_a, author=w.staff_a, inbound=w.post_a)
    w.draft_b = make_draft("draft", account=w.account_b, author=w.staff_b, inbound=w.post_b)
    w.pending_a = make_draft("pending", account=w.account_a, author=w.staff_a, approver=w.comms)
    w.pending_b = make_draft("pending", account=w.account_b, author=w.staff_b, approver=w.comms)
    w.legal_b = make_draft("pending", text=LEGAL_TEXT, account=w.account_b, author=w.staff_b, approver=w.legal)
    w.approved_b = make_draft("approved", account=w.account_b, author=w.staff_b)
    w.versions_b = make_draft("draft", account=w.account_b, author=w.staff_b)
    revise_draft(db_session, w.staff_b, checker, w.versions_b, "A second version of the reply.")
    db_session.commit()
    assert w.legal_b.routes == ["legal"] and w.pending_a.routes == ["comms"]
    return w


@pytest.fixture
def routed_world(two_orgs, make_user, db_session):
    """two_orgs plus what every route's URL needs (route_table.argument_values): a user to administer, a group id."""
    from sqlalchemy import select

    from reviewer.accounts.models import ApproverGroup

    two_orgs.target = make_user("matrix-target", roles=["staff"])
    two_orgs.group_id = db_session.scalar(select(ApproverGroup.id).where(ApproverGroup.name == "comms"))
    return two_orgs
