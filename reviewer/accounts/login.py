"""Flask-Login glue: load the user from the session cookie's id.

The id is `<user id>:<session token>`. The token changes when the password
changes or the user is deactivated, so old sessions stop matching and end.
A session also ends SESSION_ABSOLUTE_LIFETIME seconds after sign-in, however
busy: the cookie's PERMANENT_SESSION_LIFETIME is a sliding window that each
request renews, so on its own a session in daily use would never end.
"""

from __future__ import annotations

import hmac
import time

from flask import Flask, current_app, redirect, request, url_for
from flask import session as cookie_session
from flask_login import LoginManager, current_user, login_user

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


# Seconds since the epoch when this session signed in (in the signed cookie, so the browser cannot change it).
SIGNED_IN_AT_KEY = "signed_in_at"


def start_session(user: User) -> None:
    """Sign `user` in on a fresh session: nothing carried over from before, dated for the absolute lifetime."""
    cookie_session.clear()
    cookie_session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without use
    login_user(user)
    cookie_session[SIGNED_IN_AT_KEY] = int(time.time())


def _session_outlived() -> bool:
    """True when this session signed in SESSION_ABSOLUTE_LIFETIME seconds ago or more (or has no sign-in time)."""
    signed_in_at = cookie_session.get(SIGNED_IN_AT_KEY)
    if not isinstance(signed_in_at, int):
        return True
    return time.time() - signed_in_at >= current_app.config["SESSION_ABSOLUTE_LIFETIME"]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if _session_outlived():
        return None
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


def _require_password_change():
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
