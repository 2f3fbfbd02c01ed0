"""Staff pages: the inbox per account, adding and uploading inbound posts, the reply editor
(its live check is `live_check`), and the draft page (versions, diffs, submit, revise, mark posted).

Views own the transaction: each service call runs in `web.refusals.attempt()`,
which commits it or settles a refusal (one status per kind of refusal). The
domain work is the drafting and review services; the server re-checks on
every save and submit, whatever the browser showed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms.validators import ValidationError

from reviewer.db import get_session
from reviewer.drafting import live_check
from reviewer.drafting.common import may_draft
from reviewer.drafting.importing import import_inbound
from reviewer.drafting.inbound import create_inbound, inbox_page, inbox_summary
from reviewer.drafting import services as drafting
from reviewer.drafting.forms import MAX_UPLOAD_BYTES, DraftForm, InboundForm, PostedForm, UploadForm
from reviewer.drafting.models import Draft, InboundPost
from reviewer.numbers import whole_number
from reviewer.orgs.models import OrgAccount
from reviewer.orgs.services import list_accounts
from reviewer.pagination import query_without_page, requested_page
from reviewer.policy.verdict import verdict_dict
from reviewer.review import services as review
from reviewer.review.submitting import returned_by, submit_draft
from reviewer.review.workflow import SubmitRefused
from reviewer.web import checker, signed_in_user
from reviewer.web.access import role_required
from reviewer.web.filters import state_label
from reviewer.web.forms import attach_error, page_status
from reviewer.web.highlight import verdict_label, word_diff
from reviewer.web.refusals import Refusal, attempt

bp = Blueprint("drafting", __name__)
bp.add_url_rule("/drafting/check", "check", live_check.check, methods=["POST"])  # the editor's live check (JSON)

OPEN_STATES = ("draft", "returned", "pending", "approved")
INBOX_PAGE_SIZE = 100  # posts per inbox page


# --- Loading what the person may see -----------------------------------------------------------


def _account_or_404(account_id: int) -> OrgAccount:
    """The account, when the signed-in staff member drafts for it; 404 otherwise (its existence stays private)."""
    account = get_session().get(OrgAccount, account_id)
    if account is None or not may_draft(account, signed_in_user()):
        abort(404)
    return account


def _post_or_404(post_id: int) -> InboundPost:
    post = get_session().get(InboundPost, post_id)
    if post is None or not may_draft(post.account, signed_in_user()):
        abort(404)
    return post


def _draft_or_404(draft_id: int) -> Draft:
    draft = get_session().get(Draft, draft_id)
    if draft is None or not may_draft(draft.account, signed_in_user()):
        abort(404)
    return draft


def _my_accounts() -> list[OrgAccount]:
    return [a for a in list_accounts(get_session(), active_only=True) if may_draft(a, signed_in_user())]


# --- Inbox ------------------------------------------------------------------------------


@bp.route("/inbox/")
@role_required("staff")
def index():
    """The accounts this person drafts for, most urgent first, each with its posts by where their reply is,
    and their own open drafts."""
    session = get_session()
    summaries = [{"account": account, "summary": inbox_summary(session, account)} for account in _my_accounts()]
    summaries.sort(key=lambda s: (s["summary"].urgency(), s["account"].label.casefold()))  # overdue first
    mine = session.scalars(
        select(Draft)
        .where(Draft.author_id == signed_in_user().id, Draft.state.in_(OPEN_STATES))
        .order_by(Draft.updated_at.desc())
        .limit(50)
    ).all()
    return render_template("drafting/index.html", summaries=summaries, drafts=mine)


@bp.route("/inbox/<int:account_id>")
@role_required("staff")
def inbox(account_id: int):
    account = _account_or_404(account_id)
    include_answered = request.args.get("answered") == "1"
    offset = (requested_page(request.args) - 1) * INBOX_PAGE_SIZE
    page = inbox_page(get_session(), account, include_answered=include_answered, offset=offset, limit=INBOX_PAGE_SIZE)
    return render_template(
        "drafting/inbox.html", account=account, page=page, include_answered=include_answered,
        query=query_without_page(request.args), page_size=INBOX_PAGE_SIZE,
        summary=inbox_summary(get_session(), account),
    )


@bp.route("/inbox/<int:account_id>/posts/new", methods=["GET", "POST"])
@role_required("staff")
def new_inbound(account_id: int):
    account = _account_or_404(account_id)
    form = InboundForm()
    status = 200
    if form.validate_on_submit():
        with attempt() as outcome:
            post = create_inbound(
                get_session(),
                signed_in_user(),
                account,
                author_handle=form.author_handle.data,
                text=form.text.data,
                received_at=form.received_at.data,
                url=form.url.data or None,
                external_id=form.external_id.data or None,
            )
        if not outcome.refused:
            flash(f"Post from {post.author_handle} added to the inbox.", "success")
            return redirect(url_for("drafting.post", post_id=post.id))
        attach_error(form, outcome.refusal)
        status = outcome.status
    return render_template("drafting/inbound_form.html", account=account, form=form), page_status(form, status)


@bp.route("/inbox/<int:account_id>/upload", methods=["GET", "POST"])
@role_required("staff")
def upload(account_id: int):
    """Import posts from a CSV or JSON Lines file: all of them, or (on any bad line) none, listing every problem."""
    account = _account_or_404(account_id)
    form = UploadForm()
    errors = []
    status = 200
    if form.validate_on_submit():
        try:
            fmt = form.chosen_format()
        except ValidationError as error:
            form.format.errors = [*form.format.errors, str(error)]
        else:
            data = form.file.data.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                form.file.errors = [*form.file.errors, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: split it."]
            else:
                with attempt() as outcome:
                    result = import_inbound(get_session(), signed_in_user(), account, data, fmt)
                    if not result.ok:
                        get_session().rollback()  # all or nothing: a file with a bad line stores none of it
                if outcome.refused:
                    form.form_errors.append(outcome.refusal.message)
                    status = outcome.status
                elif result.ok:
                    skipped = f"; {result.skipped_duplicates} already known, skipped" if result.skipped_duplicates else ""
                    flash(f"{result.created} post{'s' if result.created != 1 else ''} added{skipped}.", "success")
                    return redirect(url_for("drafting.inbox", account_id=account.id))
                else:
                    errors = result.errors
    if status == 200 and (errors or form.errors):
        status = 422
    return render_template("drafting/upload.html", account=account, form=form, errors=errors), status


# --- Writing a reply -------------------------------------------------------------------------


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
@role_required("staff")
def post(post_id: int):
    """The inbound post with its replies so far and the reply editor."""
    inbound = _post_or_404(post_id)
    replies = get_session().scalars(select(Draft).where(Draft.inbound_post_id == inbound.id).order_by(Draft.id)).all()
    return _editor(inbound.account, inbound, extra={"replies": replies})


@bp.route("/inbox/<int:account_id>/compose", methods=["GET", "POST"])
@role_required("staff")
def compose(account_id: int):
    """A standalone post (not a reply) for the account."""
    return _editor(_account_or_404(account_id), None, extra={"replies": []})


def _editor(account: OrgAccount, inbound: InboundPost | None, extra: dict[str, Any]):
    form = DraftForm()
    verdict = None
    status = 200
    unconfirmed = inbound is not None and inbound.answered_at is not None and not form.second_reply.data
    if form.validate_on_submit() and form.submit_reply.data and unconfirmed:
        form.second_reply.errors = [
            f"Tick this to send a second reply to {inbound.author_handle}: the post already has its reply."
        ]
        status = 422
    elif form.is_submitted() and not form.errors:
        # A blocked submit stores no draft (the person changes the text and tries again); the attempt is audited.
        with attempt() as outcome:
            draft = drafting.create_draft(get_session(), signed_in_user(), checker(), account, form.text.data, inbound=inbound)
            if form.submit_reply.data:
                submit_draft(get_session(), signed_in_user(), checker(), draft)
        if not outcome.refused:
            flash(_outcome(draft, submitted=bool(form.submit_reply.data)), "success")
            return redirect(url_for("drafting.draft", draft_id=draft.id))
        verdict = _show_refusal(form, outcome.refusal)
        status = outcome.status
    elif form.errors:
        status = 422
    return render_template(
        "drafting/editor.html", account=account, inbound=inbound, form=form, verdict=verdict,
        inbound_verdict=None, answered_by=_answered_by(inbound, extra.get("replies") or []), **extra
    ), status


def _answered_by(inbound: InboundPost | None, replies: list[Draft]) -> Draft | None:
    """The reply that answered the post (approved or posted), when it has one: a new reply would be a second."""
    if inbound is None or inbound.answered_at is None:
        return None
    answering = [d for d in replies if d.state in ("approved", "posted")]
    return answering[0] if answering else (replies[0] if replies else None)


# --- The draft page ---------------------------------------------------------------------


@bp.route("/drafts/<int:draft_id>", methods=["GET", "POST"])
@role_required("staff")
def draft(draft_id: int):
    """The current version with its findings, the decision, history, versions and a diff; revise and submit."""
    the_draft = _draft_or_404(draft_id)
    form = DraftForm(data={"text": the_draft.text, "expected_version": str(the_draft.lock_version)})
    refused_verdict = None
    status = 200
    if request.method == "POST":
        if the_draft.state not in ("draft", "returned"):
            flash(f"This draft is {state_label(the_draft.state)}: it cannot be changed or submitted now.", "error")
            return redirect(url_for("drafting.draft", draft_id=the_draft.id))
        if form.validate_on_submit():
            session, me = get_session(), signed_in_user()
            # A blocked revision is not kept; the attempt is, as evidence filed under this draft.
            with attempt(blocked_draft_id=draft_id) as outcome:
                drafting.revise_draft(session, me, checker(), the_draft, form.text.data, expected_version=form.expected())
                if form.submit_reply.data:
                    submit_draft(session, me, checker(), the_draft)
            if not outcome.refused:
                flash(_outcome(the_draft, submitted=bool(form.submit_reply.data)), "success")
                return redirect(url_for("drafting.draft", draft_id=the_draft.id))
            refused_verdict = _show_refusal(form, outcome.refusal)
            status = outcome.status
            the_draft = _draft_or_404(draft_id)  # reloaded after the rollback
        else:
            status = 422
    return _render_draft(the_draft, form, refused_verdict, status)


@bp.route("/drafts/<int:draft_id>/posted", methods=["POST"])
@role_required("staff")
def mark_posted(draft_id: int):
    the_draft = _draft_or_404(draft_id)
    form = PostedForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("drafting.draft", draft_id=draft_id))
    with attempt() as outcome:
        review.mark_posted(get_session(), signed_in_user(), the_draft, form.url.data or None, expected_version=form.expected())
    if not outcome.refused:
        flash("Marked as posted.", "success")
        return redirect(url_for("drafting.draft", draft_id=draft_id))
    flash(outcome.refusal.message, "error")
    the_draft = _draft_or_404(draft_id)  # reloaded after the rollback
    current = {"expected_version": str(the_draft.lock_version)}
    page_form = DraftForm(formdata=None, data={**current, "text": the_draft.text})
    posted_form = PostedForm(formdata=None, data={**current, "url": form.url.data})
    return _render_draft(the_draft, page_form, None, outcome.status, posted_form)


def _render_draft(
    the_draft: Draft, form: DraftForm, refused_verdict: dict | None, status: int, posted_form: PostedForm | None = None
):
    session = get_session()
    versions = the_draft.versions
    numbers = [v.number for v in versions]
    older, newer = _diff_choice(numbers)
    diff = None
    if older is not None and newer is not None:
        diff = {
            "older": older,
            "newer": newer,
            "pieces": word_diff(versions[older - 1].text, versions[newer - 1].text),
        }
    posted_form = posted_form or PostedForm(data={"expected_version": str(the_draft.lock_version)})
    return render_template(
        "drafting/draft.html",
        draft=the_draft,
        version=the_draft.current_version,
        form=form,
        posted_form=posted_form,
        refused_verdict=refused_verdict,
        versions=versions,
        diff=diff,
        approvals=review.approvals_of(session, the_draft),
        history=review.history(session, the_draft),
        editable=the_draft.state in ("draft", "returned"),
        back_to=returned_by(session, the_draft)[1] if the_draft.state in ("draft", "returned") else (),
    ), status


def _diff_choice(numbers: list[int]) -> tuple[int | None, int | None]:
    """Which versions to compare: ?from=&to= when both exist, else the last two."""
    if len(numbers) < 2:
        return None, None
    older, newer = request.args.get("from", type=whole_number), request.args.get("to", type=whole_number)
    if older in numbers and newer in numbers and older != newer:
        return min(older, newer), max(older, newer)
    return numbers[-2], numbers[-1]


# --- Small pieces --------------------------------------------------------------------------


def _outcome(the_draft: Draft, *, submitted: bool) -> str:
    if not submitted:
        return f"Draft saved (version {len(the_draft.versions)}). {verdict_label(the_draft.verdict)}."
    if the_draft.state == "approved":
        return "Submitted: it passes policy and is approved for posting."
    return f"Submitted for approval by {', '.join(the_draft.routes)}."


def _show_refusal(form: DraftForm, refusal: Refusal) -> dict[str, Any] | None:
    """A blocked text is flashed and its verdict returned, to highlight; any other refusal goes on the form."""
    if isinstance(refusal.error, SubmitRefused):
        flash(refusal.message, "error")
        return verdict_dict(refusal.error.verdict)
    attach_error(form, refusal)
    return None
