"""The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`.

Request bodies come from the same pydantic models that validate them, so
the document cannot drift from what the API accepts; response shapes mirror
`serialise.py` and the verdict of docs/policy-format.md. A contract test
validates the document and checks every `/api/v1` route is in it.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from reviewer.api.schemas import MAX_INBOUND_BATCH, CheckRequest, DecisionRequest, DraftRequest, InboundRequest, schema_of
from reviewer.vocabulary import DECISIONS, PLATFORMS

_REQUEST_MODELS = (CheckRequest, InboundRequest, DraftRequest, DecisionRequest)

_NULLABLE_STRING = {"type": ["string", "null"]}
_TIMESTAMP = {"type": "string", "format": "date-time"}
_NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties), **extra}


_FINDING = _object(
    {
        "rule": {"type": "string", "examples": ["pii.phone"]},
        "title": {"type": "string", "description": "The rule's plain title for staff (its `title:`, else made from the id).",
                  "examples": ["Personal details in a public reply"]},
        "kind": {"type": "string", "examples": ["pii"]},
        "severity": {"enum": ["low", "medium", "high", "critical"]},
        "action": {"enum": ["note", "review", "block"]},
        "route": _NULLABLE_STRING,
        "target": {"enum": ["draft", "in_reply_to"]},
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
        "decision": {"enum": list(DECISIONS)},
        "routes": {"type": "array", "items": {"type": "string"}, "description": "Approver groups that must approve."},
        "approvals": {"type": "integer", "minimum": 1},
        "findings": {"type": "array", "items": _ref("Finding")},
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "periods": {"type": "array", "items": {"type": "string"}},
        "policy": _object({"id": {"type": "string"}, "version": {"type": "string"}, "sha256": {"type": "string"}}),
        "scorer": {
            "oneOf": [_object({"name": {"type": "string"}, "version": {"type": "string"}}), {"type": "null"}],
        },
    },
    description="The verdict every part of reviewer speaks (docs/policy-format.md).",
)

_ERROR = _object(
    {
        "error": _object(
            {
                "code": {"type": "string", "description": "Machine-readable, e.g. invalid, conflict, blocked, own_draft."},
                "message": {"type": "string", "description": "What was wrong and what to do."},
                "field": {"type": "string", "description": "The request field at fault, e.g. text or [2].account_id."},
                "verdict": _ref("Verdict"),
                "retry_after": {"type": "integer", "description": "Seconds to wait before trying again (429, 503)."},
                "saved": {"type": ["boolean", "null"],
                          "description": "503 only: true when the change was stored before the database failed "
                                         "(do not send it again); null when the connection was lost while its "
                                         "commit was unanswered, so it may or may not be stored (look before "
                                         "sending it again). Absent: nothing was stored."},
            },
            required=["code", "message"],
        )
    },
)

_ACCOUNT = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "platform": {"enum": list(PLATFORMS)},
        "handle": {"type": "string"},
        "policy_file": {"type": "string"},
        "may_draft": {"type": "boolean", "description": "Whether the caller may write drafts for it."},
    }
)

_INBOUND = _object(
    {
        "id": {"type": "integer"},
        "account_id": {"type": "integer"},
        "platform": {"type": "string"},
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
        "decision": {"enum": list(DECISIONS)},
        "verdict": _ref("Verdict"),
        "created_at": _TIMESTAMP,
    }
)

_DRAFT = _object(
    {
        "id": {"type": "integer"},
        "account_id": {"type": "integer"},
        "inbound_id": {"type": ["integer", "null"]},
        "author": {"type": "string"},
        "state": {"enum": ["draft", "pending", "approved", "rejected", "returned", "posted"]},
        "decision": {"enum": list(DECISIONS)},
        "routes": {"type": "array", "items": {"type": "string"}},
        "approvals_required": {"type": "integer"},
        "version": {"type": "integer", "description": "Changes on every decision; send it back as expected_version."},
        "created_at": _TIMESTAMP,
        "submitted_at": _NULLABLE_TIMESTAMP,
        "approved_at": _NULLABLE_TIMESTAMP,
        "posted_at": _NULLABLE_TIMESTAMP,
        "posted_url": _NULLABLE_STRING,
        "current": _ref("DraftVersion"),
        "versions": {"type": "integer", "description": "How many versions the draft has."},
        "approvals": {
            "type": "array",
            "description": "Approvals of the current text.",
            "items": _object({"group": {"type": "string"}, "approver": {"type": "string"}, "created_at": _TIMESTAMP}),
        },
    }
)

_QUEUE_ITEM = _object(
    {
        "draft": _ref("Draft"),
        "inbound": {"oneOf": [_ref("Inbound"), {"type": "null"}], "description": "The post it answers, if any."},
        "waiting_minutes": {"type": "integer", "description": "Minutes since the draft was submitted."},
        "outstanding_groups": {"type": "array", "items": {"type": "string"},
                               "description": "Routed groups with no approval of this text yet."},
        "approvers_missing": {"type": "integer", "description": "How many more distinct approvers are needed."},
    }
)


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_E400 = _error_response("The body is not JSON.")
_E401 = _error_response(
    "No valid API token: code `missing_token`, `invalid_token` (mistyped, revoked, or its user deactivated) or "
    "`expired_token`. The sign-in cookie is not accepted."
)
_E403 = _error_response("The token's user may not do this (role, account, group or separation of duties).")
_E404 = _error_response("No such draft.")
_E409 = _error_response("Someone else acted first, or a duplicate.")
_E422 = _error_response("A field is missing, of the wrong type, too long, or refers to something unknown.")
_E503 = _error_response(
    "The account's policy file cannot be loaded (policy_unavailable; an administrator must fix it), or the "
    "database cannot be used right now (database_unavailable, database_full, database_read_only, database_busy; "
    "Retry-After says when to try again)."
)
_E503_DATABASE = _error_response(
    "The database cannot be used right now (database_unavailable, database_full, database_read_only, "
    "database_busy); Retry-After says when to try again. `saved: true`: the change was stored before it failed; "
    "`saved: null`: the connection was lost at the commit, so look before sending it again."
)
_E429 = _error_response("Too many requests for this token (or address); Retry-After says when to try again.")


def _operation(summary: str, responses: dict[str, Any], *, body: dict[str, Any] | None = None,
               parameters: list[dict[str, Any]] | None = None, secured: bool = True, op_id: str) -> dict[str, Any]:
    if secured:  # every API request is rate-limited and may meet a database outage
        responses = {**responses, "429": _E429, "503": responses.get("503", _E503_DATABASE)}
    operation: dict[str, Any] = {"operationId": op_id, "summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = _body(body)
    if parameters:
        operation["parameters"] = parameters
    operation["security"] = [{"bearerToken": []}] if secured else []
    return operation


_DRAFT_ID = {"name": "draft_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _paths() -> dict[str, Any]:
    return {
        "/openapi.json": {
            "get": _operation(
                "This document.", {"200": _json({"type": "object"}, "The OpenAPI document.")}, secured=False,
                op_id="getOpenapi",
            )
        },
        "/accounts": {
            "get": _operation(
                "The organisation accounts the caller may use (drafting for staff; all active ones for approvers).",
                {"200": _json(_object({"accounts": {"type": "array", "items": _ref("Account")}}), "The accounts."),
                 "401": _E401},
                op_id="listAccounts",
            )
        },
        "/check": {
            "post": _operation(
                "Check a text against an account's policy or a policy file; nothing is stored or audited.",
                {"200": _json(_ref("Verdict"), "The verdict."), "400": _E400, "401": _E401, "403": _E403,
                 "422": _E422, "503": _E503},
                body=_ref("CheckRequest"), op_id="check",
            )
        },
        "/inbound": {
            "post": _operation(
                f"Store one inbound post (an object) or up to {MAX_INBOUND_BATCH} (a list; all or nothing).",
                {"201": _json(
                    {"oneOf": [_ref("Inbound"),
                               _object({"inbound": {"type": "array", "items": _ref("Inbound")}})]},
                    "The stored post, or {inbound: [...]} for a list."),
                 "400": _E400, "401": _E401, "403": _E403, "409": _E409, "422": _E422},
                body={"oneOf": [_ref("InboundRequest"),
                                {"type": "array", "items": _ref("InboundRequest"), "minItems": 1,
                                 "maxItems": MAX_INBOUND_BATCH}]},
                op_id="createInbound",
            )
        },
        "/drafts": {
            "post": _operation(
                "Write a draft and submit it: pass is approved at once, review waits for the routed groups, "
                "block is refused (422 with the verdict; nothing is stored).",
                {"201": _json(_ref("Draft"), "The submitted draft with its verdict and state."),
                 "400": _E400, "401": _E401, "403": _E403, "409": _E409, "422": _E422, "503": _E503},
                body=_ref("DraftRequest"), op_id="createDraft",
            )
        },
        "/drafts/{draft_id}": {
            "get": _operation(
                "One draft: current text, verdict, state, approvals.",
                {"200": _json(_ref("Draft"), "The draft."), "401": _E401, "404": _E404},
                parameters=[_DRAFT_ID], op_id="getDraft",
            )
        },
        "/drafts/{draft_id}/decision": {
            "post": _operation(
                "An approver approves, rejects (comment: the reason) or returns (comment: what to change) a draft. "
                "Approving needs expected_version (or expected_text_sha256): 422 naming the field without it, "
                "409 when the draft or its text changed since.",
                {"200": _json(_ref("Draft"), "The draft after the decision."), "400": _E400, "401": _E401,
                 "403": _E403, "404": _E404, "409": _E409, "422": _E422},
                body=_ref("DecisionRequest"), parameters=[_DRAFT_ID], op_id="decide",
            )
        },
        "/queue": {
            "get": _operation(
                "Drafts waiting for one of the caller's approver groups, oldest first, `limit` at a time.",
                {"200": _json(_object({
                    "group": {"type": "string"},
                    "items": {"type": "array", "items": _ref("QueueItem")},
                    "total": {"type": "integer", "description": "Drafts in the queue that match the filters."},
                    "offset": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "next_offset": {"type": ["integer", "null"],
                                    "description": "The offset of the next page; null on the last one."},
                }), "The queue."),
                 "401": _E401, "403": _E403, "422": _E422},
                parameters=[
                    {"name": "group", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "One of your groups (needed when you are in more than one)."},
                    {"name": "account_id", "in": "query", "required": False, "schema": {"type": "integer"}},
                    {"name": "decision", "in": "query", "required": False,
                     "schema": {"enum": list(DECISIONS)}},
                    {"name": "rule", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "Only drafts with a finding of this rule id."},
                    {"name": "older_than_minutes", "in": "query", "required": False, "schema": {"type": "integer"},
                     "description": "Only drafts waiting at least this long."},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                     "description": "At most this many items."},
                    {"name": "offset", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0, "default": 0},
                     "description": "Skip this many of the oldest (the previous answer's next_offset)."},
                ],
                op_id="queue",
            )
        },
    }


def _request_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in _REQUEST_MODELS:
        schema = schema_of(model)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


@lru_cache(maxsize=1)
def _base_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "reviewer API",
            "version": "1.0.0",
            "description": (
                "Check replies against the agency's policy, store inbound posts, submit drafts and decide on them. "
                "Authenticate with `Authorization: Bearer <token>` (make a token on the API tokens page, or with "
                "`reviewer api-token create USERNAME`). The sign-in cookie is not accepted. Errors are "
                '`{"error": {"code", "message", "field"?}}`.'
            ),
        },
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer", "description": "An API token (rvw_...)."}},
            "schemas": {
                "Error": _ERROR,
                "Verdict": _VERDICT,
                "Finding": _FINDING,
                "Account": _ACCOUNT,
                "Inbound": _INBOUND,
                "Draft": _DRAFT,
                "DraftVersion": _VERSION,
                "QueueItem": _QUEUE_ITEM,
                **_request_schemas(),
            },
        },
    }


def document(server_url: str) -> dict[str, Any]:
    """The document, with `servers` pointing at this API's base URL."""
    doc = copy.deepcopy(_base_document())
    doc["servers"] = [{"url": server_url}]
    return doc
