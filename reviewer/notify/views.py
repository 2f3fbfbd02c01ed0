"""Notification pages: each person's notifications and email choices; the admins' delivery state."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from reviewer.accounts.forms import ButtonForm
from reviewer.db import get_session
from reviewer.notify import services
from reviewer.notify.forms import MODE_LABELS, chosen, field_name, preferences_form
from reviewer.web import signed_in_user
from reviewer.web.access import role_required, signed_in
from reviewer.web.refusals import attempt

bp = Blueprint("notify", __name__)
log = logging.getLogger(__name__)


@bp.app_context_processor
def unread_badge() -> dict:
    """`unread_notifications()` for the header: a count for the signed-in person, None when it cannot be had."""

    def count() -> int | None:
        if not current_user.is_authenticated:
            return None
        try:
            return services.unread_count(get_session(), current_user.id)
        except SQLAlchemyError as error:  # an error page while the database is away still renders
            log.warning("unread notifications not counted: %s", error)
            return None

    return {"unread_notifications": count}



@bp.route("/notifications")
@signed_in
def index():
    """The latest notifications (unread first marked), and the form to choose what comes by email."""
    session = get_session()
    form = preferences_form(services.preferences_of(session, current_user.id))
    return _page(form), 200


@bp.route("/notifications/read", methods=["POST"])
@signed_in
def mark_read():
    form = ButtonForm()
    if form.validate_on_submit():
        session = get_session()
        services.mark_all_read(session, signed_in_user())
        session.commit()
    return redirect(url_for("notify.index"))


@bp.route("/notifications/settings", methods=["POST"])
@signed_in
def save_settings():
    session = get_session()
    form = preferences_form({}, formdata=request.form)
    if not form.validate():
        for name, errors in form.errors.items():
            label = getattr(form, name).label.text if hasattr(form, name) else ""
            for error in errors:
                flash(f"{label}: {error}" if label else error, "error")
        return _page(form), 422
    with attempt() as outcome:
        changed = services.set_preferences(session, signed_in_user(), chosen(form))
    if outcome.refused:
        getattr(form, field_name(outcome.refusal.field)).errors.append(outcome.refusal.message)
        return _page(form), outcome.status
    flash(f"Saved: {len(changed)} choice{'s' if len(changed) != 1 else ''} changed." if changed else "Nothing changed.",
          "success")
    return redirect(url_for("notify.index"))


def _page(form) -> str:
    session = get_session()
    items = services.my_notifications(session, current_user.id)
    return render_template("notify/index.html", items=items, form=form, button=ButtonForm(), modes=MODE_LABELS,
                           unread=sum(item.unread for item in items))


@bp.route("/admin/notifications")
@role_required("admin")
def delivery():
    """What is waiting, sent and failing, with the last error of each failing message."""
    return render_template("notify/delivery.html", overview=services.delivery_overview(get_session()),
                           button=ButtonForm())


@bp.route("/admin/notifications/retry", methods=["POST"])
@role_required("admin")
def retry():
    form = ButtonForm()
    if form.validate_on_submit():
        session = get_session()
        count = services.retry_failed(session, signed_in_user())
        session.commit()
        flash(f"{count} failed notification{'s' if count != 1 else ''} will be tried again.", "success")
    return redirect(url_for("notify.delivery"))
