"""Request bodies of `/api/v1`, validated with pydantic; the OpenAPI document uses the same models.

Scalars are strict (a number is not a string, a string is not a number);
unknown fields are refused, so a typo is an error rather than ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, WithJsonSchema

from reviewer.review.workflow import MAX_COMMENT as MAX_COMMENT_LENGTH
from reviewer.orm import MAX_ID
from reviewer.review.workflow import MAX_TEXT as MAX_TEXT_LENGTH
from reviewer.vocabulary import PLATFORMS

MAX_INBOUND_BATCH = 500

#: A row id: a whole number the databases can store (64-bit), so a 30-digit id is a 422 naming the field,
#: not an overflow inside the database driver.
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]

#: What an approver may do with a pending draft (POST /drafts/{id}/decision `action`).
DECISION_ACTIONS = ("approve", "reject", "return")
#: The actions whose `comment` is required (the reason; what to change).
COMMENTED_ACTIONS = ("reject", "return")

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COMPONENT = "x-component"
_REF_TEMPLATE = "#/components/schemas/{model}"


def _named(name: str) -> WithJsonSchema:
    """In the OpenAPI document, a reference to the named component (openapi_components) instead of an inline enum."""
    return WithJsonSchema({_COMPONENT: name})  # pydantic resolves a $ref itself, so schema_of puts it in


def _present(name: str, json_type: str) -> dict[str, Any]:
    """JSON Schema: `name` is given, and not null."""
    return {"properties": {name: {"type": json_type}}, "required": [name]}


# The rules across fields, as JSON Schema conditionals (OpenAPI 3.1) that generators ignore and validators check.
_ONE_SOURCE = {
    "if": _present("account_id", "integer"),
    "then": {"properties": {"policy": {"type": "null"}, "platform": {"type": "null"}}},
    "else": _present("policy", "string"),
}
_COMMENT_REQUIRED = {
    "if": {"properties": {"action": {"enum": list(COMMENTED_ACTIONS)}}, "required": ["action"]},
    "then": {"properties": {"comment": {"type": "string", "pattern": r"\S"}}, "required": ["comment"]},
}
_APPROVAL_BINDING = {
    "if": {"properties": {"action": {"const": "approve"}}, "required": ["action"]},
    "then": {"anyOf": [_present("expected_version", "integer"), _present("expected_text_sha256", "string")]},
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class CheckRequest(_Body):
    """Check a text against an account's policy (`account_id`) or a policy file (`policy`): exactly one of them.

    `platform` goes only with `policy` (an account brings its own).
    """

    model_config = ConfigDict(json_schema_extra={"allOf": [_ONE_SOURCE]})

    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT_LENGTH, description="The reply as typed.")
    account_id: Id | None = Field(None, description="Check as a reply from this organisation account.")
    policy: StrictStr | None = Field(
        None, max_length=200, description="Or: a policy file name in the policy folder, e.g. government.yaml."
    )
    platform: Annotated[Literal[PLATFORMS], _named("Platform")] | None = Field(
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
    """An approver's decision on a pending draft.

    `comment` is required to reject (the reason) and to return (what to change); approving needs
    `expected_version` or `expected_text_sha256`.
    """

    model_config = ConfigDict(json_schema_extra={"allOf": [_COMMENT_REQUIRED, _APPROVAL_BINDING]})

    action: Annotated[Literal[DECISION_ACTIONS], _named("DecisionAction")]
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
    """The model's JSON Schema for the OpenAPI document, its named enums as references to components."""
    return _with_refs(model.model_json_schema(ref_template=_REF_TEMPLATE))


def _with_refs(node: Any) -> Any:
    if isinstance(node, dict):
        if _COMPONENT in node:
            return {"$ref": _REF_TEMPLATE.format(model=node[_COMPONENT])}
        return {key: _with_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_refs(item) for item in node]
    return node


__all__ = [
    "CheckRequest",
    "DecisionRequest",
    "DraftRequest",
    "InboundRequest",
    "first_problem",
    "schema_of",
]
