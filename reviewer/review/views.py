"""Approver pages: a queue per group with filters, the review page with its four decisions,
and the response-time dashboard.

Views own the transaction: each decision runs in `web.refusals.attempt()`,
which commits it or settles a refusal. Every refusal (separation of duties,
a conflict, a missing reason) comes back as a flash message on the same page
with its one status, never a 500; a refused self-approval is evidence, so its
`approval.refused` audit event is committed, not rolled back (`settle`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from reviewer import moments
from reviewer.db import get_session

from reviewer.orm import utcnow
from reviewer.drafting.models import Draft
from reviewer.notify.reminders import escalations
from reviewer.orgs.services import list_accounts
from reviewer.pagination import query_without_page, requested_page
from reviewer.review import services as review
from reviewer.review import workflow
from reviewer.review.coverage import approval_cover
from reviewer.review.forms import (
    DEFAULT_PERIOD_DAYS,
    ApproveForm,
    EditForm,
    PeriodForm,
    QueueFilterForm,
    RejectForm,
    ReturnForm,
    choices,
)
from reviewer.review.queue import queue_page, waiting_for
from reviewer.review.refusals import refused_approvals
from reviewer.review.stats import response_times
from reviewer.policy.verdict import verdict_dict
from reviewer.web import checker, signed_in_user
from reviewer.web.access import role_required
from reviewer.web.forms import attach_error
from reviewer.web.highlight import word_diff
from reviewer.web.refusals import attempt

bp = Blueprint("review", __name__, url_prefix="/review")

QUEUE_PAGE_SIZE = 50  # drafts per queue page: each shows its text with highlights

DECISION_FORMS = {"approve": ApproveForm, "reject": RejectForm, "return": ReturnForm, "edit": EditForm}
#: The most breaches the dashboard lists (the counts cover them all).
BREACHES_SHOWN = 200


# --- The queue ------------------------------------------------------------------------------


@bp.route("/")
@role_required("approver")
def queue():
    """One of the approver's groups: its pending drafts, oldest first, filtered, a page at a time;
    counts for every group."""
    me = signed_in_user()
    groups = me.group_names
    form = QueueFilterForm(formdata=request.args)
    if not groups:
        return render_template("review/queue.html", groups=[], counts={}, group=None, form=form, page=None)
    asked = request.args.get("group")
    if asked and asked not in groups:
        flash(f"You are not in the approver group {asked!r}: showing {groups[0]} instead.", "error")
        return redirect(url_for("review.queue", group=groups[0]))
    session = get_session()
    everything = waiting_for(session, groups, with_rules=True)
    # Unasked, open on the first group with work rather than an empty tab.
    group = asked or next((name for name in groups if everything[name]), groups[0])
    rules = sorted({rule for waiting in everything[group] for rule in waiting.rule_ids})
    accounts = [(str(a.id), a.label) for a in list_accounts(session)]
    form.set_choices(accounts, rules)
    status, page = 200, None
    if not form.validate():
        status = 422
        for message in _messages(form):
            flash(message, "error")
    else:
        offset = (requested_page(request.args) - 1) * QUEUE_PAGE_SIZE
        page = queue_page(session, group, offset=offset, limit=QUEUE_PAGE_SIZE, **form.filters())
    counts = {name: len(found) for name, found in everything.items()}
    query = query_without_page(request.args)
    return render_template(
        "review/queue.html", groups=groups, counts=counts, group=group, form=form, page=page, query=query,
        page_size=QUEUE_PAGE_SIZE,
    ), status


# --- The review page and its decisions -----------------------------------------------------


def _draft_or_404(draft_id: int) -> Draft:
    """The draft, when the approver may see it; 404 otherwise (its existence stays private)."""
    draft = get_session().get(Draft, draft_id)
    if draft is None or not review.approver_may_see(get_session(), draft, signed_in_user()):
        abort(404)
    return draft


def _my_routed_groups(draft: Draft) -> list[str]:
    mine = set(signed_in_user().group_names)
    return [g for g in draft.routes or () if g in mine]


def _blank_forms(draft: Draft) -> dict[str, Any]:
    """Each decision's form, unfilled, carrying the version the page shows."""
    data = {"expected_version": str(draft.lock_version)}
    forms = {
        "approve": ApproveForm(formdata=None, data=data),
        "reject": RejectForm(formdata=None, data=data),
        "return": ReturnForm(formdata=None, data=data),
        "edit": EditForm(formdata=None, data={**data, "text": draft.text}),
    }
    _offer_groups(forms["approve"], draft)
    return forms


def _offer_groups(form: ApproveForm, draft: Draft) -> None:
    form.group.choices = choices("The group that still needs it", [(g, g) for g in _my_routed_groups(draft)])


@bp.route("/drafts/<int:draft_id>")
@role_required("approver")
def draft(draft_id: int):
    """The draft with its findings highlighted, the post it answers, its versions, diffs and history."""
    the_draft = _draft_or_404(draft_id)
    return _render_review(the_draft, _blank_forms(the_draft))


@bp.route("/drafts/<int:draft_id>/approve", methods=["POST"])
@role_required("approver")
def approve(draft_id: int):
    return _decide(draft_id, "approve")


@bp.route("/drafts/<int:draft_id>/reject", methods=["POST"])
@role_required("approver")
def reject(draft_id: int):
    return _decide(draft_id, "reject")


@bp.route("/drafts/<int:draft_id>/return", methods=["POST"])
@role_required("approver")
def return_for_changes(draft_id: int):
    return _decide(draft_id, "return")


@bp.route("/drafts/<int:draft_id>/edit", methods=["POST"])
@role_required("approver")
def edit(draft_id: int):
    return _decide(draft_id, "edit")


def _decide(draft_id: int, kind: str):
    """Validate the posted form, call the service (committed, or its refusal settled), and say what happened."""
    the_draft = _draft_or_404(draft_id)
    form = DECISION_FORMS[kind]()
    if kind == "approve":
        _offer_groups(form, the_draft)
    if not form.validate_on_submit():
        for message in _messages(form):
            flash(message, "error")
        return _render_review(the_draft, {**_blank_forms(the_draft), kind: form}, 422)
    with attempt() as outcome:
        _apply(get_session(), the_draft, kind, form)
    if not outcome.refused:
        flash(_outcome(the_draft, kind), "success")
        if kind == "edit":
            return redirect(url_for("review.draft", draft_id=the_draft.id))
        return redirect(url_for("review.queue"))
    refusal, status, refused_edit = outcome.refusal, outcome.status, None
    flash(refusal.message, "error")
    if isinstance(refusal.error, workflow.SubmitRefused):
        refused_edit = {"text": form.text.data, "verdict": verdict_dict(refusal.error.verdict)}
    elif refusal.field:
        attach_error(form, refusal)
    the_draft = _draft_or_404(draft_id)  # reloaded after the commit or rollback
    forms = _blank_forms(the_draft)
    if status == 422:
        forms[kind] = form  # keep what the approver typed
    return _render_review(the_draft, forms, status, refused_edit)


def _apply(session: Any, the_draft: Draft, kind: str, form: Any) -> None:
    me, expected = signed_in_user(), form.expected()
    if kind == "approve":
        review.approve(session, me, the_draft, expected_version=expected, group=form.group.data or None)
    elif kind == "reject":
        review.reject(session, me, the_draft, form.reason.data, expected_version=expected)
    elif kind == "return":
        review.return_for_changes(session, me, the_draft, form.comment.data, expected_version=expected)
    else:
        review.edit_as_approver(session, me, checker(), the_draft, form.text.data, expected_version=expected)


def _outcome(the_draft: Draft, kind: str) -> str:
    who = f"Draft {the_draft.id}"
    if kind == "approve":
        if the_draft.state == "approved":
            return f"Approved: {who} is ready to post."
        return f"Your approval of {who} is recorded; it still needs {_still_needed(the_draft)}."
    if kind == "reject":
        return f"Rejected {who}; the staff member sees your reason."
    if kind == "return":
        return f"Returned {who} for changes; the staff member sees your comment."
    return f"Your edit is saved as version {the_draft.current_version.number}; another approver must approve it."


def _still_needed(the_draft: Draft) -> str:
    facts = review.draft_facts(the_draft, review.approvals_of(get_session(), the_draft))
    outstanding = workflow.outstanding_groups(facts)
    missing = workflow.approvers_missing(facts)
    parts = [f"approval by {', '.join(outstanding)}"] if outstanding else []
    if missing > len(outstanding):
        parts.append(f"{missing} more approver{'s' if missing != 1 else ''}")
    return " and ".join(parts) or "nothing more"


def _history_steps(session: Any, the_draft: Draft) -> list[tuple[str, Any]]:
    """The draft's review actions and refused self-approvals, in time order: ("action" | "refused", item)."""
    steps = [(a.created_at, "action", a) for a in review.history(session, the_draft)]
    steps += [(r.at, "refused", r) for r in refused_approvals(session, the_draft)]
    return [(kind, item) for _at, kind, item in sorted(steps, key=lambda step: step[0])]


def _render_review(the_draft: Draft, forms: dict[str, Any], status: int = 200, refused_edit: dict | None = None):
    session = get_session()
    me = signed_in_user()
    approvals = review.approvals_of(session, the_draft)
    facts = review.draft_facts(the_draft, approvals)
    version = the_draft.current_version
    versions = the_draft.versions
    diffs = {v.number: word_diff(versions[i - 1].text, v.text) for i, v in enumerate(versions) if i > 0}
    mine = _my_routed_groups(the_draft)
    waiting = utcnow() - the_draft.submitted_at if the_draft.state == "pending" and the_draft.submitted_at else None
    cover = approval_cover(session, me, facts) if the_draft.state == "pending" and mine else None
    return render_template(
        "review/draft.html",
        draft=the_draft,
        version=version,
        versions=versions,
        diffs=diffs,
        approvals=approvals,
        counting={a.id for a in approvals if a.text_sha256 == version.text_sha256},
        outstanding=workflow.outstanding_groups(facts),
        approvers_missing=workflow.approvers_missing(facts),
        history=_history_steps(session, the_draft),
        forms=forms,
        can_act=the_draft.state == "pending" and bool(mine),
        show_group_choice=len(mine) > 1,
        cover=cover,
        waiting=waiting,
        refused_edit=refused_edit,
    ), status


# --- Response times --------------------------------------------------------------------------


@bp.route("/response-times")
@role_required("approver", "admin", "auditor")
def dashboard():
    """Median and 90th percentile response and approval-wait times over a period, and posts past target."""
    session = get_session()
    form = PeriodForm(formdata=request.args)
    form.account.choices = choices("All accounts", [(str(a.id), a.label) for a in list_accounts(session)])
    now = utcnow()
    report = None
    escalated = []
    status = 200
    if form.validate():
        try:
            since, until = _period(form, now)
        except moments.OutOfRange as error:
            form.until.errors = [*form.until.errors, str(error)]
        else:
            if since >= until:
                form.since.errors = [*form.since.errors, f"The start ({since:%Y-%m-%d}) is not before the end of the period."]
            else:
                account_id = int(form.account.data) if form.account.data else None
                report = response_times(session, since=since, until=until, account_id=account_id, now=now)
                escalated = escalations(session, since, until, account_id)
    if report is None:
        status = 422
        for message in _messages(form):
            flash(message, "error")
    return render_template(
        "review/dashboard.html",
        form=form,
        report=report,
        breaches=report.breaches[:BREACHES_SHOWN] if report else [],
        escalated=escalated[:BREACHES_SHOWN],
        default_period=not (form.since.data or form.until.data),
        default_days=DEFAULT_PERIOD_DAYS,
    ), status


def _period(form: PeriodForm, now: datetime) -> tuple[datetime, datetime]:
    """[since, until) in UTC: whole days when dates are given; the last 30 days by default."""
    until = _midnight(moments.shift(form.until.data, timedelta(days=1))) if form.until.data else now
    since = _midnight(form.since.data) if form.since.data else moments.shift(until, -timedelta(days=DEFAULT_PERIOD_DAYS))
    return since, until


def _midnight(day: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


# --- Small pieces ---------------------------------------------------------------------------


def _messages(form: Any) -> list[str]:
    """Each field error as `Label: message`, so a flash says where the problem is."""
    found = []
    for name, errors in form.errors.items():
        field = getattr(form, name, None)
        label = field.label.text if field is not None and field.type != "HiddenField" else ""
        found.extend(f"{label}: {error}" if label else error for error in errors)
    return found

