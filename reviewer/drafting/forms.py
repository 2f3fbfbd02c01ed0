"""Forms for the staff pages: an inbound post, an upload, the reply editor, marking a reply posted."""

from __future__ import annotations

from datetime import datetime, timezone

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from reviewer.drafting.common import MAX_EXTERNAL_ID, MAX_HANDLE, MAX_URL
from reviewer.review.workflow import MAX_TEXT

# The largest upload accepted (10,000 rows of posts fit easily).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def unix_newlines(value: str | None) -> str | None:
    """Browsers send a textarea's line breaks as CRLF; store and check what the person sees (LF)."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class InboundForm(FlaskForm):
    author_handle = StringField(
        "Author", validators=[InputRequired(), Length(max=MAX_HANDLE)], description="Their handle, e.g. @resident."
    )
    text = TextAreaField("Their post", validators=[InputRequired(), Length(max=MAX_TEXT)], filters=[unix_newlines])
    received_at = StringField(
        "Received at",
        validators=[InputRequired()],
        default=now_iso,
        description="ISO 8601 with a timezone, e.g. 2026-11-23T09:30:00+13:00 or 2026-11-22T20:30:00Z.",
    )
    url = StringField("Link to the post", validators=[Optional(), Length(max=MAX_URL)], description="Optional.")
    external_id = StringField(
        "Platform's id for the post",
        validators=[Optional(), Length(max=MAX_EXTERNAL_ID)],
        description="Optional; a post with a known id is not stored twice.",
    )
    submit = SubmitField("Add post")


UPLOAD_FORMATS = [
    SelectChoice("auto", "From the file name (.csv or .jsonl)"),
    SelectChoice("csv", "CSV"),
    SelectChoice("jsonl", "JSON Lines"),
]


class UploadForm(FlaskForm):
    file = FileField(
        "File",
        validators=[FileRequired("Choose a file to upload.")],
        description="CSV with the header platform,author_handle,text,url,received_at,external_id, "
        "or JSON Lines (one object per line with those keys). UTF-8, at most 5 MB.",
    )
    format = SelectField("Format", choices=UPLOAD_FORMATS, default="auto")
    submit = SubmitField("Upload posts")

    def chosen_format(self) -> str:
        """`csv` or `jsonl`: as chosen, or from the file's name; ValidationError when neither says."""
        if self.format.data in ("csv", "jsonl"):
            return self.format.data
        name = (getattr(self.file.data, "filename", "") or "").lower()
        if name.endswith(".csv"):
            return "csv"
        if name.endswith((".jsonl", ".ndjson", ".json")):
            return "jsonl"
        raise ValidationError(f"Cannot tell the format of {name or 'the file'!r} from its name: choose CSV or JSON Lines.")


class DraftForm(FlaskForm):
    """The reply editor. `save` keeps a checked draft; `submit_reply` saves and sends it on."""

    text = TextAreaField(
        "Your reply",
        validators=[InputRequired(message="Write the reply first."), Length(max=MAX_TEXT)],
        filters=[unix_newlines],
        render_kw={"rows": 8, "spellcheck": "true"},
    )
    expected_version = HiddenField()
    #: Shown only when the post already has its reply: submitting another needs this ticked.
    second_reply = BooleanField("Yes, send a second reply to this post", default=False)
    save = SubmitField("Save draft")
    submit_reply = SubmitField("Submit")

    def expected(self) -> int | None:
        """The draft's lock_version the page showed, or None when the field is missing or garbled."""
        try:
            return int(self.expected_version.data)
        except (TypeError, ValueError):
            return None


class PostedForm(FlaskForm):
    url = StringField(
        "Where it was posted",
        validators=[Optional(), Length(max=MAX_URL)],
        description="The link to the reply on the platform (optional).",
    )
    expected_version = HiddenField()
    submit = SubmitField("Mark as posted")

    def expected(self) -> int | None:
        try:
            return int(self.expected_version.data)
        except (TypeError, ValueError):
            return None
