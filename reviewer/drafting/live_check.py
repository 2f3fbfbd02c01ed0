"""The editor's live check: JSON in, the verdict and highlight segments out, as the person types.

Its route is on the drafting blueprint (`drafting.check`, registered in
`drafting.views`); nothing is stored. The same refusals as the pages: a
policy that cannot load is 503.
"""

from __future__ import annotations

from flask import jsonify, request

from reviewer import jsontext
from reviewer.db import get_session
from reviewer.drafting import services as drafting
from reviewer.drafting.common import may_draft
from reviewer.drafting.models import InboundPost
from reviewer.orgs.models import OrgAccount
from reviewer.orm import MAX_ID
from reviewer.review.workflow import MAX_TEXT
from reviewer.web import checker, signed_in_user
from reviewer.web.access import role_required
from reviewer.web.filters import character_limit
from reviewer.web.highlight import check_payload
from reviewer.web.refusals import REFUSALS, refusal_for


@role_required("staff")
def check():
    """Check a text as the person types: JSON in, the verdict and highlight segments out; nothing stored.

    Body: {"account_id": int, "text": str, "inbound_id": int | null}. CSRF
    protected (the page's token in the X-CSRFToken header).
    """
    shape = "send a JSON object: {\"account_id\": ..., \"text\": ...}."
    try:
        data = jsontext.loads(request.get_data()) if request.is_json else None
    except jsontext.JsonTextError as error:
        if error.where is not None:  # valid JSON holding a value that cannot be used
            return _json_error(422, f"{error}.", error.where)
        return _json_error(400, f"The body is {error.message}; {shape}")
    if not isinstance(data, dict):
        return _json_error(400, shape.capitalize())
    account_id, text, inbound_id = data.get("account_id"), data.get("text"), data.get("inbound_id")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        return _json_error(400, "account_id: expected the account's id (an integer).", "account_id")
    if not 0 < account_id <= MAX_ID:
        return _json_error(404, "account_id: no account you draft for has this id.", "account_id")
    if not isinstance(text, str):
        return _json_error(400, "text: expected the draft text (a string).", "text")
    if len(text) > MAX_TEXT:
        return _json_error(400, f"text: too long: {len(text)} characters (at most {MAX_TEXT}).", "text")
    if inbound_id is not None and (not isinstance(inbound_id, int) or isinstance(inbound_id, bool)):
        return _json_error(400, "inbound_id: expected the post's id (an integer) or null.", "inbound_id")
    if inbound_id is not None and not 0 < inbound_id <= MAX_ID:
        return _json_error(404, "inbound_id: no post to this account has this id.", "inbound_id")
    session = get_session()
    account = session.get(OrgAccount, account_id)
    if account is None or not may_draft(account, signed_in_user()):
        return _json_error(404, "account_id: no account you draft for has this id.", "account_id")
    inbound = None
    if inbound_id is not None:
        inbound = session.get(InboundPost, inbound_id)
        if inbound is None or inbound.account_id != account.id:
            return _json_error(404, "inbound_id: no post to this account has this id.", "inbound_id")
    text = text.replace("\r\n", "\n")
    try:
        verdict = drafting.check_text(checker(), account, text, inbound)
    except REFUSALS as error:  # the policy cannot be loaded: 503, as on every page
        refusal = refusal_for(error)
        return _json_error(refusal.status, refusal.message)
    return jsonify(check_payload(
        text, verdict.to_dict(), inbound.text if inbound is not None else None,
        limit=character_limit(account), platform=account.platform_label,
    ))


def _json_error(status: int, message: str, field: str | None = None):
    return jsonify({"error": message, "field": field}), status
