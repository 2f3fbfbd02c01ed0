"""The admin's form for an organisation account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from reviewer.web.forms import MultiCheckboxField


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
    submit = SubmitField("Save account")
