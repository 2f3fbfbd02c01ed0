"""Request bodies of `/api/v1`, validated with pydantic; the OpenAPI document uses the same models.

Scalars are strict (a number is not a string, a string is not a number);
unknown fields are refused, so a typo is an error rather than ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from reviewer.review.workflow import MAX_COMMENT as MAX_COMMENT_LENGTH
from reviewer.orm import MAX_ID
from reviewer.review.workflow import MAX_TEXT as MAX_TEXT_LENGTH
from reviewer.vocabulary import PLATFORMS

MAX_INBOUND_BATCH = 500

#: A row id: a whole number the databases can store (64-bit), so a 30-digit id is a 422 naming the field,
#: not an overflow inside the database driver.
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class CheckRequest(_Body):
    """Check a text against an account's policy (`account_id`) or a policy file (`policy`)."""

    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT_LENGTH, description="The reply as typed.")
    account_id: Id | None = Field(None, description="Check as a reply from this organisation account.")
    policy: StrictStr | None = Field(
        None, max_length=200, description="Or: a policy file name in the policy folder, e.g. government.yaml."
    )
    platform: Literal[PLATFORMS] | None = Field(
        None, description="With `policy`: the platform to check length limits for (an account brings its own)."
    )
    in_reply_to: StrictStr | None = Field(
        None, max_length=MAX_TEXT_LENGTH, description="The post being answered, for context rules."
    )


class InboundRequest(_Body):
    """One public post to an organisation account that may need a reply."""

    account_id: Id
    author_handle: StrictStr = Field(min_length=1, max_length=100)
    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    received_at: AwareDatetime | None = Field(None, description="ISO 8601 with a time zone; default: now.")
    url: StrictStr | None = Field(None, max_length=2000)
    external_id: StrictStr | None = Field(
        None, max_length=200, description="The platform's id for the post; a post is never imported twice."
    )


class DraftRequest(_Body):
    """Write a reply (or a standalone post) and submit it for review."""

    account_id: Id
    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    inbound_id: Id | None = Field(None, description="The inbound post this answers; omit for a standalone post.")


class DecisionRequest(_Body):
    """An approver's decision on a pending draft."""

    action: Literal["approve", "reject", "return"]
    comment: StrictStr | None = Field(
        None, max_length=MAX_COMMENT_LENGTH, description="Required for reject (the reason) and return (what to change)."
    )
    group: StrictStr | None = Field(
        None, max_length=40, description="approve: which of your routed groups you approve for (default: one that still needs it)."
    )
    expected_version: StrictInt | None = Field(
        None,
        description=(
            "The draft's `version` you decided on; if it changed meanwhile the answer is 409. "
            "Required to approve (or give expected_text_sha256), so an approval lands only on the text you read."
        ),
    )
    expected_text_sha256: StrictStr | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description=(
            "approve: the `text_sha256` of the current version you read (lower-case hex); "
            "if the text is no longer that one the answer is 409."
        ),
    )


def first_problem(error: ValidationError, prefix: str = "") -> tuple[str, str]:
    """(field path, message) of the first validation problem, e.g. ("items[2].text", "items[2].text: ...")."""
    problem = error.errors(include_url=False)[0]
    path = prefix
    for part in problem["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _FIELD_NAME.match(part):  # skip pydantic's internal steps such as "function-after[...]"
            path = f"{path}.{part}" if path else part
    path = path or "body"
    message = problem["msg"]
    if problem["type"] == "extra_forbidden":
        message = "Unknown field; check its spelling against the API document"
    elif problem["type"] == "missing":
        message = "This field is required"
    return path, f"{path}: {message}."


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template="#/components/schemas/{model}")


__all__ = [
    "CheckRequest",
    "DecisionRequest",
    "DraftRequest",
    "InboundRequest",
    "first_problem",
    "schema_of",
]
