"""CSRF protection is on for every POST (these tests run with it enabled, as in production)."""

from __future__ import annotations

import re

import pytest


def token_from(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


@pytest.fixture
def admin_client(csrf_app, csrf_client):
    """A client signed in as an administrator, through the form with its token."""
    from reviewer.accounts.services import create_user
    from reviewer.db import app_session

    with app_session(csrf_app) as session:
        create_user(session, None, "boss", "a-long-admin-password", ["admin"])
        session.commit()
    token = token_from(csrf_client.get("/login").get_data(as_text=True))
    response = csrf_client.post(
        "/login", data={"username": "boss", "password": "a-long-admin-password", "csrf_token": token}
    )
    assert response.status_code == 302
    return csrf_client


def test_login_without_a_token_is_refused_with_a_clear_page(csrf_client) -> None:
    response = csrf_client.post("/login", data={"username": "boss", "password": "whatever-password"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert "reload the page and try again" in page
    assert "Traceback" not in page


def test_login_with_a_forged_token_is_refused(csrf_client) -> None:
    csrf_client.get("/login")
    response = csrf_client.post("/login", data={"username": "a", "password": "b", "csrf_token": "forged"})
    assert response.status_code == 400


def test_logout_needs_the_token(admin_client) -> None:
    assert admin_client.post("/logout").status_code == 400
    assert admin_client.get("/").status_code == 200  # still signed in
    token = token_from(admin_client.get("/").get_data(as_text=True))
    assert admin_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert admin_client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/users/new", {"username": "mallory", "roles": "admin", "password": "a-long-enough-password"}),
        ("/admin/groups", {"name": "sneaky"}),
        ("/admin/users/1/deactivate", {}),
        ("/admin/users/1/password", {"password": "a-long-enough-password"}),
        ("/admin/accounts/new", {"name": "X", "platform": "x", "handle": "@x", "policy_file": "government.yaml"}),
        ("/account/password", {"current_password": "a-long-admin-password", "new_password": "x" * 12, "confirm": "x" * 12}),
    ],
)
def test_admin_actions_without_a_token_change_nothing(admin_client, csrf_app, path, data, audit_actions_for) -> None:
    before = audit_actions_for(csrf_app)
    response = admin_client.post(path, data=data)
    assert response.status_code == 400
    assert audit_actions_for(csrf_app) == before


def test_an_admin_form_with_its_token_works(admin_client, csrf_app, audit_actions_for) -> None:
    token = token_from(admin_client.get("/admin/groups").get_data(as_text=True))
    response = admin_client.post("/admin/groups", data={"name": "treaty", "csrf_token": token})
    assert response.status_code == 302
    assert audit_actions_for(csrf_app)[-1] == "group.created"


@pytest.fixture
def audit_actions_for():
    from sqlalchemy import select

    from reviewer.audit import AuditEvent
    from reviewer.db import app_session

    def actions(app) -> list[str]:
        with app_session(app) as session:
            return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))

    return actions
