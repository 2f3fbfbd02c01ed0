"""A posted form that fails validation is answered 422 on every page, with the form and its errors.

A refusal by a service already answered with its status (web/refusals.py); a form
that did not validate answered 200 on the admin, organisation-account, inbound-post and
password pages and 400 on the API tokens page. Scripts and tests could not tell a
failed submission from a page view. The sign-in page keeps its own statuses (400, 401,
403, 429: tests/web/test_login.py).
"""

from __future__ import annotations

import pytest

LONG = "x" * 600


@pytest.fixture
def admin_client(app, make_user, login):
    client = app.test_client()
    login(client, make_user("ada.admin", roles=["admin", "staff"]))
    return client


def _cases(people):
    user, group, account = people
    return {
        "new user": ("/admin/users/new", {"username": "", "roles": ["staff"]}, "This field is required"),
        "edit user": (f"/admin/users/{user.id}", {"display_name": LONG, "roles": ["staff"]}, "120 characters"),
        "reset password": (f"/admin/users/{user.id}/password", {"password": "short"}, "characters"),
        "new group": ("/admin/groups", {"name": ""}, "This field is required"),
        "edit group": (f"/admin/groups/{group.id}", {"description": LONG}, "500 characters"),
        "new account": ("/admin/accounts/new", {"name": "", "platform": "x", "handle": "@a"}, "This field is required"),
        "edit account": (f"/admin/accounts/{account.id}", {"name": "A", "platform": "x", "handle": ""},
                         "This field is required"),
        "new inbound post": (f"/inbox/{account.id}/posts/new", {"author_handle": "@someone", "text": ""},
                             "This field is required"),
        "change password": ("/account/password", {"current_password": "", "new_password": "x", "confirm": "y"},
                            "This field is required"),
        "new API token": ("/account/api-tokens", {"name": ""}, "Give the token a name."),
    }


@pytest.fixture
def people(make_user, make_account, db_session):
    from reviewer.accounts.services import create_group

    user = make_user("kim.other", roles=["staff"])
    group = create_group(db_session, None, "treaty", "Treaty partners")
    db_session.commit()
    return user, group, make_account("@FormsCouncil")


CASE_NAMES = ["new user", "edit user", "reset password", "new group", "edit group", "new account", "edit account",
              "new inbound post", "change password", "new API token"]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_a_form_that_fails_validation_is_answered_422_with_its_error(admin_client, people, case):
    path, fields, error = _cases(people)[case]
    assert admin_client.get(path).status_code == 200  # the page itself
    answer = admin_client.post(path, data=fields)
    assert answer.status_code == 422, answer.get_data(as_text=True)[:2000]
    assert error in answer.get_data(as_text=True)


def test_a_wrong_current_password_is_answered_422(admin_client):
    answer = admin_client.post("/account/password", data={
        "current_password": "not the password at all", "new_password": "a long enough new password 42",
        "confirm": "a long enough new password 42"})
    assert answer.status_code == 422
    assert "That is not your current password." in answer.get_data(as_text=True)
