"""The audit browser (auditors and admins): filter and page through the trail, verify the chain,
open a draft's full story, and download evidence exports.

Views own the transaction. Reading the trail never takes SQLite's write
lock: pages are GETs, and the chain check and the exports read through
their own read-only sessions; only the `audit.verified` / `audit.exported`
events are written, and committed before the result is shown or streamed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request, stream_with_context

from reviewer.audit import browse, export
from reviewer.audit.chain import parse_anchor
from reviewer.audit.reconcile import reconcile
from reviewer.audit.services import head, record, session_key, verify
from reviewer.audit.story import draft_story
from reviewer.notify import outbox
from reviewer.db import get_database, get_session, read_session
from reviewer.orgs.services import list_accounts
from reviewer.web import signed_in_user
from reviewer.web.access import role_required
from reviewer.web.refusals import refusal_for
from reviewer.vocabulary import DECISIONS

bp = Blueprint("audit", __name__, url_prefix="/audit")

AUDITORS = ("auditor", "admin")


@bp.route("/")
@role_required(*AUDITORS)
def index():
    """The trail, newest first, filtered; keyset pages; the head; the verify and export forms."""
    return _trail(200)


def _trail(status: int, anchor_text: str = "", anchor_error: str | None = None):
    """The trail page for this request's filters (none on a POST), answered with `status` unless a filter is refused;
    `anchor_text` and `anchor_error` fill the verify form's anchor field again when it could not be used."""
    session = get_session()
    try:
        wanted = browse.parse_filter(request.args)
        before = browse.whole_number(request.args.get("before"), "before")
        after = browse.whole_number(request.args.get("after"), "after")
    except browse.FilterError as error:
        flash(f"Filter {error.field}: {error.message}", "error")
        wanted, before, after, status = None, None, None, refusal_for(error).status
    result = browse.page(session, wanted, before=before, after=after) if wanted is not None else browse.Page()
    listed = list_accounts(session)
    accounts = [(account.id, account.label) for account in listed]
    return render_template(
        "audit/index.html",
        rule_ids=_rule_ids(listed),
        page=result,
        wanted=wanted or browse.AuditFilter(),
        args=request.args,
        query=wanted.query_args() if wanted else {},
        actions=browse.known_actions(session),
        accounts=accounts,
        decisions=DECISIONS,
        head=head(session),
        formats=list(export.FORMATS),
        anchor_text=anchor_text,
        anchor_error=anchor_error,
    ), status


def _rule_ids(accounts: list[Any]) -> list[str]:
    """The rule ids of every account's policy, sorted, for the rule filter's suggestions."""
    from reviewer.policy import PolicyError
    from reviewer.web import checker

    found: set[str] = set()
    for policy_file in {account.policy_file for account in accounts}:
        try:
            found.update(checker().policy(policy_file).rule_ids)
        except PolicyError:
            continue  # the config check and the editor say so; the filter still takes any id
    return sorted(found)


@bp.route("/verify", methods=["POST"])
@role_required(*AUDITORS)
def verify_chain():
    """Check every event's hash, HMAC and link (and an anchor, if given), and reconcile the drafts, versions and
    approvals with the events; show OK/FAILED, the head, and every row that disagrees."""
    anchor_text = (request.form.get("anchor") or "").strip()
    anchor = None
    if anchor_text:
        try:
            anchor = parse_anchor(anchor_text)
        except ValueError as error:  # the trail page again, with what was typed and why it cannot be used
            message = str(error)
            return _trail(422, anchor_text=anchor_text, anchor_error=message[:1].upper() + message[1:])
    with read_session() as reading:
        result = verify(reading, session_key(reading), anchor)
        reconciled = reconcile(reading, upto=result.head[0] if result.head else 0)
    session = get_session()
    record(
        session,
        signed_in_user(),
        "audit.verified",
        None,
        {
            "ok": result.ok,
            "count": result.count,
            "head": f"{result.head[0]}:{result.head[1]}" if result.head else None,
            "anchor": f"{anchor[0]}:{anchor[1]}" if anchor else None,
            "first_bad": {"seq": result.first_bad.seq, "reason": result.first_bad.reason} if result.first_bad else None,
            "reconcile": {"ok": reconciled.ok, "mismatches": len(reconciled.mismatches)},
        },
    )
    if not result.ok:
        bad = result.first_bad
        outbox.verification_failed(session, signed_in_user(), bad.seq if bad else None, bad.reason if bad else "the check failed")
    elif not reconciled.ok:
        outbox.verification_failed(session, signed_in_user(), None, f"{len(reconciled.mismatches)} stored rows differ from what "
                                   "the audit events recorded")
    session.commit()
    return render_template("audit/verified.html", result=result, anchor=anchor, reconciled=reconciled)


@bp.route("/export", methods=["POST"])
@role_required(*AUDITORS)
def export_events():
    """Stream a JSON Lines or CSV export of a period (audited as `audit.exported`)."""
    fmt = request.form.get("format", "jsonl")
    try:
        export.check_format(fmt)
        since = browse.parse_bound(request.form.get("from"), "from")
        until = browse.parse_bound(request.form.get("to"), "to", end=True)
        if since and until and since >= until:
            raise browse.FilterError("to", "must be after from")
        session = get_session()
        span = export.resolve_range(session, since, until)
    except (browse.FilterError, export.ExportError) as error:
        flash(f"Export: {error}", "error")
        return _trail(refusal_for(error).status)  # the trail again, with the export form
    export.record_export(session, signed_in_user(), fmt, span, via="web")
    session.commit()
    database = get_database()

    def open_session():
        return database.sessions(bind=database.readonly_engine)

    body = stream_with_context(export.stream(open_session, fmt, span))
    return Response(
        body,
        mimetype=export.FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{span.filename(fmt)}"',
            "X-Audit-Seq-Range": f"{span.low}-{span.high}",
        },
    )


@bp.route("/drafts/<int:draft_id>")
@role_required(*AUDITORS)
def story(draft_id: int):
    """A draft's full story: the post, every version and verdict, every decision, the audit events."""
    found = draft_story(get_session(), draft_id)
    if found is None:
        abort(404)
    return render_template("audit/story.html", story=found)
