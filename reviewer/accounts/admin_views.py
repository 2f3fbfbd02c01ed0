"""The admin area for people: users, their roles and groups, passwords, approver groups.

Each change runs in `web.refusals.attempt()`: committed, or its refusal shown
on the form (or, for a button, on the user's page) with its one status.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from reviewer.accounts.forms import (
    ButtonForm,
    EditGroupForm,
    EditUserForm,
    NewGroupForm,
    NewUserForm,
    ResetPasswordForm,
)
from reviewer.accounts.models import ROLE_LABELS, ROLES, ApproverGroup, User
from reviewer.accounts.passwords import generate_password
from reviewer.accounts.services import (
    create_group,
    create_user,
    deactivate_user,
    list_groups,
    list_users,
    reactivate_user,
    set_password,
    thin_group_warning,
    thin_groups,
    update_group,
    update_user,
)
from reviewer.db import get_session
from reviewer.web import signed_in_user
from reviewer.web.access import role_required
from reviewer.web.forms import attach_error, page_status
from reviewer.web.refusals import attempt

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _offer_choices(form) -> None:
    form.roles.choices = [(role, ROLE_LABELS[role]) for role in ROLES]
    form.groups.choices = [(g.name, g.name) for g in list_groups(get_session())]


@bp.route("/")
@role_required("admin")
def index():
    return render_template("accounts/admin_index.html")


@bp.route("/users")
@role_required("admin")
def users():
    return render_template("accounts/users.html", users=list_users(get_session()), button=ButtonForm())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user():
    form = NewUserForm()
    _offer_choices(form)
    status = 200
    if form.validate_on_submit():
        password = form.password.data or generate_password()
        with attempt() as outcome:
            user = create_user(
                get_session(),
                signed_in_user(),
                form.username.data,
                password,
                roles=form.roles.data or [],
                groups=form.groups.data or [],
                display_name=form.display_name.data,
                email=form.email.data,
                must_change_password=not form.password.data,
            )
        if not outcome.refused:
            flash(f"User {user.username} created.", "success")
            if form.password.data:
                return redirect(url_for("admin.users"))
            return render_template("accounts/one_time_password.html", user=user, password=password, created=True)
        attach_error(form, outcome.refusal)
        status = outcome.status
    return render_template("accounts/user_form.html", form=form, user=None), page_status(form, status)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int):
    user = _user_or_404(user_id)
    form = _edit_user_form(user)
    status = 200
    if form.validate_on_submit():
        with attempt() as outcome:
            update_user(
                get_session(),
                signed_in_user(),
                user,
                display_name=form.display_name.data or "",
                email=form.email.data,
                roles=form.roles.data or [],
                groups=form.groups.data or [],
            )
        if not outcome.refused:
            flash(f"Changes to {user.username} saved.", "success")
            return redirect(url_for("admin.users"))
        attach_error(form, outcome.refusal)
        status = outcome.status
    return render_template("accounts/user_form.html", form=form, user=user, button=ButtonForm()), page_status(form, status)


def _edit_user_form(user: User, *, stored_only: bool = False) -> EditUserForm:
    """The user's form filled with what is stored, and what this request posted unless `stored_only`."""
    current = {"display_name": user.display_name, "email": user.email, "roles": sorted(user.roles), "groups": user.group_names}
    form = EditUserForm(formdata=None, data=current) if stored_only else EditUserForm(data=current)
    _offer_choices(form)
    return form


def _toggle(user_id: int, change, done: str):
    form = ButtonForm()
    user = _user_or_404(user_id)
    if form.validate_on_submit():
        with attempt() as outcome:
            change(get_session(), signed_in_user(), user)
        if outcome.refused:  # shown on the user's page, with the refusal's status
            flash(outcome.refusal.message, "error")
            user = _user_or_404(user_id)  # reloaded after the rollback
            form = _edit_user_form(user, stored_only=True)
            return render_template("accounts/user_form.html", form=form, user=user, button=ButtonForm()), outcome.status
        flash(f"{user.username} {done}.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@role_required("admin")
def deactivate(user_id: int):
    return _toggle(user_id, deactivate_user, "deactivated: they can no longer sign in, and their sessions have ended")


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@role_required("admin")
def reactivate(user_id: int):
    return _toggle(user_id, reactivate_user, "reactivated")


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        password = form.password.data or generate_password()
        with attempt() as outcome:
            revoked = set_password(get_session(), signed_in_user(), user, password, one_time=not form.password.data)
        if not outcome.refused:
            if form.password.data:
                flash(f"Password for {user.username} set; their sessions have ended. API tokens revoked: {revoked}.",
                      "success")
                return redirect(url_for("admin.edit_user", user_id=user.id))
            return render_template("accounts/one_time_password.html", user=user, password=password, created=False)
        attach_error(form, outcome.refusal)
        status = outcome.status
    return render_template("accounts/reset_password.html", form=form, user=user), page_status(form, status)


@bp.route("/groups", methods=["GET", "POST"])
@role_required("admin")
def groups():
    form = NewGroupForm()
    session = get_session()
    status = 200
    if form.validate_on_submit():
        with attempt() as outcome:
            group = create_group(session, signed_in_user(), form.name.data, form.description.data or "")
        if not outcome.refused:
            flash(f"Approver group {group.name} added.", "success")
            return redirect(url_for("admin.groups"))
        attach_error(form, outcome.refusal)
        status = outcome.status
    thin = [thin_group_warning(name, count) for name, count in thin_groups(session).items()]
    return render_template("accounts/groups.html", groups=list_groups(session), form=form, thin=thin), page_status(form, status)


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_group(group_id: int):
    session = get_session()
    group = session.get(ApproverGroup, group_id)
    if group is None:
        abort(404)
    form = EditGroupForm(data={"description": group.description})
    if form.validate_on_submit():
        with attempt() as outcome:
            update_group(session, signed_in_user(), group, form.description.data or "")
        if outcome.refused:
            attach_error(form, outcome.refusal)
            return render_template("accounts/group_form.html", form=form, group=group), outcome.status
        flash(f"Approver group {group.name} saved.", "success")
        return redirect(url_for("admin.groups"))
    return render_template("accounts/group_form.html", form=form, group=group), page_status(form)
