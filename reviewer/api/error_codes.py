"""Every `error.code` the JSON API answers with, and what each means: the OpenAPI `ErrorCode` enum.

tests/web/api/test_api_error_codes.py reads the code that raises them
(`ApiError(status, "code", ...)`, the workflow's `NotAllowed(..., "reason")`,
the database outages and `errors.DEFAULTS`) and checks this list is exactly
what can be sent: a generated client parses every code into its enum.
"""

from __future__ import annotations

ERROR_CODES: dict[str, str] = {
    # Any HTTP error under /api/ (errors.DEFAULTS)
    "bad_request": "400: the request could not be understood.",
    "unauthorized": "401: no valid API token.",
    "forbidden": "403: the token's user does not hold a role this needs.",
    "not_found": "404: nothing at this address.",
    "method_not_allowed": "405: the endpoint does not accept that method (see the Allow header).",
    "conflict": "409: someone else changed the draft first, or its text changed since it was read.",
    "payload_too_large": "413: the request body is over the limit.",
    "unsupported_media_type": "415: the body is not JSON.",
    "invalid": "422: a field is missing, of the wrong type, too long or not acceptable (`field` names it).",
    "rate_limited": "429: too many requests; Retry-After says when to try again.",
    "server_error": "500: the server could not finish the request; nothing was changed.",
    # Authentication (401)
    "missing_token": "401: no `Authorization: Bearer <token>` header.",
    "invalid_token": "401: the token is mistyped, revoked, or its user is deactivated.",
    "expired_token": "401: the token has expired; make a new one.",
    # The endpoints
    "invalid_json": "400: the body is empty or not JSON.",
    "unknown_account": "422: no active organisation account with that id.",
    "unknown_policy": "422: no policy file of that name.",
    "unknown_inbound": "422: no inbound post with that id for the account.",
    "not_your_account": "403: the caller does not draft for that account.",
    "not_your_group": "403: the caller is not in that approver group.",
    "draft_not_found": "404: no draft with that id that the caller may see.",
    "blocked": "422: the policy blocks the text; `verdict` holds the findings (nothing was stored).",
    "duplicate": "409: clashes with something already stored (e.g. the same external_id).",
    "policy_unavailable": "503: the account's policy file cannot be loaded; an administrator must fix it.",
    "jobs_unavailable": "503: the background job store cannot be reached; try again later.",
    # The workflow's refusals (403, NotAllowed.reason)
    "not_allowed": "403: the caller may not do this now.",
    "state": "403: the draft's state does not allow this (e.g. it is no longer pending).",
    "not_admin": "403: only administrators may do this.",
    "not_staff": "403: only staff who draft for the account may do this.",
    "not_approver": "403: only approvers may decide.",
    "not_in_group": "403: the caller is in none of the draft's routed groups.",
    "own_draft": "403: the author may not approve their own draft (the attempt is audited).",
    "own_edit": "403: whoever edited the text may not approve it (the attempt is audited).",
    "already_approved": "403: the caller already approved this text.",
    "group_done": "403: the caller's group already approved this text.",
    "inactive": "403: the account is inactive.",
    # Database outages (503, reviewer.web.outages; Retry-After says when to try again)
    "database_unavailable": "503: the database cannot be reached.",
    "database_full": "503: the database's disk is full.",
    "database_read_only": "503: the database is read-only.",
    "database_busy": "503: the database is busy.",
}
