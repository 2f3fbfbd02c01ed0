"""The named parts of the OpenAPI document: enums, response shapes, the error body and response headers.

Each enum is one component built from the word list that defines it
(reviewer.vocabulary, the policy schema, the error codes), and every use
is a `$ref` to it, so a generated client gets one `Decision`, one `Platform`,
one `ErrorCode`... Response shapes mirror `serialise.py` and the verdict of
docs/policy-format.md.
"""

from __future__ import annotations

from typing import Any

from reviewer.api.error_codes import ERROR_CODES
from reviewer.api.errors import STORED
from reviewer.api.schemas import DECISION_ACTIONS
from reviewer.policy.schema import ACTIONS, SEVERITIES
from reviewer.policy.verdict import FINDING_TARGETS
from reviewer.vocabulary import DECISIONS, DRAFT_STATES, PLATFORMS

#: Where a finding was found: the draft, or the post it answers (policy.engine).

_NULLABLE_STRING = {"type": ["string", "null"]}
_TIMESTAMP = {"type": "string", "format": "date-time"}
_NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
_STRINGS = {"type": "array", "items": {"type": "string"}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(name: str) -> dict[str, Any]:
    """The named component or null (anyOf: generators keep the name and add None)."""
    return {"anyOf": [ref(name), {"type": "null"}]}


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties) if required is None else required,
            **extra}


def _enum(values: tuple[str, ...] | list[str], description: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


ENUMS = {
    "Decision": _enum(DECISIONS, "What a check decides about a text, mildest first."),
    "Platform": _enum(PLATFORMS, "The platform of an organisation account."),
    "DraftState": _enum(DRAFT_STATES, "Where a draft is in its life."),
    "Severity": _enum(SEVERITIES, "How serious a finding is, mildest first."),
    "FindingAction": _enum(ACTIONS, "What a finding asks for: a note, a review, or a block."),
    "FindingTarget": _enum(FINDING_TARGETS, "Which text a finding is in: the draft, or the post it answers."),
    "DecisionAction": _enum(DECISION_ACTIONS, "An approver's decision on a pending draft."),
    "ErrorCode": _enum(
        list(ERROR_CODES),
        "Machine-readable error code:\n\n" + "\n".join(f"- `{code}`: {meaning}" for code, meaning in ERROR_CODES.items()),
    ),
    "Stored": _enum(
        STORED,
        "Whether the change asked for was stored: `no` for every refusal (send it again once fixed); after a "
        "database outage `yes` (stored before the failure: do not send it again) or `unknown` (the connection "
        "was lost while its commit was unanswered: look before sending it again).",
    ),
}

_FINDING = _object(
    {
        "rule": {"type": "string", "examples": ["pii.phone"]},
        "title": {"type": "string", "description": "The rule's plain title for staff (its `title:`, else made from the id).",
                  "examples": ["Personal details in a public reply"]},
        "kind": {"type": "string", "examples": ["pii"]},
        "severity": ref("Severity"),
        "action": ref("FindingAction"),
        "route": _NULLABLE_STRING,
        "target": ref("FindingTarget"),
        "message": {"type": "string"},
        "source": {"type": "string"},
        "spans": {
            "type": "array",
            "description": "[start, end) offsets into the text exactly as typed.",
            "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        },
        "excerpt": {"type": "string"},
    },
    required=["rule", "kind", "severity", "action", "route", "target", "message", "source", "spans", "excerpt"],
    description="One rule that fired on one target (`title` is absent from verdicts stored before titles).",
)

_VERDICT = _object(
    {
        "decision": ref("Decision"),
        "routes": {**_STRINGS, "description": "Approver groups that must approve."},
        "approvals": {"type": "integer", "minimum": 1},
        "findings": {"type": "array", "items": ref("Finding")},
        "scores": ref("Scores"),
        "periods": _STRINGS,
        "policy": ref("PolicyRef"),
        "scorer": nullable("Scorer"),
    },
    description="The verdict every part of reviewer speaks (docs/policy-format.md).",
)

_ERROR_BODY = _object(
    {
        "code": ref("ErrorCode"),
        "message": {"type": "string", "description": "What was wrong and what to do."},
        "stored": ref("Stored"),
        "field": {"type": "string", "description": "The request field at fault, e.g. text or [2].account_id."},
        "verdict": ref("Verdict"),
        "retry_after": {"type": "integer", "description": "Seconds to wait before trying again (429)."},
        "saved": {
            "type": ["boolean", "null"],
            "deprecated": True,
            "description": "Database outages only, kept for older clients: read `stored`. true: stored "
                           "(stored: yes); null: not known (stored: unknown); absent: not stored (stored: no).",
        },
    },
    required=["code", "message", "stored"],
)

_ACCOUNT = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "platform": ref("Platform"),
        "handle": {"type": "string"},
        "policy_file": {"type": "string"},
        "may_draft": {"type": "boolean", "description": "Whether the caller may write drafts for it."},
    }
)

_INBOUND = _object(
    {
        "id": {"type": "integer"},
        "account_id": {"type": "integer"},
        "platform": ref("Platform"),
        "author_handle": {"type": "string"},
        "text": {"type": "string"},
        "url": _NULLABLE_STRING,
        "external_id": _NULLABLE_STRING,
        "received_at": _TIMESTAMP,
        "created_at": _TIMESTAMP,
        "answered_at": _NULLABLE_TIMESTAMP,
    }
)

_VERSION = _object(
    {
        "number": {"type": "integer"},
        "text": {"type": "string"},
        "text_sha256": {"type": "string"},
        "author": {"type": "string"},
        "decision": ref("Decision"),
        "verdict": ref("Verdict"),
        "created_at": _TIMESTAMP,
    }
)

_DRAFT = _object(
    {
        "id": {"type": "integer"},
        "account_id": {"type": "integer"},
        "inbound_id": {"type": ["integer", "null"]},
        "author": {"type": "string"},
        "state": ref("DraftState"),
        "decision": ref("Decision"),
        "routes": _STRINGS,
        "approvals_required": {"type": "integer"},
        "version": {"type": "integer", "description": "Changes on every decision; send it back as expected_version."},
        "created_at": _TIMESTAMP,
        "submitted_at": _NULLABLE_TIMESTAMP,
        "approved_at": _NULLABLE_TIMESTAMP,
        "posted_at": _NULLABLE_TIMESTAMP,
        "posted_url": _NULLABLE_STRING,
        "current": ref("DraftVersion"),
        "versions": {"type": "integer", "description": "How many versions the draft has."},
        "approvals": {"type": "array", "description": "Approvals of the current text.", "items": ref("Approval")},
    }
)

_QUEUE_ITEM = _object(
    {
        "draft": ref("Draft"),
        "inbound": {**nullable("Inbound"), "description": "The post it answers, if any."},
        "waiting_minutes": {"type": "integer", "description": "Minutes since the draft was submitted."},
        "outstanding_groups": {**_STRINGS, "description": "Routed groups with no approval of this text yet."},
        "approvers_missing": {"type": "integer", "description": "How many more distinct approvers are needed."},
    }
)

_QUEUE_PAGE = _object(
    {
        "group": {"type": "string"},
        "items": {"type": "array", "items": ref("QueueItem")},
        "total": {"type": "integer", "description": "Drafts in the queue that match the filters."},
        "offset": {"type": "integer"},
        "limit": {"type": "integer"},
        "next_offset": {"type": ["integer", "null"], "description": "The offset of the next page; null on the last one."},
    },
    description="One page of an approver group's queue, oldest first.",
)

SCHEMAS = {
    **ENUMS,
    "Error": _object({"error": ref("ErrorBody")}, description="Every error answer: `{\"error\": {...}}`."),
    "ErrorBody": _ERROR_BODY,
    "Verdict": _VERDICT,
    "Finding": _FINDING,
    "Scores": {"type": "object", "additionalProperties": {"type": "number"},
               "description": "Model scores by label, 0 to 1, e.g. {\"toxicity\": 0.02}."},
    "OpenAPIDocument": {"type": "object", "description": "An OpenAPI 3.1 document."},
    "PolicyRef": _object({"id": {"type": "string"}, "version": {"type": "string"}, "sha256": {"type": "string"}},
                         description="The policy a verdict was made with."),
    "Scorer": _object({"name": {"type": "string"}, "version": {"type": "string"}},
                      description="The toxicity scorer a verdict was made with."),
    "Account": _ACCOUNT,
    "AccountList": _object({"accounts": {"type": "array", "items": ref("Account")}}),
    "Inbound": _INBOUND,
    "InboundList": _object({"inbound": {"type": "array", "items": ref("Inbound")}},
                           description="The posts stored from a list, in its order."),
    "Draft": _DRAFT,
    "DraftVersion": _VERSION,
    "Approval": _object({"group": {"type": "string"}, "approver": {"type": "string"}, "created_at": _TIMESTAMP}),
    "QueueItem": _QUEUE_ITEM,
    "QueuePage": _QUEUE_PAGE,
}


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer"}}


HEADERS = {
    "Retry-After": _header("Seconds to wait before trying again (429; database outages)."),
    "X-RateLimit-Limit": _header("Requests allowed per window for this token (per address without one); "
                                 "sent on every answer while rate limits and their headers are on."),
    "X-RateLimit-Remaining": _header("Requests left in the current window."),
    "X-RateLimit-Reset": _header("When the current window ends, in seconds since the epoch (UTC)."),
    "WWW-Authenticate": {"description": 'Always `Bearer realm="reviewer"` on a 401.', "schema": {"type": "string"}},
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def headers(*names: str) -> dict[str, Any]:
    """References to the named response headers, the rate-limit ones always included."""
    return {name: {"$ref": f"#/components/headers/{name}"} for name in (*RATE_LIMIT_HEADERS, *names)}
