"""Flask-Login glue: load the user from the session cookie's id.

The id is `<user id>:<session token>`. The token changes when the password
changes or the user is deactivated, so old sessions stop matching and end.
"""

from __future__ import annotations

import hmac

from flask import Flask, redirect, request, url_for
from flask_login import LoginManager, current_user

from reviewer.accounts.models import User
from reviewer.db import get_session
from reviewer.numbers import whole_number
from reviewer.orm import MAX_ID

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

# Pages a user who must change their password may still reach.
_ALLOWED_WHILE_PASSWORD_CHANGE_DUE = {"accounts.change_password", "accounts.logout", "static"}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    raw_id, _, token = user_id.partition(":")
    number = whole_number(raw_id, MAX_ID)
    if number is None or not token:
        return None
    user = get_session().get(User, number)
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def _require_password_change():  # noqa: ANN202
    """Send a user who signed in with a one-time password to choose their own first."""
    if request.blueprint == "api":  # token-authenticated; the sign-in cookie means nothing there
        return None
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _ALLOWED_WHILE_PASSWORD_CHANGE_DUE
    ):
        return redirect(url_for("accounts.change_password"))
    return None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_require_password_change)
