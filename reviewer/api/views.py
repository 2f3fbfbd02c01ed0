"""The `/api/v1` endpoints: thin JSON edges over the drafting and review services.

Each view authenticates with a bearer token (`token_required`), validates
its body (`schemas`), calls the same services the web pages call, and owns
the transaction: one commit at the end. A service's refusal gets the same
status as on the pages (`web.refusals`) and the same settling: a rollback,
keeping the evidence of a refused self-approval or a blocked submission.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ValidationError

from reviewer import jsontext
from reviewer.api import openapi
from reviewer.api.auth import api_user, begin_writing, token_required
from reviewer.api.errors import ApiError
from reviewer.api.schemas import (
    MAX_INBOUND_BATCH,
    CheckRequest,
    DecisionRequest,
    DraftRequest,
    InboundRequest,
    first_problem,
)
from reviewer.api.query_args import queue_filters, queue_window
from reviewer.api.serialise import account_json, draft_json, inbound_json, queue_item_json
from reviewer.db import get_session
from reviewer.drafting.inbound import create_inbound as store_inbound
from reviewer.orm import commit_keeping_loaded, utcnow
from reviewer.drafting.models import Draft, InboundPost
from reviewer.orgs.models import AccountFacts
from reviewer.orgs.services import account_facts, drafting_allowed, list_accounts, list_policy_files
from reviewer.policy import PolicyError
from reviewer.policy.verdict import verdict_dict
from reviewer.review import services as review
from reviewer.review.models import Approval
from reviewer.review.queue import queue_page
from reviewer.review.submitting import submit_new_draft
from reviewer.review.workflow import SubmitRefused
from reviewer.web import checker
from reviewer.web.access import public
from reviewer.web.refusals import REFUSALS, Refusal, refusal_for, settle

bp = Blueprint("api", __name__, url_prefix="/api/v1")
Body = TypeVar("Body", bound=BaseModel)

# Service field names that the API spells differently (a rejection's reason is the request's `comment`).
_API_FIELD_NAMES = {"inbound": "inbound_id", "reason": "comment"}

# The largest request body accepted (a batch of inbound posts fits easily).
MAX_BODY_BYTES = 2 * 1024 * 1024


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


# --- request helpers -----------------------------------------------------------


def _json_body() -> Any:
    """The parsed JSON body; ApiError 400 when it is missing or not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "invalid_json", "The request body is empty; send a JSON object.")
    try:
        data = jsontext.loads(raw)
    except jsontext.JsonTextError as error:
        if error.where is not None:  # valid JSON holding a value that cannot be used
            raise ApiError(422, "invalid", f"{error}.", field=error.where) from None
        raise ApiError(400, "invalid_json", f"The request body is {error.message}; send a JSON object.") from None
    if data is None:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON (UTF-8); check quotes and commas.")
    return data


def _validate(model: type[Body], data: Any, prefix: str = "") -> Body:
    if not isinstance(data, dict):
        where = prefix or "body"
        raise ApiError(422, "invalid", f"{where}: expected a JSON object, got {type(data).__name__}.", field=where)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        field, message = first_problem(error, prefix)
        raise ApiError(422, "invalid", message, field=field) from None


def _created(payload: Any):
    response = jsonify(payload)
    response.status_code = 201
    return response


@contextmanager
def _services(prefix: str = ""):
    """Turn the services' refusals into JSON errors with the pages' statuses, settling what they started."""
    session = get_session()
    begin_writing(session)  # the reads so far took no write lock; the changes do
    try:
        yield session
    except REFUSALS as error:
        refusal = refusal_for(error)
        settle(session, error, api_user())
        raise _api_error(refusal, prefix) from None


def _api_error(refusal: Refusal, prefix: str = "") -> ApiError:
    """The refusal as the API says it: the field in the API's spelling (under `prefix` in a batch); a blocked text's verdict."""
    extra = {"verdict": verdict_dict(refusal.error.verdict)} if isinstance(refusal.error, SubmitRefused) else {}
    if refusal.field is None:
        return ApiError(refusal.status, refusal.code, refusal.message, **extra)
    name = _API_FIELD_NAMES.get(refusal.field, refusal.field)
    field = f"{prefix}.{name}" if prefix else name
    return ApiError(refusal.status, refusal.code, f"{field}: {refusal.detail}.", field=field, **extra)


def _account(account_id: int, field: str = "account_id") -> AccountFacts:
    account = account_facts(get_session(), account_id)
    if account is None or not account.active:
        raise ApiError(422, "unknown_account", f"{field}: there is no active organisation account {account_id}.", field=field)
    return account


def _drafting_account(account_id: int, field: str = "account_id") -> AccountFacts:
    account = _account(account_id, field)
    user = api_user()
    if not drafting_allowed(account, user):
        raise ApiError(403, "not_your_account", f"{user.username} may not draft for {account.label}.", field=field)
    return account


def _may_read_draft(draft: Draft) -> bool:
    user = api_user()
    if user.has_role("auditor") or draft.author_id == user.id:
        return True
    if user.has_role("staff") and drafting_allowed(draft.account, user):
        return True
    return user.has_role("approver") and review.approver_may_see(get_session(), draft, user)


def _draft(draft_id: int) -> Draft:
    draft = get_session().get(Draft, draft_id)
    if draft is None or not _may_read_draft(draft):  # the same answer: whether a draft exists stays private
        raise ApiError(404, "draft_not_found", f"There is no draft {draft_id}.")
    return draft


def _current_approvals(draft: Draft) -> list[Approval]:
    """Approvals of the draft's current text (earlier ones were voided by a later edit)."""
    current = draft.current_version.text_sha256
    return [a for a in review.approvals_of(get_session(), draft) if a.text_sha256 == current]


def _draft_response(draft: Draft, *, fresh: bool = False) -> dict[str, Any]:
    """The draft as JSON; `fresh`: just created, so it has no approvals to look up."""
    return draft_json(draft, [] if fresh else _current_approvals(draft), _caller_name())


def _caller_name() -> dict[int, str]:
    """The caller's username by id: the serialisers use it rather than load the caller's user row again."""
    user = api_user()
    return {user.id: user.username}


# --- endpoints --------------------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi_document():
    """The OpenAPI 3.1 description of this API (public).

    `servers` is EXTERNAL_BASE_URL + /api/v1, or the relative /api/v1: never the request's Host
    header, which a client chooses (a forged one would put its address in a cached document).
    """
    base = (current_app.config.get("EXTERNAL_BASE_URL") or "").rstrip("/")
    return jsonify(openapi.document(base + bp.url_prefix))


@bp.get("/accounts")
@token_required()
def accounts():
    """The active organisation accounts the caller may use: drafts for staff, all for approvers."""
    user = api_user()
    found = []
    for account in list_accounts(get_session(), active_only=True):
        may_draft = drafting_allowed(account, user)
        if may_draft or user.has_role("approver", "auditor"):
            found.append(account_json(account, may_draft))
    return jsonify({"accounts": found})


@bp.post("/check")
@token_required("staff", "approver")
def check():
    """Check a text and return the verdict; nothing is stored or audited."""
    body = _validate(CheckRequest, _json_body())
    the_checker = checker()
    if (body.account_id is None) == (body.policy is None):
        raise ApiError(422, "invalid", "Give exactly one of account_id or policy.", field="account_id")
    try:
        if body.account_id is not None:
            if body.platform is not None:
                raise ApiError(422, "invalid", "platform: an account brings its own platform; leave it out.", field="platform")
            account = _account(body.account_id)
            user = api_user()
            if not (drafting_allowed(account, user) or user.has_role("approver")):
                raise ApiError(403, "not_your_account", f"{user.username} may not use {account.label}.", field="account_id")
            verdict = the_checker.check(account, body.text, in_reply_to=body.in_reply_to)
        else:
            available = list_policy_files(the_checker.policy_dir)
            if body.policy not in available:
                raise ApiError(
                    422, "unknown_policy", f"policy: no policy {body.policy!r} (available: {', '.join(available) or 'none'}).",
                    field="policy",
                )
            policy = the_checker.policy(body.policy)
            verdict = policy.check(
                body.text, platform=body.platform, date=utcnow(), in_reply_to=body.in_reply_to, scorer=the_checker.scorer
            )
    except PolicyError as error:
        raise _api_error(refusal_for(error)) from None
    return jsonify(verdict.to_dict())


@bp.post("/inbound")
@token_required("staff")
def create_inbound():
    """Store one inbound post (an object) or many (a list, all or nothing)."""
    data = _json_body()
    many = isinstance(data, list)
    items = data if many else [data]
    if not items or len(items) > MAX_INBOUND_BATCH:
        raise ApiError(422, "invalid", f"Send 1 to {MAX_INBOUND_BATCH} posts; got {len(items)}.", field="body")
    created = []
    for index, item in enumerate(items):
        prefix = f"[{index}]" if many else ""
        body = _validate(InboundRequest, item, prefix)
        account = _drafting_account(body.account_id, f"{prefix}.account_id" if many else "account_id")
        with _services(prefix) as session:
            post = store_inbound(
                session,
                api_user(),
                account,
                author_handle=body.author_handle,
                text=body.text,
                received_at=body.received_at or utcnow(),
                url=body.url,
                external_id=body.external_id,
            )
            created.append(inbound_json(post))
    with _services() as session:
        session.commit()
    return _created({"inbound": created} if many else created[0])


@bp.post("/drafts")
@token_required("staff")
def create_draft():
    """Write a draft and submit it: pass → approved at once, review → pending, block → 422 with the verdict."""
    body = _validate(DraftRequest, _json_body())
    account = _drafting_account(body.account_id)
    inbound = None
    if body.inbound_id is not None:
        inbound = get_session().get(InboundPost, body.inbound_id)
        if inbound is None or inbound.account_id != account.id:
            raise ApiError(
                422, "unknown_inbound", f"inbound_id: there is no inbound post {body.inbound_id} for this account.",
                field="inbound_id",
            )
    # Checked before the write lock is taken, so concurrent submissions check in parallel and
    # queue only for the writes; the services use this verdict for this exact text and account.
    in_reply_to = inbound.text if inbound is not None else None
    try:
        verdict = checker().check(account, body.text, in_reply_to=in_reply_to)
    except PolicyError:
        verdict = None  # the services report it (CheckUnavailable)
    prechecked = PrecheckedChecker(checker(), account.id, body.text, in_reply_to, verdict)
    with _services() as session:
        draft = submit_new_draft(session, api_user(), prechecked, account, body.text, inbound=inbound)
        commit_keeping_loaded(session)  # the rows just written, as written: the response reads them after the lock
    return _created(_draft_response(draft, fresh=True))


class PrecheckedChecker:
    """The app's checker, answering with a verdict computed moments ago for one exact account, text and context."""

    def __init__(self, checker: Any, account_id: int, text: str, in_reply_to: str | None, verdict: Any) -> None:
        self._checker = checker
        self._key = (account_id, text, in_reply_to)
        self._verdict = verdict

    def check(self, account: Any, text: str, *, in_reply_to: str | None = None, at: Any = None) -> Any:
        if self._verdict is not None and at is None and (account.id, text, in_reply_to) == self._key:
            return self._verdict
        return self._checker.check(account, text, in_reply_to=in_reply_to, at=at)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._checker, name)


@bp.get("/drafts/<int:draft_id>")
@token_required("staff", "approver", "auditor")
def get_draft(draft_id: int):
    """One draft with its current text, verdict, state and approvals."""
    return jsonify(_draft_response(_draft(draft_id)))


@bp.post("/drafts/<int:draft_id>/decision")
@token_required("approver")
def decide(draft_id: int):
    """Approve, reject (comment: the reason) or return (comment: what to change) a pending draft."""
    body = _validate(DecisionRequest, _json_body())
    draft = get_session().get(Draft, draft_id)
    if draft is None or not review.approver_may_see(get_session(), draft, api_user()):
        # as the review pages: a draft the approver may not see answers as a missing one (no routes, no state)
        raise ApiError(404, "draft_not_found", f"There is no draft {draft_id}.")
    if body.action == "approve":
        _check_approval_binding(body, draft)
    expected = draft.lock_version if body.expected_version is None else body.expected_version
    user = api_user()
    with _services() as session:
        if body.action == "approve":
            draft = review.approve(session, user, draft, expected_version=expected, group=body.group)
        elif body.action == "reject":
            draft = review.reject(session, user, draft, body.comment or "", expected_version=expected)
        else:
            draft = review.return_for_changes(session, user, draft, body.comment or "", expected_version=expected)
        payload = _draft_response(draft)
        session.commit()
    return jsonify(payload)


def _check_approval_binding(body: DecisionRequest, draft: Draft) -> None:
    """An approval names the text it approves: `expected_version` or `expected_text_sha256` (422 if neither, 409 if stale)."""
    if body.expected_version is None and body.expected_text_sha256 is None:
        raise ApiError(
            422,
            "invalid",
            "expected_version: required to approve. Send back the draft's `version` from the answer you read "
            "(or expected_text_sha256, the current text's sha256), so the approval cannot land on text edited since.",
            field="expected_version",
        )
    if body.expected_text_sha256 is not None and body.expected_text_sha256 != draft.current_version.text_sha256:
        raise ApiError(
            409,
            "conflict",
            "The draft's text changed since you read it (expected_text_sha256 is not the current text's): "
            "read the draft again and decide on the new text.",
        )


@bp.get("/queue")
@token_required("approver")
def queue():
    """The drafts waiting for one of the caller's groups, oldest first."""
    user = api_user()
    group = (request.args.get("group") or "").strip()
    if not group:
        if len(user.group_names) != 1:
            raise ApiError(
                422, "invalid", f"group: say which group's queue (yours: {', '.join(user.group_names) or 'none'}).",
                field="group",
            )
        group = user.group_names[0]
    if group not in user.group_names:
        raise ApiError(403, "not_your_group", f"{user.username} is not in the approver group {group!r}.", field="group")
    filters = queue_filters(request.args)
    limit, offset = queue_window(request.args)
    page = queue_page(get_session(), group, offset=offset, limit=limit, **filters)
    names = _caller_name()
    return jsonify({
        "group": group,
        "items": [queue_item_json(item, names) for item in page.items],
        "total": page.total,
        "offset": offset,
        "limit": limit,
        "next_offset": offset + len(page.items) if page.has_more else None,
    })
