"""Forms for the approver pages: queue filters, the four decisions, and the dashboard's period.

Decision forms carry `expected_version` (the draft's lock_version when the
page was drawn), so a decision on a draft someone changed since is refused
as a conflict instead of landing on text the approver never saw.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from reviewer.drafting.forms import unix_newlines
from reviewer.review.workflow import MAX_COMMENT, MAX_TEXT
from reviewer.web.forms import BoundedPeriod

#: Queue age filter: (minutes, label); "" means any age.
AGE_CHOICES = [
    SelectChoice("", "Any age"),
    SelectChoice("60", "Waiting over 1 hour"),
    SelectChoice("240", "Waiting over 4 hours"),
    SelectChoice("1440", "Waiting over 1 day"),
    SelectChoice("4320", "Waiting over 3 days"),
]
DECISION_CHOICES = [
    SelectChoice("", "Any decision"),
    SelectChoice("review", "Needs approval"),
    SelectChoice("pass", "Passes policy (after an approver's edit)"),
]
RULE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
DEFAULT_PERIOD_DAYS = 30


def choices(blank: str, pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """A select's choices: "" (labelled `blank`) first, then the (value, label) pairs."""
    return [SelectChoice("", blank), *(SelectChoice(value, label) for value, label in pairs)]


class QueueFilterForm(FlaskForm):
    """GET filters for one group's queue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    group = HiddenField()
    account = SelectField("Account", choices=[SelectChoice("", "Any account")], default="")
    age = SelectField("Age", choices=AGE_CHOICES, default="")
    decision = SelectField("Decision", choices=DECISION_CHOICES, default="")
    rule = SelectField("Rule", choices=[SelectChoice("", "Any rule")], default="")

    def set_choices(self, accounts: list[tuple[str, str]], rules: list[str]) -> None:
        """Offer these accounts (id, label) and rules; a well-formed rule asked for in the URL stays offered."""
        self.account.choices = choices("Any account", accounts)
        wanted = (self.rule.data or "").strip()
        offered = sorted(set(rules) | ({wanted} if wanted and RULE_ID.match(wanted) else set()))
        self.rule.choices = choices("Any rule", [(r, r) for r in offered])

    def filters(self) -> dict:
        """Keyword arguments for `review.queue.queue` (call after validate())."""
        found: dict = {}
        if self.account.data:
            found["account_id"] = int(self.account.data)
        if self.age.data:
            found["older_than"] = timedelta(minutes=int(self.age.data))
        if self.decision.data:
            found["decision"] = self.decision.data
        if self.rule.data:
            found["rule"] = self.rule.data
        return found

    @property
    def active(self) -> bool:
        return any((self.account.data, self.age.data, self.decision.data, self.rule.data))


class _DecisionForm(FlaskForm):
    expected_version = HiddenField(
        validators=[
            InputRequired(message="The page was missing the draft's version: reload it and try again."),
            Regexp(r"^\d{1,9}$", message="The page sent a garbled draft version: reload it and try again."),
        ]
    )

    def expected(self) -> int:
        return int(self.expected_version.data)


class ApproveForm(_DecisionForm):
    group = SelectField(
        "Approve for group",
        choices=[SelectChoice("", "The group that still needs it")],
        default="",
        validators=[Optional()],
        description="Only asked when you are in more than one of the groups this draft is routed to.",
    )
    submit = SubmitField("Approve")


class RejectForm(_DecisionForm):
    reason = TextAreaField(
        "Reason for rejecting",
        validators=[
            DataRequired(message="Give a reason for rejecting: the staff member sees it."),
            Length(max=MAX_COMMENT),
        ],
        filters=[unix_newlines],
        description="Rejecting ends this draft; staff see the reason.",
        render_kw={"rows": 3},
    )
    submit = SubmitField("Reject")


class ReturnForm(_DecisionForm):
    comment = TextAreaField(
        "What to change",
        validators=[
            DataRequired(message="Say what to change: the staff member sees your comment."),
            Length(max=MAX_COMMENT),
        ],
        filters=[unix_newlines],
        description="Staff revise the draft and submit it again.",
        render_kw={"rows": 3},
    )
    submit = SubmitField("Return for changes")


class EditForm(_DecisionForm):
    text = TextAreaField(
        "Edited text",
        validators=[DataRequired(message="The edited text cannot be empty."), Length(max=MAX_TEXT)],
        filters=[unix_newlines],
        description="Your edit is checked against the policy again, and then another approver must approve it.",
        render_kw={"rows": 6, "spellcheck": "true"},
    )
    submit = SubmitField("Save edit")


class PeriodForm(BoundedPeriod, FlaskForm):
    """GET period and account for the response-time dashboard (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    since = DateField("From", validators=[Optional()], description="A date (UTC). Empty: 30 days before the end.")
    until = DateField("To (inclusive)", validators=[Optional()], description="A date (UTC). Empty: up to now.")
    account = SelectField("Account", choices=[SelectChoice("", "All accounts")], default="")

    @property
    def chosen(self) -> bool:
        return bool(self.since.data or self.until.data or self.account.data)
