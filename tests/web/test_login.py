"""Signing in and out: redirects, throttling, cookie flags, sessions that end."""

from __future__ import annotations

import pytest

from reviewer.web.access import safe_next


def test_the_login_page_has_labelled_fields(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<label for="username">Username</label>' in page
    assert '<label for="password">Password</label>' in page
    assert 'href="#main"' in page  # skip link


def test_anonymous_visitors_are_sent_to_sign_in_with_next(client) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.location == "/login?next=/admin/users"


def test_signing_in_goes_home_with_a_message_and_is_audited(client, make_user, login, audit_actions) -> None:
    user = make_user("sam", display_name="Sam Patel")
    response = login(client, user)
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Signed in as Sam Patel." in page
    assert "Welcome, Sam Patel" in page
    assert audit_actions()[-1] == "auth.login"


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(client, make_user, login, audit_actions) -> None:
    user = make_user("sam")
    response = login(client, user, password="not-the-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    unknown = client.post("/login", data={"username": "nobody", "password": "whatever-it-is"})
    assert unknown.status_code == 401
    assert "Wrong username or password." in unknown.get_data(as_text=True)
    assert audit_actions()[-2:] == ["auth.login_failed", "auth.login_failed"]


def test_an_empty_form_is_a_400_with_field_errors(client) -> None:
    response = client.post("/login", data={})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_login_is_throttled_and_says_when_to_try_again(app, client, make_user, login, audit_actions) -> None:
    user = make_user("sam")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert login(client, user, password="wrong-password!").status_code == 401
    locked = login(client, user, password="wrong-password!")
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert "Too many failed sign-in attempts. Try again in 15 minutes" in text
    assert "UTC" in text
    # Even the right password is refused while the lock lasts.
    assert login(client, user).status_code == 429
    assert audit_actions()[-1] == "auth.login_throttled"


def test_signing_out_needs_a_post_and_ends_the_session(client, make_user, login, audit_actions) -> None:
    login(client, make_user("sam"))
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert "You have signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert audit_actions()[-1] == "auth.logout"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/users", "/admin/users"),
        ("/admin/users?x=1", "/admin/users?x=1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("http:/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"),
        ("/\r\nSet-Cookie: x", "/"),
        ("/\tevil", "/"),
        ("admin", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_next_keeps_only_paths_on_this_site(target, expected) -> None:
    assert safe_next(target, "/") == expected


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, make_user, target) -> None:
    user = make_user("sam")
    response = client.post("/login", data={"username": "sam", "password": user.test_password, "next": target})
    assert response.status_code == 302 and response.location == "/"


def test_sign_in_follows_a_local_next(client, make_user) -> None:
    user = make_user("sam", roles=["admin"])
    form = client.get("/login?next=/admin/users").get_data(as_text=True)
    assert 'value="/admin/users"' in form
    response = client.post("/login", data={"username": "sam", "password": user.test_password, "next": "/admin/users"})
    assert response.location == "/admin/users"


def test_session_cookie_flags(app, client, make_user, login) -> None:
    response = login(client, make_user("sam"))
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("reviewer_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Expires=" in cookie  # the session ends after PERMANENT_SESSION_LIFETIME, not never


def test_the_secure_flag_is_set_when_configured(make_app, make_user) -> None:
    app = make_app(SESSION_COOKIE_SECURE=True)
    user = make_user("sam")
    response = app.test_client().post("/login", data={"username": "sam", "password": user.test_password})
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)


def test_deactivation_ends_a_live_session(app, client, db_session, make_user, login) -> None:
    from reviewer.accounts.services import deactivate_user

    user = make_user("leaver")
    login(client, user)
    assert client.get("/").status_code == 200
    db_session.rollback()  # see what the sign-in wrote
    deactivate_user(db_session, None, user)
    db_session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert login(client, user).status_code == 401


def test_a_password_reset_ends_other_sessions(app, db_session, make_user, login) -> None:
    from reviewer.accounts.services import set_password

    user = make_user("sam")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    db_session.rollback()  # see what the sign-ins wrote
    set_password(db_session, None, user, "a-brand-new-password")
    db_session.commit()
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302


def test_a_one_time_password_must_be_changed_first(client, db_session, make_user, login, audit_actions) -> None:
    from reviewer.accounts.services import set_password

    user = make_user("sam")
    set_password(db_session, None, user, "one-time-pass-123", one_time=True)
    db_session.commit()
    login(client, user, password="one-time-pass-123")
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "You signed in with a one-time password" in page
    wrong = client.post(
        "/account/password",
        data={"current_password": "nope", "new_password": "my-own-password-1", "confirm": "my-own-password-1"},
    )
    assert "That is not your current password." in wrong.get_data(as_text=True)
    done = client.post(
        "/account/password",
        data={"current_password": "one-time-pass-123", "new_password": "my-own-password-1", "confirm": "my-own-password-1"},
    )
    assert done.status_code == 302 and done.location == "/"
    assert client.get("/").status_code == 200  # this session survives the change
    assert audit_actions()[-1] == "user.password_changed"


def test_fields_carry_only_the_aria_attributes_that_apply(client, make_user, login) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '"None"' not in page
    assert "aria-invalid" not in page
    failed = login(client, make_user("sam"), password="").get_data(as_text=True)
    assert '"None"' not in failed
