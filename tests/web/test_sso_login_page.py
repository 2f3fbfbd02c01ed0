"""The login page with single sign-on configured: local sign-in can be turned off; the CSP lets Sign out reach the provider."""

from __future__ import annotations

import click
import pytest

SSO = {
    "OIDC_ISSUER": "https://login.agency.example/tenant-1",
    "OIDC_CLIENT_ID": "reviewer",
    "OIDC_CLIENT_SECRET": "client-secret-0123456789",
    "OIDC_PROVIDER_NAME": "Agency Sign-In",
    "OIDC_GROUP_ROLES": {"reviewer-admins": ["admin"]},
}


def test_with_local_sign_in_off_a_right_password_signs_nobody_in(make_app, make_user, login, audit_actions) -> None:
    app = make_app(LOCAL_LOGIN=False, **SSO)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Agency Sign-In" in page and 'name="password"' not in page
    user = make_user("breakglass", roles=["admin"])
    response = login(client, user)
    assert response.status_code == 403
    assert "Signing in with a username and password is turned off here." in response.get_data(as_text=True)
    assert client.get("/").location == "/login?next=/"
    assert "auth.login" not in audit_actions()


def test_with_local_sign_in_on_both_ways_are_offered(make_app, make_user, login) -> None:
    client = make_app(**SSO).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Agency Sign-In" in page and "Or with a local account" in page
    assert login(client, make_user("breakglass", roles=["admin"])).status_code == 302


def test_turning_local_sign_in_off_without_single_sign_on_is_refused_at_start(make_app) -> None:
    with pytest.raises(click.ClickException, match="LOCAL_LOGIN is false and OIDC_ISSUER is not set"):
        make_app(LOCAL_LOGIN=False)


def test_the_csp_lets_forms_reach_the_providers_origin_only_when_it_is_configured(make_app) -> None:
    with_sso = make_app(**SSO).test_client().get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self' https://login.agency.example;" in with_sso
    without = make_app().test_client().get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self';" in without


def test_an_account_made_by_single_sign_on_cannot_sign_in_with_a_password(make_app, db_session, login, audit_actions) -> None:
    """Else a password an administrator once set would outlive the person's removal at the provider."""
    from reviewer.accounts.services import set_password
    from reviewer.sso.services import Identity, sign_in
    from reviewer.sso.settings import SsoSettings

    app = make_app(**SSO)
    settings = SsoSettings.from_config(app.config)
    identity = Identity(SSO["OIDC_ISSUER"], "sub-kim", "kim", "Kim Admin", None, ("reviewer-admins",))
    user = sign_in(db_session, identity, settings.mapping, "10.0.0.9")
    set_password(db_session, None, user, "a-password-set-by-an-admin")
    db_session.commit()
    response = login(app.test_client(), user, password="a-password-set-by-an-admin")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert audit_actions()[-1] == "auth.login_failed"


def test_a_provider_that_does_not_answer_gets_a_page_saying_so_and_an_audit_event(make_app, audit_actions) -> None:
    import socket

    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app = make_app(**{**SSO, "OIDC_ISSUER": f"http://127.0.0.1:{port}", "OIDC_TIMEOUT_SECONDS": 2})
    response = app.test_client().get("/login/sso")
    assert response.status_code == 502
    assert "Agency Sign-In could not be reached" in response.get_data(as_text=True)
    assert audit_actions()[-1] == "auth.sso_failed"


def test_the_admin_page_of_a_single_sign_on_account_says_where_its_roles_come_from(make_app, db_session, make_user, login) -> None:
    from reviewer.sso.services import Identity, sign_in
    from reviewer.sso.settings import SsoSettings

    app = make_app(**SSO)
    identity = Identity(SSO["OIDC_ISSUER"], "sub-kim", "kim", "Kim Admin", None, ("reviewer-admins",))
    kim = sign_in(db_session, identity, SsoSettings.from_config(app.config).mapping, "10.0.0.9")
    db_session.commit()
    local = make_user("lee", roles=["staff"])
    client = app.test_client()
    login(client, make_user("root", roles=["admin"]))
    page = client.get(f"/admin/users/{kim.id}").get_data(as_text=True)
    assert "kim signs in with single sign-on" in page and "Reset kim's password" not in page
    page = client.get(f"/admin/users/{local.id}").get_data(as_text=True)
    assert "signs in with single sign-on" not in page and "Reset lee's password" in page
