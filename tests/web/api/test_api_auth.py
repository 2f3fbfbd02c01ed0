"""Bearer-token authentication: only a live token works; the sign-in cookie never does."""

from __future__ import annotations

from api_helpers import error_of
from sqlalchemy import select


def test_no_token_is_401_with_a_json_error(client) -> None:
    response = client.get("/api/v1/accounts")
    assert response.status_code == 401
    assert error_of(response)["code"] == "missing_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_alone_is_refused(client, make_user, login) -> None:
    user = make_user("cookie.user", roles=["staff"])
    assert login(client, user).status_code == 302
    assert client.get("/").status_code == 200  # signed in on the site
    response = client.get("/api/v1/accounts")
    assert response.status_code == 401
    assert "does not accept the sign-in cookie" in error_of(response)["message"]


def test_a_cookie_post_without_csrf_token_or_bearer_changes_nothing(csrf_app, make_user, login, audit_actions) -> None:
    """CSRF is off for the API only because the cookie is worthless there."""
    client = csrf_app.test_client()
    user = make_user("csrf.user", roles=["staff"])
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": user.username, "password": user.test_password, "csrf_token": token})
    before = audit_actions()
    response = client.post("/api/v1/drafts", json={"account_id": 1, "text": "Hello"})
    assert response.status_code == 401
    assert audit_actions() == before


def test_a_valid_token_works_and_records_when_it_was_used(client, make_user, make_token, db_session) -> None:
    from reviewer.api.models import ApiToken

    user = make_user("tok.user", roles=["staff"])
    secret = make_token(user)
    response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    db_session.rollback()
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.last_used_at is not None


def test_the_scheme_is_case_insensitive_but_must_be_bearer(client, make_user, make_token) -> None:
    secret = make_token(make_user("scheme.user", roles=["staff"]))
    assert client.get("/api/v1/accounts", headers={"Authorization": f"bearer {secret}"}).status_code == 200
    response = client.get("/api/v1/accounts", headers={"Authorization": f"Basic {secret}"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_wrong_malformed_and_revoked_tokens_are_401(client, make_user, make_token, db_session) -> None:
    from reviewer.api.models import ApiToken
    from reviewer.api.services import revoke_token

    user = make_user("rev.user", roles=["staff"])
    secret = make_token(user)
    for bad in ("rvw_" + "A" * 43, "nonsense", secret[:-1], secret + "x"):
        response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert error_of(response)["code"] == "invalid_token"
    db_session.commit()
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    revoke_token(db_session, user, token)
    db_session.commit()
    assert client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_deactivated_users_token_stops_working(client, make_user, make_token, db_session) -> None:
    from reviewer.accounts.services import deactivate_user

    user = make_user("gone.user", roles=["staff"])
    secret = make_token(user)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/accounts", headers=headers).status_code == 200
    db_session.commit()
    deactivate_user(db_session, None, db_session.merge(user))
    db_session.commit()
    assert client.get("/api/v1/accounts", headers=headers).status_code == 401


def test_the_token_brings_every_role_and_group_of_its_user(make_user, make_token, db_session) -> None:
    """One row per (role, group) pair is folded into one principal, groups in name order as on the User."""
    from reviewer.api.services import find_token

    user = make_user("many.hats", roles=["staff", "approver", "auditor"], groups=["safeguarding", "comms", "legal"])
    secret = make_token(user)
    db_session.commit()
    match = find_token(db_session, secret)
    assert (match.user.id, match.user.username) == (user.id, "many.hats")
    assert match.user.roles == frozenset({"staff", "approver", "auditor"}) == user.roles
    assert match.user.group_names == ["comms", "legal", "safeguarding"] == user.group_names
    assert match.user.group_ids == user.group_ids
    assert match.user.has_role("auditor") and not match.user.has_role("admin")
    lone = make_user("no.groups", roles=["staff"])
    alone = find_token(db_session, make_token(lone)).user
    assert (alone.roles, alone.group_names) == (frozenset({"staff"}), [])


def test_a_role_or_group_taken_away_counts_at_the_very_next_request(client, make_user, make_token, db_session) -> None:
    """Nothing about the caller is kept between requests: a change an administrator commits applies at once."""
    from reviewer.accounts.services import update_user

    user = make_user("moving.on", roles=["staff", "approver"], groups=["legal"])
    headers = {"Authorization": f"Bearer {make_token(user)}"}
    assert client.get("/api/v1/queue?group=legal", headers=headers).status_code == 200
    db_session.commit()
    update_user(db_session, None, db_session.merge(user), display_name="Moving On", email=None, roles=["staff", "approver"], groups=["comms"])
    db_session.commit()
    response = client.get("/api/v1/queue?group=legal", headers=headers)
    assert response.status_code == 403 and error_of(response)["code"] == "not_your_group"
    db_session.commit()
    update_user(db_session, None, db_session.merge(user), display_name="Moving On", email=None, roles=["staff"], groups=["comms"])
    db_session.commit()
    response = client.get("/api/v1/queue?group=comms", headers=headers)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_http_errors_under_the_api_are_json_and_elsewhere_html(client) -> None:
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    wrong_method = client.delete("/api/v1/check")
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"
    assert "POST" in wrong_method.headers["Allow"]
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


def test_a_crash_under_the_api_is_a_json_500_without_internals(app) -> None:
    from reviewer.web.access import public

    @public
    def explode():
        raise RuntimeError("secret internals: do not show me")

    app.config["TESTING"] = False  # let the 500 handler run instead of re-raising
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/api/v1/explode", "api_explode", explode)
    response = app.test_client().get("/api/v1/explode")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_a_password_change_due_on_the_site_does_not_redirect_api_calls(client, make_user, make_token, login) -> None:
    """The site sends such a user to choose a password; the API answers with the token's rights."""
    user = make_user("due.user", roles=["staff"], must_change_password=True)
    secret = make_token(user)
    login(client, user)
    assert client.get("/").status_code == 302  # the site insists on a new password
    response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
