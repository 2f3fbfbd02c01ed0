"""Forms for signing in, changing one's password, and the admin's user pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from reviewer.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from reviewer.web.forms import MultiCheckboxField


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=256)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)], render_kw={"autocomplete": "current-password"}
    )
    next = HiddenField()
    submit = SubmitField("Sign in")


class ButtonForm(FlaskForm):
    """A form with only a CSRF token: logout and one-button actions."""


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a good one.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", "The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class UserDetailsForm(FlaskForm):
    display_name = StringField("Full name", validators=[Optional(), Length(max=120)])
    email = EmailField("Email", validators=[Optional(), Length(max=254)])
    roles = MultiCheckboxField("Roles", description="What the user may do; at least one.")
    groups = MultiCheckboxField("Approver groups", description="The teams whose reviews this user takes.")


class NewUserForm(UserDetailsForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), Length(min=2, max=64)],
        description="Lower-case letters, digits, '.', '_' or '-'.",
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description="Leave empty to generate a one-time password, shown once on the next page.",
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create user")


class EditUserForm(UserDetailsForm):
    submit = SubmitField("Save changes")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description="Leave empty to generate a one-time password; the user must change it when they sign in.",
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Reset password")


class NewGroupForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(min=2, max=40)],
        description="Lower-case letters, digits, '_' or '-', e.g. 'treaty'.",
    )
    description = TextAreaField("What this group reviews", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Add group")


class EditGroupForm(FlaskForm):
    description = TextAreaField("What this group reviews", validators=[Optional(), Length(max=500)])
    submit = SubmitField("Save")

