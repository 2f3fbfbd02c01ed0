"""Who can approve a draft: for its review page (hide Approve, name who can) and before an edit.

Every answer comes from the workflow's own rule (`workflow.may_approve`,
which asks `workflow.approval_group`), tried for each active approver in the
draft's routed groups; nothing here restates separation of duties.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.models import ApproverGroup, User
from reviewer.review import workflow
from reviewer.review.workflow import Actor, DraftFacts, NotAllowed


@dataclass(frozen=True)
class ApprovalCover:
    """What the review page tells one approver about approving a draft.

    `refusal`: the workflow's reason this person may not approve (None when they may).
    `others`: the names of the other people who may approve it now.
    `edit_strands`: an edit by this person would leave nobody able to approve it.
    """

    may_approve: bool
    refusal: str | None
    others: tuple[str, ...]
    edit_strands: bool


def routed_approvers(session: Session, routes: tuple[str, ...] | list[str]) -> list[User]:
    """Active approvers in any of the routed groups, by username."""
    if not routes:
        return []
    groups = session.scalars(select(ApproverGroup).where(ApproverGroup.name.in_(list(routes))))
    people = {u.id: u for g in groups for u in g.members if u.active and u.has_role("approver")}
    return sorted(people.values(), key=lambda u: u.username)


def who_can_approve(facts: DraftFacts, candidates: list[User]) -> list[User]:
    """The candidates the workflow would let approve a draft with these facts."""
    return [u for u in candidates if workflow.may_approve(facts, Actor.of(u))]


def approval_cover(session: Session, actor: User, facts: DraftFacts) -> ApprovalCover:
    """Whether `actor` may approve the draft these facts describe, who else may, and whether their edit would strand it."""
    me = Actor.of(actor)
    try:
        workflow.approval_group(facts, me)
        refusal = None
    except NotAllowed as refused:
        refusal = refused.message
    candidates = routed_approvers(session, facts.routes)
    others = tuple(u.display_name for u in who_can_approve(facts, candidates) if u.id != actor.id)
    strands = False
    if facts.state == "pending" and me.groups & set(facts.routes):
        strands = not who_can_approve(workflow.facts_after_edit(facts, actor.id), candidates)
    return ApprovalCover(refusal is None, refusal, others, strands)
