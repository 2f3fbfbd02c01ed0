"""Single sign-on: find or provision the user an ID token names, and apply their groups.

Services take `(session, ...)`, flush but never commit, and audit every
sign-in, provisioning, role change and refusal in the caller's transaction.
A refusal raises `SignInRefused` after its changes (roles taken away, the
event recorded): the caller commits them all the same.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reviewer.accounts.models import User, new_session_token
from reviewer.accounts.passwords import hasher_for
from reviewer.accounts.services import (
    AccountError,
    get_user_by_username,
    groups_by_name,
    normalise_username,
    set_memberships,
)
from reviewer.audit import record
from reviewer.orm import utcnow
from reviewer.sso.settings import ClaimNames, GroupMapping

# Wider than local usernames: providers' usernames are often email addresses (Entra's UPN).
SSO_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,63}$")
SOURCE = "oidc"


class SignInRefused(Exception):
    """Single sign-on worked at the provider, but this site refuses the person; `message` says why to them."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Identity:
    """Who a validated ID token says the person is."""

    issuer: str
    subject: str
    username: str
    display_name: str
    email: str | None
    groups: tuple[str, ...]

    @classmethod
    def from_claims(cls, issuer: str, claims: Mapping[str, Any], names: ClaimNames) -> Identity:
        """Read the mapped claims; SignInRefused naming the claim when one is missing or unusable."""
        subject = claims.get("sub")
        username = claims.get(names.username)
        if not isinstance(subject, str) or not subject:
            raise SignInRefused("claims", "The provider's ID token has no subject (sub claim).")
        if not isinstance(username, str) or not SSO_USERNAME_RE.match(normalise_username(username)):
            raise SignInRefused(
                "claims",
                f"The provider's {names.username!r} claim ({username!r}) is not a usable username: an administrator "
                "should map OIDC_USERNAME_CLAIM to a claim of 2 to 64 letters, digits, '.', '_', '-', '@' or '+'.",
            )
        groups = claims.get(names.groups) or []
        if isinstance(groups, str):
            groups = [groups]
        display_name = claims.get(names.display_name)
        email = claims.get(names.email)
        return cls(
            issuer=issuer,
            subject=subject,
            username=normalise_username(username),
            display_name=display_name.strip()[:120] if isinstance(display_name, str) and display_name.strip() else "",
            email=email.strip()[:254] if isinstance(email, str) and email.strip() else None,
            groups=tuple(str(group) for group in groups if isinstance(group, (str, int))),
        )


def find_user(session: Session, issuer: str, subject: str) -> User | None:
    return session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))


def sign_in(session: Session, identity: Identity, mapping: GroupMapping, ip: str) -> User:
    """The user to sign in for `identity`: provisioned at first sign-in, roles and groups applied each time.

    Refused (SignInRefused): no provider group maps to a role (a provisioned
    user loses the roles and groups they had, and their live sessions end),
    a deactivated user, or a username already held by another account.
    """
    roles = mapping.roles_for(identity.groups)
    user = find_user(session, identity.issuer, identity.subject)
    try:
        approver_groups = groups_by_name(session, mapping.approver_groups_for(identity.groups))
    except AccountError as error:
        _refuse(session, identity, user, "mapping", f"The sign-in mapping is out of date: {error.message} "
                "Ask an administrator to fix OIDC_GROUP_APPROVER_GROUPS.", ip)
    if user is None:
        if not roles:
            _refuse(session, identity, None, "no_mapped_group", _no_group_message(identity), ip)
        if get_user_by_username(session, identity.username) is not None:
            _refuse(session, identity, None, "username_taken", _username_taken_message(identity), ip)
        user = _provision(session, identity, roles, approver_groups)
        if user is None:  # a sign-in at the same moment provisioned them first: theirs is the account
            user = find_user(session, identity.issuer, identity.subject)
            if user is None:
                _refuse(session, identity, None, "username_taken", _username_taken_message(identity), ip)
            _update_profile(session, user, identity)
            set_memberships(session, None, user, roles, approver_groups, source=SOURCE)
    elif not user.active:
        _refuse(session, identity, user, "deactivated", "Your account here has been deactivated. Ask an administrator.", ip)
    elif not roles:
        set_memberships(session, None, user, [], [], source=SOURCE)
        user.session_token = new_session_token()  # any session still open ends with the access
        _refuse(session, identity, user, "no_mapped_group", _no_group_message(identity), ip)
    else:
        _update_profile(session, user, identity)
        set_memberships(session, None, user, roles, approver_groups, source=SOURCE)
    user.last_login_at = utcnow()
    session.flush()
    record(session, user, "auth.login", f"user:{user.id}", {"ip": ip, "method": SOURCE, "issuer": identity.issuer})
    return user


def _provision(session: Session, identity: Identity, roles: list[str], approver_groups: list) -> User | None:
    """The new user, audited; None when a sign-in at the same moment took the subject or the username first."""
    user = User(
        username=identity.username,
        display_name=identity.display_name or identity.username,
        email=identity.email,
        # Never used: no one knows it, and accounts with an OIDC subject never sign in with a password.
        password_hash=hasher_for(session).hash(secrets.token_urlsafe(32)),
        session_token=new_session_token(),
        active=True,
        oidc_issuer=identity.issuer,
        oidc_subject=identity.subject,
    )
    try:
        with session.begin_nested():  # a savepoint: losing the race undoes this insert only
            session.add(user)
    except IntegrityError:
        return None
    record(session, None, "user.provisioned", f"user:{user.id}", {
        "username": user.username, "issuer": identity.issuer, "subject": identity.subject,
        "provider_groups": list(identity.groups),
    })
    set_memberships(session, None, user, roles, approver_groups, source=SOURCE)
    return user


def _update_profile(session: Session, user: User, identity: Identity) -> None:
    display_name = identity.display_name or user.display_name
    if (display_name, identity.email) != (user.display_name, user.email):
        user.display_name, user.email = display_name, identity.email
        record(session, None, "user.updated", f"user:{user.id}",
               {"display_name": display_name, "email": identity.email, "source": SOURCE})


def _username_taken_message(identity: Identity) -> str:
    return (f"Another account already uses the username {identity.username!r}. Ask an administrator to "
            "rename or remove it before you sign in with single sign-on.")


def _no_group_message(identity: Identity) -> str:
    return (
        "Your account at the sign-in provider is in no group that gives access to this site. "
        "Ask an administrator to add you to one."
    )


def _refuse(session: Session, identity: Identity, user: User | None, reason: str, message: str, ip: str) -> NoReturn:
    record(session, None, "auth.sso_refused", f"user:{user.id}" if user is not None else None, {
        "username": identity.username, "issuer": identity.issuer, "subject": identity.subject,
        "provider_groups": list(identity.groups), "reason": reason, "ip": ip,
    })
    raise SignInRefused(reason, message)


def record_failure(session: Session, reason: str, detail: str, ip: str) -> None:
    """A sign-in that failed before anyone was identified (bad state, token or provider answer)."""
    record(session, None, "auth.sso_failed", None, {"reason": reason, "detail": detail[:500], "ip": ip})
