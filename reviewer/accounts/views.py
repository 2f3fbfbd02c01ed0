"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_user, logout_user

from reviewer.accounts.forms import ButtonForm, ChangePasswordForm, LoginForm
from reviewer.accounts.login import start_session
from reviewer.accounts.passwords import hasher_for, verify
from reviewer.accounts.services import set_password, sign_out
from reviewer.accounts.throttle import LoginResult, ThrottleSettings, begin_attempt, check_password, finish_attempt
from reviewer.db import get_session, read_session
from reviewer.orm import utcnow
from reviewer.sso.client import ID_TOKEN_KEY, current_sso
from reviewer.web import signed_in_user
from reviewer.web.access import public, safe_next, signed_in
from reviewer.web.forms import page_status
from reviewer.web.ratelimit import describe_wait, retry_after_seconds, too_many_requests
from reviewer.web.refusals import attempt

bp = Blueprint("accounts", __name__)


def throttle_settings() -> ThrottleSettings:
    config = current_app.config
    return ThrottleSettings(
        max_failures=int(config["LOGIN_MAX_FAILURES"]),
        max_failures_per_ip=int(config["LOGIN_MAX_FAILURES_PER_IP"]),
        window=timedelta(seconds=int(config["LOGIN_FAILURE_WINDOW_SECONDS"])),
        lockout=timedelta(seconds=int(config["LOGIN_LOCKOUT_SECONDS"])),
    )


def _wait_text(seconds: float) -> str:
    minutes = max(1, int(-(-seconds // 60)))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    home = url_for("main.home")
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), home))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if not current_app.config["LOCAL_LOGIN"]:
        if request.method == "POST":
            form.form_errors.append("Signing in with a username and password is turned off here.")
            status = 403
    elif form.validate_on_submit():
        settings = throttle_settings()
        session = get_session()
        attempt = begin_attempt(session, form.username.data, request.remote_addr or "unknown", settings)
        session.commit()  # counted before the password is checked: concurrent attempts see it
        if attempt.locked_until is not None:
            result = LoginResult(None, attempt.locked_until)
        else:
            with read_session() as reader:  # the slow hash runs without the write lock
                verdict = check_password(reader, attempt, form.password.data)
            result = finish_attempt(session, attempt, verdict, settings)
            session.commit()
        if result.ok:
            start_session(result.user)
            flash(f"Signed in as {result.user.display_name}.", "success")
            return redirect(safe_next(form.next.data, home))
        if result.locked_until is not None:
            wait = (result.locked_until - utcnow()).total_seconds()
            form.form_errors.append(
                "Too many failed sign-in attempts. Try again in "
                f"{_wait_text(wait)} (after {result.locked_until:%H:%M} UTC), or ask an administrator to reset "
                "your password."
            )
            status = 429
        else:
            form.form_errors.append("Wrong username or password.")
            status = 401
    elif request.method == "POST":
        status = 400
    return _login_page(form), status


def _login_page(form: LoginForm) -> str:
    sso = current_sso()
    return render_template(
        "accounts/login.html", form=form, local_login=current_app.config["LOCAL_LOGIN"],
        sso_name=sso.settings.provider_name if sso is not None else None,
    )


@bp.errorhandler(429)
def too_many_sign_ins(error):
    """RATELIMIT_LOGIN refused this sign-in: the form again, username kept, with how long to wait."""
    if request.endpoint != "accounts.login":
        return too_many_requests(error)
    form = LoginForm()  # bound to the posted form: the username and `next` stay filled in
    form.form_errors.append(
        "Too many sign-in attempts from your network. "
        f"Try again in {describe_wait(retry_after_seconds())} (your password was not checked this time)."
    )
    return _login_page(form), 429


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    form = ButtonForm()
    if form.validate_on_submit():  # CSRFProtect has already checked the token
        session = get_session()
        sign_out(session, signed_in_user())  # a copy of the old cookie stops working
        session.commit()
    id_token = cookie_session.get(ID_TOKEN_KEY)
    logout_user()
    cookie_session.clear()
    flash("You have signed out.", "success")
    return redirect(_provider_logout_url(id_token) or url_for("accounts.login"))


def _provider_logout_url(id_token: str | None) -> str | None:
    """RP-initiated logout: the provider's end-session URL when the person signed in there and it offers one.

    `id_token` is None after a password sign-in, "" after a single sign-on whose token was too big to keep.
    """
    sso = current_sso()
    if sso is None or id_token is None:
        return None
    try:
        return sso.end_session_url(id_token, url_for("accounts.login", _external=True))
    except Exception:  # noqa: BLE001 - the local session has ended; the provider's is a courtesy
        current_app.logger.warning("could not reach the sign-in provider to end its session too", exc_info=True)
        return None


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    user = signed_in_user()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        if not verify(hasher_for(session), user.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            with attempt() as outcome:
                revoked = set_password(session, user, user, form.new_password.data)
            if not outcome.refused:
                login_user(user)  # the session token changed: keep this session, end the others
                tokens = f" API tokens revoked: {revoked}." if revoked else ""
                flash(f"Your password has been changed. Other sessions have been signed out.{tokens}", "success")
                return redirect(url_for("main.home"))
            form.new_password.errors.append(outcome.refusal.message)  # the service says "password"; this form "new_password"
            status = outcome.status
    return render_template("accounts/change_password.html", form=form, required=user.must_change_password), page_status(form, status)
