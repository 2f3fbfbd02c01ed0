"""Reminders and escalation: run by the tick (huey's periodic task, or `reviewer jobs tick` from cron).

- A pending draft waiting longer than half of APPROVAL_TARGET_MINUTES: its
  outstanding groups get a reminder; past the whole target, another one.
- A group named in ESCALATION ({"legal": {"after_minutes": 240,
  "before_target_minutes": 30, "to": "comms"}}) that still has not approved
  after `after_minutes`, or when the post the draft answers is
  `before_target_minutes` from its account's response target (so before the
  target is missed), whichever comes first: the draft is escalated: the `to`
  group (a backup group, or the comms lead's group) is told, with its
  webhooks. Escalation tells people to act; it does not change who must
  approve (the workflow's rules stay as they are).
- An unanswered inbound post past NOTIFY_INBOUND_NEAR_PERCENT of its
  account's response target, then past the target: the account's drafting
  groups (or, when it names none, every staff member) are told.

Each step is a `ReminderStep` row (unique per subject and step) written with
its audit event and notifications in one transaction: a step happens and is
audited once, however often or concurrently the tick runs. Reminders are per
version of a draft, so a draft returned and submitted again is reminded anew;
an escalation happens once per draft and group, never again.
Only drafts submitted and posts received in the last NOTIFY_LOOKBACK_DAYS
are looked at, so a first tick on an old database does not flood anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reviewer.audit import record
from reviewer.db import app_session
from reviewer.orm import utcnow
from reviewer.drafting.models import Draft, InboundPost
from reviewer.notify.events import Message
from reviewer.notify.models import ReminderStep
from reviewer.notify.outbox import notify, users_with_roles


@dataclass(frozen=True)
class ReminderRun:
    reminders: int
    escalations: int


@dataclass(frozen=True)
class Escalation:
    """One escalation, as the response-times page lists it."""

    draft_id: int
    account_id: int | None
    group: str
    to: str
    why: str
    at: datetime


def remind_and_escalate(app: Flask, now: datetime | None = None) -> ReminderRun:
    """Take every reminder and escalation step that is due and not yet taken."""
    now = now or utcnow()
    config = app.config
    since = now - timedelta(days=int(config.get("NOTIFY_LOOKBACK_DAYS") or 7))
    with app_session(app) as session:
        steps = _draft_steps(session, config, now, since) + _inbound_steps(session, config, now, since)
    reminders = escalations = 0
    for step in steps:
        if _take(app, step):
            escalations += step.kind == "escalation"
            reminders += step.kind != "escalation"
    return ReminderRun(reminders, escalations)


@dataclass(frozen=True)
class _Step:
    kind: str  # "reminder" | "escalation"
    subject: str
    step: str
    audit_event: str
    detail: dict[str, Any]
    message: Message
    groups: tuple[str, ...] = ()
    everyone_with_role: str | None = None


def _draft_steps(session: Session, config: Any, now: datetime, since: datetime) -> list[_Step]:
    from reviewer.review import workflow
    from reviewer.review.services import approvals_of, draft_facts

    target = float(config.get("APPROVAL_TARGET_MINUTES") or 240)
    escalation = config.get("ESCALATION") or {}
    steps: list[_Step] = []
    query = select(Draft).where(Draft.state == "pending", Draft.submitted_at >= since).order_by(Draft.id)
    for draft in session.scalars(query):
        waited = (now - draft.submitted_at).total_seconds() / 60
        outstanding = workflow.outstanding_groups(draft_facts(draft, approvals_of(session, draft))) or tuple(draft.routes)
        version = draft.current_version.number
        subject, path = f"draft:{draft.id}", f"/review/drafts/{draft.id}"
        about = {"draft_id": draft.id, "account_id": draft.account_id, "version": version, "groups": list(outstanding),
                 "waited_minutes": round(waited, 1), "target_minutes": target}
        for name, share in (("half", 0.5), ("past", 1.0)):
            if waited >= target * share:
                words = "past half of" if name == "half" else "past"
                message = Message("approval.reminder", f"Draft {draft.id} for {draft.account.label} is {words} its approval target",
                                  (f"Waiting {waited:.0f} minutes for {', '.join(outstanding)} (target {target:.0f}).",),
                                  path, None, about)
                steps.append(_Step("reminder", subject, f"approval.{name}:v{version}", "approval.reminded",
                                   {**about, "stage": name}, message, outstanding))
        deadline = _response_deadline(draft)
        for group in outstanding:
            why = _escalation_due(escalation.get(group) or {}, waited, deadline, now)
            if why is None:
                continue
            to = str(escalation[group]["to"])
            message = Message("approval.escalated", f"Draft {draft.id} for {draft.account.label} was escalated to {to}",
                              (f"{group} has not approved it: {why}.",), path, None, {**about, "group": group, "to": to})
            steps.append(_Step("escalation", subject, f"escalated.{group}", "approval.escalated",
                               {**about, "group": group, "to": to, "why": why}, message, (to,)))
    return steps


def _response_deadline(draft: Draft) -> datetime | None:
    """When the post this draft answers passes its account's response target (None: it answers no post)."""
    post = draft.inbound
    if post is None:
        return None
    return post.received_at + timedelta(minutes=post.account.response_target_minutes)


def _escalation_due(rule: dict[str, Any], waited: float, deadline: datetime | None, now: datetime) -> str | None:
    """Why a group's escalation `rule` applies now (None: not yet, or no rule): waiting `after_minutes`,
    or the reply's response target `before_target_minutes` away (or already past)."""
    if not rule.get("to"):
        return None
    after, before = rule.get("after_minutes"), rule.get("before_target_minutes")
    if after is not None and waited >= float(after):
        return f"waiting {waited:.0f} minutes (escalation after {after})"
    if before is not None and deadline is not None:
        left = (deadline - now).total_seconds() / 60
        if left <= float(before):
            return (f"the post it answers reaches its response target in {left:.0f} minutes" if left > 0
                    else f"the post it answers is {-left:.0f} minutes past its response target")
    return None


def _inbound_steps(session: Session, config: Any, now: datetime, since: datetime) -> list[_Step]:
    near = float(config.get("NOTIFY_INBOUND_NEAR_PERCENT") or 75) / 100
    steps: list[_Step] = []
    query = select(InboundPost).where(InboundPost.answered_at.is_(None), InboundPost.received_at >= since).order_by(InboundPost.id)
    for post in session.scalars(query):
        target = post.account.response_target_minutes
        waited = (now - post.received_at).total_seconds() / 60
        groups = tuple(group.name for group in post.account.drafting_groups)
        about = {"post_id": post.id, "account_id": post.account_id, "waited_minutes": round(waited, 1), "target_minutes": target}
        for name, share in (("near", near), ("past", 1.0)):
            if waited >= target * share:
                words = "near" if name == "near" else "past"
                message = Message("inbound.reminder", f"A post to {post.account.label} is {words} its response target",
                                  (f"From {post.author_handle}, waiting {waited:.0f} minutes (target {target}).",),
                                  f"/posts/{post.id}", None, about)
                steps.append(_Step("reminder", f"inbound:{post.id}", f"inbound.{name}", "inbound.reminded",
                                   {**about, "stage": name}, message, groups, None if groups else "staff"))
    return steps


def _take(app: Flask, step: _Step) -> bool:
    """Do one step in its own transaction; False when it was already done (by this or another tick)."""
    with app_session(app) as session:
        done = select(ReminderStep.id).where(ReminderStep.subject == step.subject, ReminderStep.step == step.step)
        if session.scalar(done) is not None:
            return False
        try:
            session.add(ReminderStep(subject=step.subject, step=step.step, detail=step.detail))
            session.flush()
        except IntegrityError:  # another tick took it a moment ago
            session.rollback()
            return False
        record(session, None, step.audit_event, step.subject, step.detail)
        users = users_with_roles(session, step.everyone_with_role) if step.everyone_with_role else ()
        notify(session, step.message, users=users, groups=step.groups, subject=step.subject,
               key=f"{step.subject}:{step.step}")
        session.commit()
    return True


def escalations(session: Session, since: datetime, until: datetime, account_id: int | None = None) -> list[Escalation]:
    """The escalations made in [since, until) (of one account's drafts, when given), newest first."""
    query = (select(ReminderStep).where(ReminderStep.step.like("escalated.%"), ReminderStep.at >= since, ReminderStep.at < until)
             .order_by(ReminderStep.at.desc(), ReminderStep.id.desc()))
    found = [
        Escalation(int(row.detail.get("draft_id", 0)), row.detail.get("account_id"), str(row.detail.get("group")),
                   str(row.detail.get("to")), str(row.detail.get("why") or ""), row.at)
        for row in session.scalars(query)
    ]
    return [e for e in found if account_id is None or e.account_id == account_id]
