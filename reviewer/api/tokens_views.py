"""The signed-in user's "API tokens" page: make a token (shown once) and revoke tokens."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from reviewer.accounts.forms import ButtonForm
from reviewer.api.services import MAX_NAME_LENGTH, create_token, get_user_token, list_tokens, revoke_token
from reviewer.db import get_session
from reviewer.web import signed_in_user
from reviewer.web.access import signed_in
from reviewer.web.forms import page_status
from reviewer.web.refusals import attempt

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


class NewTokenForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Give the token a name."), Length(max=MAX_NAME_LENGTH)],
        description="What will use it, e.g. 'Hootsuite integration'. You will see the token once.",
    )
    submit = SubmitField("Create token")


def _page(form: NewTokenForm, secret: str | None = None, status: int = 200):
    tokens = list_tokens(get_session(), signed_in_user())
    html = render_template("api/tokens.html", form=form, tokens=tokens, secret=secret, revoke_form=ButtonForm(),
                           lifetime_days=current_app.config["API_TOKEN_LIFETIME_DAYS"])
    return html, status


@bp.route("", methods=["GET", "POST"])
@signed_in
def index():
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=page_status(form))
    user = signed_in_user()
    with attempt() as outcome:
        new = create_token(get_session(), user, user, form.name.data, current_app.config["API_TOKEN_LIFETIME_DAYS"])
    if outcome.refused:
        form.name.errors = [outcome.refusal.message]  # the page shows errors under its one field
        return _page(form, status=outcome.status)
    # Rendered, not redirected: the secret is never put in the session or a flash message.
    return _page(NewTokenForm(formdata=None), secret=new.secret, status=201)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke(token_id: int):
    session = get_session()
    token = get_user_token(session, signed_in_user(), token_id)
    if token is None:
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        with attempt() as outcome:
            revoke_token(session, signed_in_user(), token)
        if outcome.refused:
            flash(outcome.refusal.message, "error")
            return _page(NewTokenForm(formdata=None), status=outcome.status)
        flash(f"Revoked the token {token.prefix}… ({token.name}). Anything using it is now refused.", "success")
    return redirect(url_for("api_tokens.index"))
