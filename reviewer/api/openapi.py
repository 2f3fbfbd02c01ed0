"""The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`.

Request bodies come from the same pydantic models that validate them, so
the document cannot drift from what the API accepts; the enums, response
shapes and headers are named components (openapi_components.py). Contract
tests validate the document, check every `/api/v1` route is in it, and run a
journey through a client generated from it.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from reviewer.api.openapi_components import HEADERS, SCHEMAS, headers, ref
from reviewer.api.query_args import MAX_QUEUE_LIMIT, QUEUE_LIMIT
from reviewer.api.schemas import MAX_INBOUND_BATCH, CheckRequest, DecisionRequest, DraftRequest, InboundRequest, schema_of

_REQUEST_MODELS = (CheckRequest, InboundRequest, DraftRequest, DecisionRequest)

#: The operations' tags, in the order a reader meets them.
TAGS = [
    {"name": "accounts", "description": "The organisation accounts the caller may use."},
    {"name": "checking", "description": "Check a text against a policy; nothing is stored."},
    {"name": "inbound", "description": "Public posts to an account that may need a reply."},
    {"name": "drafts", "description": "Write, submit and read drafts."},
    {"name": "review", "description": "Approvers' queues and decisions."},
    {"name": "meta", "description": "This document."},
]


def _error(description: str, *header_names: str) -> dict[str, Any]:
    """An error answer: the Error body, the rate-limit headers and `header_names`."""
    return {"description": description, "headers": headers(*header_names),
            "content": {"application/json": {"schema": ref("Error")}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "headers": headers(), "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_DATABASE_OUTAGE = (
    "the database cannot be used right now (database_unavailable, database_full, database_read_only, "
    "database_busy; Retry-After says when to try again; `stored` says whether the change was stored first)"
)
_E400 = _error("The body is empty or not JSON (invalid_json).")
_E401 = _error(
    "No valid API token: code `missing_token`, `invalid_token` (mistyped, revoked, or its user deactivated) or "
    "`expired_token`. The sign-in cookie is not accepted.", "WWW-Authenticate",
)
_E403 = _error("The token's user may not do this (role, account, group or separation of duties).")
_E404 = _error("No such draft, or not one the caller may see (draft_not_found).")
_E409 = _error("Someone else acted first or the text changed since it was read (conflict), or a duplicate.")
_E413 = _error("The request body is over the limit (payload_too_large).")
_E422 = _error("A field is missing, of the wrong type, too long, or refers to something unknown; `field` names it.")
_E429 = _error("Too many requests for this token (or address) (rate_limited); Retry-After says when to try again.",
               "Retry-After")
_E503_DATABASE = _error(f"Unavailable: {_DATABASE_OUTAGE}.", "Retry-After")
_E503_POLICY = _error(
    "The account's policy file cannot be loaded (policy_unavailable; an administrator must fix it), or "
    f"{_DATABASE_OUTAGE}.", "Retry-After",
)
_DEFAULT = _error("Any other error, e.g. 405 method_not_allowed (see Allow) or 500 server_error.")


def _operation(tag: str, summary: str, responses: dict[str, Any], *, op_id: str, body: dict[str, Any] | None = None,
               parameters: list[dict[str, Any]] | None = None, secured: bool = True) -> dict[str, Any]:
    """One operation; every one may be rate-limited (429) and a secured one may meet a database outage (503)."""
    extra: dict[str, Any] = {"429": _E429}
    if secured:
        extra["503"] = responses.get("503", _E503_DATABASE)
    if body is not None:  # a body may be too large
        extra["413"] = _E413
    operation: dict[str, Any] = {"tags": [tag], "operationId": op_id, "summary": summary,
                                 "responses": dict(sorted({**responses, **extra}.items())) | {"default": _DEFAULT}}
    if body is not None:
        operation["requestBody"] = _body(body)
    if parameters:
        operation["parameters"] = parameters
    operation["security"] = [{"bearerToken": []}] if secured else []
    return operation


def _query(name: str, schema: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    return parameter | ({"description": description} if description else {})


_DRAFT_ID = {"name": "draft_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _paths() -> dict[str, Any]:
    return {
        "/openapi.json": {
            "get": _operation(
                "meta", "This document.", {"200": _json(ref("OpenAPIDocument"), "The OpenAPI document.")}, secured=False,
                op_id="getOpenapi",
            )
        },
        "/accounts": {
            "get": _operation(
                "accounts",
                "The organisation accounts the caller may use (drafting for staff; all active ones for approvers).",
                {"200": _json(ref("AccountList"), "The accounts."), "401": _E401},
                op_id="listAccounts",
            )
        },
        "/check": {
            "post": _operation(
                "checking",
                "Check a text against an account's policy (account_id) or a policy file (policy): exactly one of "
                "them; platform only with policy. Nothing is stored or audited.",
                {"200": _json(ref("Verdict"), "The verdict."), "400": _E400, "401": _E401, "403": _E403,
                 "422": _E422, "503": _E503_POLICY},
                body=ref("CheckRequest"), op_id="check",
            )
        },
        "/inbound": {
            "post": _operation(
                "inbound",
                f"Store one inbound post (an object) or up to {MAX_INBOUND_BATCH} (a list; all or nothing).",
                {"201": _json({"oneOf": [ref("Inbound"), ref("InboundList")]},
                              "The stored post, or {inbound: [...]} for a list."),
                 "400": _E400, "401": _E401, "403": _E403, "409": _E409, "422": _E422},
                body={"oneOf": [ref("InboundRequest"),
                                {"type": "array", "items": ref("InboundRequest"), "minItems": 1,
                                 "maxItems": MAX_INBOUND_BATCH}]},
                op_id="createInbound",
            )
        },
        "/drafts": {
            "post": _operation(
                "drafts",
                "Write a draft and submit it: pass is approved at once, review waits for the routed groups, "
                "block is refused (422 `blocked` with the verdict; nothing is stored).",
                {"201": _json(ref("Draft"), "The submitted draft with its verdict and state."),
                 "400": _E400, "401": _E401, "403": _E403, "409": _E409, "422": _E422, "503": _E503_POLICY},
                body=ref("DraftRequest"), op_id="createDraft",
            )
        },
        "/drafts/{draft_id}": {
            "get": _operation(
                "drafts", "One draft: current text, verdict, state, approvals.",
                {"200": _json(ref("Draft"), "The draft."), "401": _E401, "403": _E403, "404": _E404},
                parameters=[_DRAFT_ID], op_id="getDraft",
            )
        },
        "/drafts/{draft_id}/decision": {
            "post": _operation(
                "review",
                "An approver approves, rejects (comment: the reason) or returns (comment: what to change) a draft. "
                "Approving needs expected_version (or expected_text_sha256): 422 naming the field without it, "
                "409 when the draft or its text changed since.",
                {"200": _json(ref("Draft"), "The draft after the decision."), "400": _E400, "401": _E401,
                 "403": _E403, "404": _E404, "409": _E409, "422": _E422},
                body=ref("DecisionRequest"), parameters=[_DRAFT_ID], op_id="decide",
            )
        },
        "/queue": {
            "get": _operation(
                "review", "Drafts waiting for one of the caller's approver groups, oldest first, `limit` at a time.",
                {"200": _json(ref("QueuePage"), "The queue."), "401": _E401, "403": _E403, "422": _E422},
                parameters=[
                    _query("group", {"type": "string"}, "One of your groups (needed when you are in more than one)."),
                    _query("account_id", {"type": "integer"}),
                    _query("decision", ref("Decision")),
                    _query("rule", {"type": "string"}, "Only drafts with a finding of this rule id."),
                    _query("older_than_minutes", {"type": "integer"}, "Only drafts waiting at least this long."),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_QUEUE_LIMIT,
                                     "default": QUEUE_LIMIT}, "At most this many items."),
                    _query("offset", {"type": "integer", "minimum": 0, "default": 0},
                           "Skip this many of the oldest (the previous answer's next_offset)."),
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
                '`{"error": {"code", "message", "stored", "field"?}}` (the Error schema).'
            ),
        },
        "tags": TAGS,
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer", "description": "An API token (rvw_...)."}},
            "headers": HEADERS,
            "schemas": {**SCHEMAS, **_request_schemas()},
        },
    }


def document(server_url: str) -> dict[str, Any]:
    """The document, with `servers` pointing at this API's base URL."""
    doc = copy.deepcopy(_base_document())
    doc["servers"] = [{"url": server_url}]
    return doc
