"""The notification settings form: one choice per kind of event."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from reviewer.notify.events import EVENTS

MODE_LABELS = {"email": "Email at once", "digest": "Daily digest email", "off": "No email"}


_CHOICES = [SelectChoice(mode, label) for mode, label in MODE_LABELS.items()]


def field_name(event: str) -> str:
    return event.replace(".", "_")


def preferences_form(current: dict[str, str], formdata=None) -> FlaskForm:
    """A form with a select per event (named like `draft_routed`), set to `current` when not posted."""

    class PreferencesForm(FlaskForm):
        pass

    for event, label in EVENTS.items():
        setattr(PreferencesForm, field_name(event), SelectField(label, choices=_CHOICES,
                                                                default=current.get(event, "email")))
    return PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm()


def chosen(form: FlaskForm) -> dict[str, str]:
    """event -> mode, from a validated form."""
    return {event: getattr(form, field_name(event)).data for event in EVENTS}
