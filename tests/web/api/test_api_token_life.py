"""API tokens end: revoked when their user's password is reset or changed, and expired after API_TOKEN_LIFETIME_DAYS."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from api_helpers import error_of
from sqlalchemy import select

from reviewer.orm import utcnow

NEW_PASSWORD = "Kereru-flies-over-Tamaki-4"


def _works(app, secret: str) -> int:
    return app.test_client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"}).status_code


def _revocations(db_session) -> list[dict]:
    from reviewer.audit import AuditEvent

    db_session.rollback()
    return [json.loads(event.data) for event in db_session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))]


def test_an_admin_password_reset_revokes_the_users_tokens_and_audits_it(app, client, make_user, login, make_token, db_session) -> None:
    admin = make_user("boss", roles=["admin"])
    user, bystander = make_user("leaky", roles=["staff"]), make_user("bystander", roles=["staff"])
    secrets_of_user = [make_token(user, "Hootsuite"), make_token(user, "Sprout")]
    other = make_token(bystander)
    assert all(_works(app, secret) == 200 for secret in [*secrets_of_user, other])
    login(client, admin)
    assert client.post(f"/admin/users/{user.id}/password", data={}).status_code == 200  # a one-time password
    assert [_works(app, secret) for secret in secrets_of_user] == [401, 401]
    assert _works(app, other) == 200, "another user's token is not touched"
    revoked = _revocations(db_session)
    assert sorted(event["name"] for event in revoked) == ["Hootsuite", "Sprout"]
    assert {event["reason"] for event in revoked} == {"password_reset"}


def test_changing_your_own_password_revokes_your_tokens(app, client, make_user, login, make_token, db_session) -> None:
    user = make_user("changer", roles=["staff"])
    secret = make_token(user)
    login(client, user)
    form = {"current_password": user.test_password, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post("/account/password", data=form).status_code == 302
    assert _works(app, secret) == 401
    assert [event["reason"] for event in _revocations(db_session)] == ["password_changed"]


def test_the_reset_password_command_revokes_the_users_tokens(app, make_user, make_token, monkeypatch) -> None:
    from click.testing import CliRunner

    from reviewer.cli.app import reset_password_command

    user = make_user("locked.out", roles=["admin"])
    secret = make_token(user)
    monkeypatch.setattr("reviewer.create_app", lambda *a, **k: app)
    result = CliRunner().invoke(reset_password_command, ["locked.out"])
    assert result.exit_code == 0, result.output
    assert "1 API token revoked" in result.output
    assert _works(app, secret) == 401


def test_a_new_token_expires_in_90_days_shown_on_the_page(app, client, make_user, login, db_session) -> None:
    from reviewer.api.models import ApiToken

    user = make_user("expiring", roles=["staff"])
    login(client, user)
    created = client.post("/account/api-tokens", data={"name": "Hootsuite"})
    assert created.status_code == 201
    db_session.rollback()
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert abs(token.expires_at - (utcnow() + timedelta(days=90))) < timedelta(minutes=1)
    page = created.get_data(as_text=True)
    assert "Expires" in page and f"{token.expires_at:%Y-%m-%d %H:%M} UTC" in page


def test_the_token_lifetime_is_a_setting_and_the_cli_says_when_it_ends(make_app, make_user, monkeypatch, db_session) -> None:
    from click.testing import CliRunner

    from reviewer.api.models import ApiToken
    from reviewer.cli.api import create_command

    app = make_app(API_TOKEN_LIFETIME_DAYS=7)
    make_user("weekly", roles=["staff"])
    monkeypatch.setattr("reviewer.create_app", lambda *a, **k: app)
    result = CliRunner().invoke(create_command, ["weekly", "--name", "Trial"])
    assert result.exit_code == 0, result.output
    db_session.rollback()
    token = db_session.scalar(select(ApiToken).where(ApiToken.name == "Trial"))
    assert abs(token.expires_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    assert f"It expires on {token.expires_at:%Y-%m-%d %H:%M} UTC" in result.stderr


def test_an_expired_token_is_401_with_its_own_code(app, make_user, make_token, db_session) -> None:
    from reviewer.api.models import ApiToken

    user = make_user("late", roles=["staff"])
    secret = make_token(user, "Old integration")
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    token.expires_at = utcnow() + timedelta(seconds=30)
    db_session.commit()
    assert _works(app, secret) == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    response = app.test_client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "expired_token"
    assert re.search(r"expired on \d{4}-\d\d-\d\d \d\d:\d\d UTC", error["message"])
    assert "API tokens page" in error["message"]
