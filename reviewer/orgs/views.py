"""Admin pages for organisation accounts."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from reviewer.accounts.services import list_groups
from reviewer.db import get_session
from reviewer.orgs.forms import OrgAccountForm
from reviewer.orgs.models import OrgAccount
from reviewer.orgs.services import create_account, list_accounts, list_policy_files, update_account
from reviewer.vocabulary import PLATFORM_LABELS, PLATFORMS
from reviewer.web import signed_in_user
from reviewer.web.access import role_required
from reviewer.web.forms import attach_error, page_status
from reviewer.web.refusals import attempt

bp = Blueprint("orgs", __name__, url_prefix="/admin/accounts")


def _policy_dir() -> Path:
    return Path(current_app.config["POLICY_DIR"])


def _offer_choices(form: OrgAccountForm, current_policy: str | None = None) -> None:
    form.platform.choices = [(p, PLATFORM_LABELS[p]) for p in PLATFORMS]
    files = list_policy_files(_policy_dir())
    if current_policy and current_policy not in files:
        files.append(current_policy)  # keep showing a file that has since gone; saving will say so
    form.policy_file.choices = [(name, name) for name in files]
    form.groups.choices = [(g.name, g.name) for g in list_groups(get_session())]


def _values(form: OrgAccountForm) -> dict:
    return {
        "name": form.name.data,
        "platform": form.platform.data,
        "handle": form.handle.data,
        "policy_file": form.policy_file.data,
        "policy_dir": _policy_dir(),
        "groups": form.groups.data or [],
        "active": bool(form.active.data),
        "response_target_minutes": form.response_target_minutes.data,
    }


@bp.route("/")
@role_required("admin")
def index():
    return render_template(
        "orgs/accounts.html", accounts=list_accounts(get_session()), policy_files=list_policy_files(_policy_dir())
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    form = OrgAccountForm()
    _offer_choices(form)
    status = 200
    if form.validate_on_submit():
        with attempt() as outcome:
            account = create_account(get_session(), signed_in_user(), **_values(form))
        if not outcome.refused:
            flash(f"Account {account.label} added.", "success")
            return redirect(url_for("orgs.index"))
        attach_error(form, outcome.refusal)
        status = outcome.status
    return render_template("orgs/account_form.html", form=form, account=None), page_status(form, status)


@bp.route("/<int:account_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(account_id: int):
    session = get_session()
    account = session.get(OrgAccount, account_id)
    if account is None:
        abort(404)
    form = OrgAccountForm(
        data={
            "name": account.name,
            "platform": account.platform,
            "handle": account.handle,
            "policy_file": account.policy_file,
            "groups": [g.name for g in account.drafting_groups],
            "active": account.active,
            "response_target_minutes": account.response_target_minutes,
        }
    )
    _offer_choices(form, account.policy_file)
    status = 200
    if form.validate_on_submit():
        with attempt() as outcome:
            changed = update_account(session, signed_in_user(), account, **_values(form))
        if not outcome.refused:
            flash(f"Account {account.label} saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("orgs.index"))
        attach_error(form, outcome.refusal)
        status = outcome.status
    return render_template("orgs/account_form.html", form=form, account=account), page_status(form, status)
