"""Form pieces shared by every domain."""

from __future__ import annotations

from wtforms import SelectMultipleField, widgets
from wtforms.validators import ValidationError


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (one per choice) in a fieldset; keyboard-friendly, unlike a multi-select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form) -> None:  # noqa: ANN001
        # Accept only the offered choices, with a message that names the bad value.
        offered = {str(value) for value, _label in (self.choices or [])}
        for value in self.data or []:
            if str(value) not in offered:
                raise ValidationError(f"{value!r} is not one of the choices.")


def attach_error(form, refusal) -> None:  # noqa: ANN001
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
