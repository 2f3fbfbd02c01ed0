"""API tokens: hashed at rest, shown once, revocable, audited; the tokens page and the CLI."""

from __future__ import annotations

import hashlib
import html
import re

import pytest
from sqlalchemy import select


def test_a_token_is_stored_only_as_its_sha256_with_a_prefix(db_session, make_user, audit_actions) -> None:
    from reviewer.api.models import ApiToken
    from reviewer.api.services import create_token

    user = make_user("hash.user", roles=["staff"])
    db_session.commit()
    new = create_token(db_session, user, user, "  Hootsuite  ")
    db_session.commit()
    row = db_session.scalar(select(ApiToken).where(ApiToken.id == new.token.id))
    assert re.fullmatch(r"rvw_[A-Za-z0-9_-]{43}", new.secret)
    assert row.token_sha256 == hashlib.sha256(new.secret.encode()).hexdigest()
    assert row.prefix == new.secret[:12]
    assert row.name == "Hootsuite"
    assert new.secret not in repr(row.__dict__)
    assert audit_actions()[-1] == "api_token.created"


def test_token_names_are_required_and_bounded(db_session, make_user) -> None:
    from reviewer.api.services import TokenError, create_token

    user = make_user("name.user", roles=["staff"])
    for bad in ("", "   ", "x" * 81):
        with pytest.raises(TokenError) as caught:
            create_token(db_session, user, user, bad)
        assert caught.value.field == "name"


def test_revoking_twice_is_refused(db_session, make_user, audit_actions) -> None:
    from reviewer.api.services import TokenError, create_token, revoke_token

    user = make_user("twice.user", roles=["staff"])
    db_session.commit()
    new = create_token(db_session, user, user, "t")
    revoke_token(db_session, user, new.token)
    db_session.commit()
    assert audit_actions()[-1] == "api_token.revoked"
    with pytest.raises(TokenError, match="already revoked"):
        revoke_token(db_session, user, new.token)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_creates_a_token_shows_it_once_and_it_works(app, client, make_user, login) -> None:
    user = make_user("page.user", roles=["staff"])
    login(client, user)
    assert client.get("/account/api-tokens").status_code == 200
    created = client.post("/account/api-tokens", data={"name": "Hootsuite"})
    assert created.status_code == 201
    page = created.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">(rvw_[A-Za-z0-9_-]{43})</code>', page).group(1)
    assert app.test_client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    again = client.get("/account/api-tokens").get_data(as_text=True)
    assert secret not in again
    assert secret[:12] in again and "Hootsuite" in again


def test_the_page_refuses_an_empty_name(client, make_user, login) -> None:
    login(client, make_user("empty.user", roles=["staff"]))
    response = client.post("/account/api-tokens", data={"name": ""})
    assert response.status_code == 422
    assert "Give the token a name" in response.get_data(as_text=True)


def test_revoking_from_the_page_stops_the_token(app, client, make_user, login, make_token, db_session, audit_actions) -> None:
    from reviewer.api.models import ApiToken

    user = make_user("revoke.user", roles=["staff"])
    secret = make_token(user)
    token_id = db_session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    login(client, user)
    response = client.post(f"/account/api-tokens/{token_id}/revoke", follow_redirects=True)
    assert "Revoked the token" in response.get_data(as_text=True)
    assert audit_actions()[-1] == "api_token.revoked"
    assert app.test_client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_nobody_revokes_another_users_token(client, make_user, login, make_token, db_session) -> None:
    from reviewer.api.models import ApiToken

    owner = make_user("owner.user", roles=["staff"])
    make_token(owner)
    token_id = db_session.scalar(select(ApiToken.id).where(ApiToken.user_id == owner.id))
    login(client, make_user("other.user", roles=["admin"]))
    assert client.post(f"/account/api-tokens/{token_id}/revoke").status_code == 404
    db_session.rollback()
    assert db_session.get(ApiToken, token_id).revoked_at is None


def test_the_page_needs_a_csrf_token(csrf_app, make_user) -> None:
    client = csrf_app.test_client()
    user = make_user("csrf.tokens", roles=["staff"])
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": user.username, "password": user.test_password, "csrf_token": token})
    assert client.post("/account/api-tokens", data={"name": "forged"}).status_code == 400


# --- the command line ---------------------------------------------------------------------------


def test_the_cli_prints_the_token_once_on_stdout(app, make_user, monkeypatch) -> None:
    from click.testing import CliRunner

    from reviewer.cli.api import create_command

    make_user("cli.user", roles=["approver"], groups=["legal"])
    monkeypatch.setattr("reviewer.create_app", lambda *a, **k: app)
    result = CliRunner().invoke(create_command, ["cli.user", "--name", "Sprout Social"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert re.fullmatch(r"rvw_[A-Za-z0-9_-]{43}", secret)
    assert "Sprout Social" in result.stderr and "approver" in result.stderr
    response = app.test_client().get("/api/v1/queue?group=legal", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200


def test_the_cli_names_an_unknown_user(app, monkeypatch) -> None:
    from click.testing import CliRunner

    from reviewer.cli.api import create_command

    monkeypatch.setattr("reviewer.create_app", lambda *a, **k: app)
    result = CliRunner().invoke(create_command, ["nobody"])
    assert result.exit_code == 1
    assert "no user 'nobody'" in result.output
    assert "Traceback" not in result.output


def test_revoking_a_revoked_token_on_the_page_is_invalid_422(client, make_user, login, make_token, db_session) -> None:
    from reviewer.api.models import ApiToken

    user = make_user("twice.user", roles=["staff"])
    make_token(user)
    token_id = db_session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    login(client, user)
    assert client.post(f"/account/api-tokens/{token_id}/revoke").status_code == 302
    response = client.post(f"/account/api-tokens/{token_id}/revoke")
    assert response.status_code == 422  # was a redirect
    assert "is already revoked" in html.unescape(response.get_data(as_text=True))
