"""Account operations: create, change, deactivate users; manage approver groups.

Services take `(session, actor, ...)`, flush but never commit, and record
an audit event in the caller's transaction for every change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.accounts.models import ROLES, ApproverGroup, User, UserRole, new_session_token
from reviewer.accounts.passwords import hasher_for, password_problem
from reviewer.api.services import revoke_user_tokens
from reviewer.audit import record

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
GROUP_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A request the account rules refuse; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_username(username: str) -> str:
    return username.strip().lower()


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def list_groups(session: Session) -> list[ApproverGroup]:
    return list(session.scalars(select(ApproverGroup).order_by(ApproverGroup.name)))


#: Fewer active approvers than this and a group cannot approve its own member's draft or edit.
MIN_GROUP_APPROVERS = 2


def thin_groups(session: Session) -> dict[str, int]:
    """Approver groups with fewer than two active approvers, and how many they have.

    Separation of duties means nobody approves a draft they wrote or edited: in such a group, a draft
    one of its approvers wrote or edited has nobody left to approve it.
    """
    return {
        group.name: count
        for group in list_groups(session)
        if (count := sum(1 for u in group.members if u.active and u.has_role("approver"))) < MIN_GROUP_APPROVERS
    }


def thin_group_warning(name: str, count: int) -> str:
    """The one wording for a thin group, for the admin page and `reviewer config check`."""
    who = "no active approver" if count == 0 else "one active approver"
    return (f"approver group {name} has {who}: a draft its approver writes or edits cannot be approved "
            f"by anyone in it; add a second approver")


def groups_by_name(session: Session, names: Iterable[str]) -> list[ApproverGroup]:
    """The groups named, in name order; AccountError naming any that do not exist."""
    wanted = sorted({name.strip().lower() for name in names if name.strip()})
    found = {g.name: g for g in session.scalars(select(ApproverGroup).where(ApproverGroup.name.in_(wanted)))}
    missing = [name for name in wanted if name not in found]
    if missing:
        known = ", ".join(g.name for g in list_groups(session)) or "none"
        raise AccountError(f"Unknown approver group: {', '.join(missing)} (known: {known}).", "groups")
    return [found[name] for name in wanted]


def _check_roles(roles: Iterable[str]) -> list[str]:
    cleaned = sorted({role.strip().lower() for role in roles})
    unknown = [role for role in cleaned if role not in ROLES]
    if unknown:
        raise AccountError(f"Unknown role: {', '.join(unknown)} (roles: {', '.join(ROLES)}).", "roles")
    if not cleaned:
        raise AccountError("Give the user at least one role.", "roles")
    return cleaned


def _check_email(email: str | None) -> str | None:
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise AccountError(f"{email!r} is not an email address.", "email")
    return email


def _check_password(password: str, *names: str | None, field: str = "password") -> None:
    """AccountError naming `field` when the password is too short, too long or easy to guess (from `names` too)."""
    problem = password_problem(password, names)
    if problem:
        raise AccountError(problem, field)


def _subject(user: User) -> str:
    return f"user:{user.id}"


def create_user(
    session: Session,
    actor: User | None,
    username: str,
    password: str,
    roles: Iterable[str],
    groups: Iterable[str] = (),
    display_name: str | None = None,
    email: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Create an active user; the password is hashed here and never stored."""
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise AccountError(
            "Usernames are 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a "
            "letter or digit.",
            "username",
        )
    if get_user_by_username(session, username) is not None:
        raise AccountError(f"The username {username!r} is taken.", "username")
    role_names = _check_roles(roles)
    group_rows = groups_by_name(session, groups)
    _check_password(password, username, display_name, email)
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        email=_check_email(email),
        password_hash=hasher_for(session).hash(password),
        session_token=new_session_token(),
        active=True,
        must_change_password=must_change_password,
        role_rows=[UserRole(role=role) for role in role_names],
        groups=group_rows,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        "user.created",
        _subject(user),
        {"username": username, "roles": role_names, "groups": [g.name for g in group_rows]},
    )
    return user


def _active_admin_count(session: Session) -> int:
    query = select(func.count()).select_from(User).join(UserRole).where(User.active, UserRole.role == "admin")
    return session.scalar(query) or 0


def update_user(
    session: Session,
    actor: User | None,
    user: User,
    *,
    display_name: str,
    email: str | None,
    roles: Iterable[str],
    groups: Iterable[str],
) -> None:
    """Change a user's details, roles and groups; each kind of change is audited."""
    role_names = _check_roles(roles)
    group_rows = groups_by_name(session, groups)
    email = _check_email(email)
    display_name = display_name.strip() or user.username
    old_roles = sorted(user.roles)
    if "admin" in old_roles and "admin" not in role_names and user.active and _active_admin_count(session) <= 1:
        raise AccountError("This is the last active administrator: give another user the admin role first.", "roles")
    if (display_name, email) != (user.display_name, user.email):
        user.display_name, user.email = display_name, email
        record(session, actor, "user.updated", _subject(user), {"display_name": display_name, "email": email})
    set_memberships(session, actor, user, role_names, group_rows)


def set_memberships(
    session: Session,
    actor: User | None,
    user: User,
    role_names: list[str],
    group_rows: list[ApproverGroup],
    **context: str,
) -> None:
    """Give `user` exactly these roles (checked names) and groups; audit each kind of change.

    `context` joins the events' data, e.g. `source="oidc"` when single sign-on applied them.
    """
    old_roles = sorted(user.roles)
    role_names = sorted(role_names)
    if role_names != old_roles:
        user.role_rows = [row for row in user.role_rows if row.role in role_names] + [
            UserRole(role=role) for role in role_names if role not in old_roles
        ]
        record(session, actor, "user.roles_changed", _subject(user), {"from": old_roles, "to": role_names, **context})
    old_groups = user.group_names
    new_groups = sorted(g.name for g in group_rows)
    if new_groups != old_groups:
        user.groups = sorted(group_rows, key=lambda group: group.name)
        record(session, actor, "user.groups_changed", _subject(user), {"from": old_groups, "to": new_groups, **context})
    session.flush()


def deactivate_user(session: Session, actor: User | None, user: User) -> None:
    """Stop a user signing in and end their live sessions."""
    if not user.active:
        raise AccountError(f"{user.username} is already deactivated.")
    if actor is not None and actor.id == user.id:
        raise AccountError("You cannot deactivate your own account.")
    if user.has_role("admin") and _active_admin_count(session) <= 1:
        raise AccountError("This is the last active administrator: it cannot be deactivated.")
    user.active = False
    user.session_token = new_session_token()
    session.flush()
    record(session, actor, "user.deactivated", _subject(user), {"username": user.username})


def sign_out(session: Session, user: User) -> None:
    """End the user's sessions on sign-out: the session token changes, so a copy of the old cookie stops working.

    Flask keeps the session in a signed cookie, so clearing it in this
    browser alone would leave any copy (a shared computer, a stolen cookie)
    valid until it expires; this ends every session of the user at once.
    """
    user.session_token = new_session_token()
    session.flush()
    record(session, user, "auth.logout", _subject(user), None)


def reactivate_user(session: Session, actor: User | None, user: User) -> None:
    if user.active:
        raise AccountError(f"{user.username} is already active.")
    user.active = True
    user.session_token = new_session_token()
    session.flush()
    record(session, actor, "user.reactivated", _subject(user), {"username": user.username})


def set_password(session: Session, actor: User | None, user: User, password: str, *, one_time: bool = False) -> int:
    """Set a new password, end the user's other sessions and revoke their API tokens; how many tokens were revoked.

    A reset usually means the old password may be known to someone else,
    who could have made tokens with it: they stop working too.
    `one_time`: an administrator handed it out, so the user must choose a
    new one when they next sign in.
    """
    _check_password(password, user.username, user.display_name, user.email)
    user.password_hash = hasher_for(session).hash(password)
    user.session_token = new_session_token()
    user.must_change_password = one_time
    session.flush()
    own = actor is not None and actor.id == user.id
    action = "user.password_changed" if own else "user.password_reset"
    record(session, actor, action, _subject(user), {"username": user.username, "one_time": one_time})
    return revoke_user_tokens(session, actor, user, "password_changed" if own else "password_reset")


def create_group(session: Session, actor: User | None, name: str, description: str = "") -> ApproverGroup:
    name = name.strip().lower()
    if not GROUP_NAME_RE.match(name):
        raise AccountError(
            "Group names are 2 to 40 characters: lower-case letters, digits, '_' or '-', starting with a letter.",
            "name",
        )
    if session.scalar(select(ApproverGroup).where(ApproverGroup.name == name)) is not None:
        raise AccountError(f"There is already a group called {name!r}.", "name")
    group = ApproverGroup(name=name, description=description.strip())
    session.add(group)
    session.flush()
    record(session, actor, "group.created", f"group:{group.id}", {"name": name})
    return group


def update_group(session: Session, actor: User | None, group: ApproverGroup, description: str) -> None:
    description = description.strip()
    if description != group.description:
        group.description = description
        session.flush()
        record(session, actor, "group.updated", f"group:{group.id}", {"name": group.name, "description": description})
