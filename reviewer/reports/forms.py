"""The auditors' report form: the period (whole UTC days) and, optionally, one account."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from reviewer.web.forms import BoundedPeriod


def last_full_month(today: date) -> tuple[date, date]:
    """(first day, last day) of the calendar month before `today`'s: what an auditor usually reports on."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


class ReportForm(BoundedPeriod, FlaskForm):
    since = DateField(
        "From",
        validators=[InputRequired(message="Give the first day of the period (YYYY-MM-DD).")],
        description="First day, YYYY-MM-DD (UTC).",
    )
    until = DateField(
        "To (inclusive)",
        validators=[InputRequired(message="Give the last day of the period (YYYY-MM-DD).")],
        description="Last day, included, YYYY-MM-DD (UTC).",
    )
    account = SelectField("Account", choices=[SelectChoice("", "All accounts")], default="")
    submit = SubmitField("Make the report")

    def set_accounts(self, accounts: list[tuple[str, str]]) -> None:
        self.account.choices = [SelectChoice("", "All accounts"), *(SelectChoice(v, label) for v, label in accounts)]

    @property
    def account_id(self) -> int | None:
        return int(self.account.data) if self.account.data else None
