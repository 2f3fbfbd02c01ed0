"""Form pieces shared by every domain."""

from __future__ import annotations

from datetime import timedelta

from wtforms import DateField, SelectMultipleField, widgets
from wtforms.validators import ValidationError

from reviewer import moments

#: The longest period one report or dashboard covers.
MAX_PERIOD_DAYS = 3660


def page_status(form, status: int = 200) -> int:
    """The status of a page showing `form`: `status`, or 422 when this request posted the form and it has errors
    (its validators', or ones a view added), so a failed submission never reads as a plain page view."""
    if status == 200 and form.is_submitted() and form.errors:
        return 422
    return status


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (one per choice) in a fieldset; keyboard-friendly, unlike a multi-select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form) -> None:
        # Accept only the offered choices, with a message that names the bad value.
        offered = {str(value) for value, _label in (self.choices or [])}
        for value in self.data or []:
            if str(value) not in offered:
                raise ValidationError(f"{value!r} is not one of the choices.")


class BoundedPeriod:
    """Mixin for a form with `since` and `until` DateFields: the period's last day is a real one.

    It is not before the first day, the period spans at most MAX_PERIOD_DAYS,
    and the day after it (where the period ends, at midnight UTC) exists.
    """

    since: DateField

    def validate_until(self, field: DateField) -> None:
        if field.data:
            try:
                moments.shift(field.data, timedelta(days=1))  # the period ends at the start of the next day
            except moments.OutOfRange as error:
                raise ValidationError(str(error)) from None
        if field.data and self.since.data:
            if field.data < self.since.data:
                raise ValidationError(f"The end ({field.data}) is before the start ({self.since.data}).")
            if (field.data - self.since.data).days >= MAX_PERIOD_DAYS:
                raise ValidationError(f"The period is longer than {MAX_PERIOD_DAYS} days: choose a shorter one.")


def attach_error(form, refusal) -> None:
    """Show a service's refusal on the form: under the field it names, else above the form.

    `refusal` is a `web.refusals.Refusal` or any domain error with `.message`
    and `.field` (AccountError, OrgAccountError, ...); under a field it shows
    its `detail` (the words without the field's name) when it has one.
    """
    name = getattr(refusal, "field", None)
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, getattr(refusal, "detail", None) or refusal.message]
    else:
        form.form_errors.append(refusal.message)
