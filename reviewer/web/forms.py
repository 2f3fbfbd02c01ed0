"""Form pieces shared by every domain."""

from __future__ import annotations

from wtforms import SelectMultipleField, widgets
from wtforms.validators import ValidationError


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


def attach_error(form, error) -> None:
    """Show a service's refusal on the form: under the field it names (`error.field`), else above the form.

    `error` is any domain error with `.message` and `.field` (AccountError,
    OrgAccountError, ...), so each view shows refusals the same way.
    """
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
