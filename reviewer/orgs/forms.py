"""The admin's form for an organisation account."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, StringField, SubmitField, widgets
from wtforms.validators import DataRequired, Length, StopValidation

from reviewer.orgs.models import (
    DEFAULT_RESPONSE_TARGET_MINUTES,
    MAX_RESPONSE_TARGET_MINUTES,
    MIN_RESPONSE_TARGET_MINUTES,
    RESPONSE_TARGET_RANGE,
)
from reviewer.web.forms import MultiCheckboxField

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,100}")


class WholeMinutesField(Field):
    """A whole number of minutes within the target's bounds; anything else is one clear field error.

    WTForms' IntegerField would add a second, generic message next to a range
    validator's, so this field checks the text itself.
    """

    widget = widgets.NumberInput(step=1, min=MIN_RESPONSE_TARGET_MINUTES, max=MAX_RESPONSE_TARGET_MINUTES)

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.raw = valuelist[0].strip()
            self.data = int(self.raw) if WHOLE_NUMBER.fullmatch(self.raw) else None

    def _value(self) -> str:
        return getattr(self, "raw", None) or ("" if self.data is None else str(self.data))

    def pre_validate(self, form) -> None:
        raw = getattr(self, "raw", None)
        if self.data is None and not raw:
            raise StopValidation(
                f"Give the response-time target in whole minutes, from {MIN_RESPONSE_TARGET_MINUTES} to "
                f"{MAX_RESPONSE_TARGET_MINUTES} (30 days)."
            )
        if self.data is None:
            raise StopValidation(f"“{raw}” is not a whole number of minutes: give {RESPONSE_TARGET_RANGE}.")
        if self.data < MIN_RESPONSE_TARGET_MINUTES:
            raise StopValidation(f"{self.data} minutes is too short: give {RESPONSE_TARGET_RANGE}.")
        if self.data > MAX_RESPONSE_TARGET_MINUTES:
            raise StopValidation(f"{self.data} minutes is too long: give {RESPONSE_TARGET_RANGE}.")


class OrgAccountForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=120)], description="E.g. Harbour City Council on X."
    )
    platform = SelectField("Platform", validators=[DataRequired()])
    handle = StringField(
        "Handle", validators=[DataRequired(), Length(max=100)], description="The account's name there, e.g. @HarbourCityNZ."
    )
    policy_file = SelectField(
        "Policy file", validators=[DataRequired()], description="The policy, from the policies folder, that replies are checked against."
    )
    groups = MultiCheckboxField(
        "Teams that may draft", description="Leave all unticked to let any staff member draft for this account."
    )
    active = BooleanField("Active", default=True, description="Inactive accounts take no new drafts.")
    response_target_minutes = WholeMinutesField(
        "Response-time target",
        default=DEFAULT_RESPONSE_TARGET_MINUTES,
        description=(
            "In minutes: how soon a post to this account should get its approved reply. 60 is an hour, 480 eight hours, "
            f"1440 a day (the default). From {MIN_RESPONSE_TARGET_MINUTES} minutes to {MAX_RESPONSE_TARGET_MINUTES} (30 days)."
        ),
    )
    submit = SubmitField("Save account")
