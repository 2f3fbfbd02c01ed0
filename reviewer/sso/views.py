"""Single sign-on pages: start the flow at the provider, and the callback that signs the person in."""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask import session as cookie_session
from joserfc.errors import JoseError

from reviewer.accounts.login import start_session
from reviewer.db import get_session
from reviewer.sso.client import ID_TOKEN_KEY, NEXT_KEY, ProviderError, current_sso, id_token_to_keep
from reviewer.sso.services import Identity, SignInRefused, record_failure, sign_in
from reviewer.web.access import public, safe_next

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)


def _problem(title: str, message: str, status: int):
    return render_template("sso/problem.html", title=title, message=message), status


def _failed(reason: str, detail: str, title: str, message: str, status: int):
    """Audit a sign-in that failed before anyone was identified, and say so to the person."""
    log.warning("single sign-on failed (%s): %s", reason, detail)
    session = get_session()
    record_failure(session, reason, detail, request.remote_addr or "unknown")
    session.commit()
    return _problem(title, message, status)


@bp.route("/login/sso")
@public
def start():
    sso = current_sso()
    if sso is None:
        abort(404)
    cookie_session[NEXT_KEY] = safe_next(request.args.get("next"), url_for("main.home"))
    try:
        return sso.authorize_redirect(url_for("sso.callback", _external=True))
    except (requests.RequestException, ValueError, ProviderError) as error:
        return _failed("provider_unreachable", str(error), "The sign-in provider did not answer",
                       f"{sso.settings.provider_name} could not be reached. Try again in a minute; if it keeps "
                       "happening, tell an administrator.", 502)


@bp.route("/login/sso/callback")
@public
def callback():
    sso = current_sso()
    if sso is None:
        abort(404)
    try:
        token, claims = sso.finish()
    except MismatchingStateError as error:
        return _failed("state", str(error), "This sign-in link has expired",
                       "The answer from the sign-in provider does not belong to a sign-in started in this browser "
                       "(it was used already, or came from elsewhere). Start again.", 400)
    except OAuthError as error:
        return _failed("provider_error", f"{error.error}: {error.description}", "The sign-in provider refused",
                       f"{sso.settings.provider_name} did not sign you in ({error.error}). Start again, or ask an "
                       "administrator.", 401)
    except (JoseError, AuthlibBaseError) as error:
        return _failed("id_token", f"{type(error).__name__}: {error}", "The sign-in could not be verified",
                       "The identity token from the sign-in provider did not pass the checks (signature, issuer, "
                       "audience or expiry). Start again; if it keeps happening, tell an administrator.", 401)
    except (requests.RequestException, ValueError, ProviderError) as error:
        return _failed("provider_unreachable", str(error), "The sign-in provider did not answer",
                       f"{sso.settings.provider_name} could not be reached or answered wrongly. Try again in a "
                       "minute; if it keeps happening, tell an administrator.", 502)
    session = get_session()
    ip = request.remote_addr or "unknown"
    try:
        identity = Identity.from_claims(sso.settings.issuer, claims, sso.settings.claims)
        user = sign_in(session, identity, sso.settings.mapping, ip)
    except SignInRefused as refused:
        if refused.reason == "claims":
            record_failure(session, "claims", refused.message, ip)
        session.commit()  # the refusal's audit event, and any roles taken away
        return render_template("sso/problem.html", title="You cannot sign in here", message=refused.message,
                               refused=True), 403
    session.commit()
    target = cookie_session.get(NEXT_KEY) or url_for("main.home")
    start_session(user)
    cookie_session[ID_TOKEN_KEY] = id_token_to_keep(token)  # present: signed in here by single sign-on
    return redirect(safe_next(target, url_for("main.home")))
