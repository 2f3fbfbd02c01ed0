"""The home page: what each role can do from here."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from reviewer.web.access import signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def home():
    return render_template("home.html", roles=sorted(current_user.roles))
