"""Every page that sets a password refuses one that is easy to guess, under the field, saying why."""

from __future__ import annotations

import html
import re


def _refused(response, field: str) -> None:
    """The answer is the form again, with the reason in the field's own error (tied to it by its id)."""
    assert response.status_code == 422, response.status_code  # a refusal of the account rules (issue 18; was 200)
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert error, f"no error under {field}"
    assert "This password is too easy to guess" in html.unescape(error.group(1))


def test_your_own_new_password_is_checked_against_your_names(app, client, make_user, login) -> None:
    user = make_user("wiremu.tane", roles=["staff"], display_name="Wiremu Tane")
    login(client, user)
    form = {"current_password": user.test_password, "new_password": "wiremu.tane.1", "confirm": "wiremu.tane.1"}
    _refused(client.post("/account/password", data=form), "new_password")
    assert login(app.test_client(), user).status_code == 302, "the old password still works"


def test_an_admin_cannot_set_or_create_a_weak_password(app, client, make_user, login) -> None:
    login(client, make_user("boss", roles=["admin"]))
    user = make_user("forgetful", roles=["staff"])
    _refused(client.post(f"/admin/users/{user.id}/password", data={"password": "passwordpassword"}), "password")
    assert login(app.test_client(), user).status_code == 302
    created = client.post("/admin/users/new", data={"username": "newbie", "roles": "staff", "password": "123456789012"})
    _refused(created, "password")
