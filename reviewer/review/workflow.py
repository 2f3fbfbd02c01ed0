"""The review workflow, pure: states, transitions, who may do what, when a draft is approved.

No Flask, no SQLAlchemy, no other reviewer domain: the services hand in
plain facts (`Actor`, `DraftFacts`) and get back a new state or an
exception a person can act on. See docs/workflow.md for the diagram.

    draft --submit(pass)--> approved --post--> posted   (approved automatically: the policy's decision)
    draft --submit(pass, last returned)--> pending         (back to the group of who returned it)
    draft --submit(review)--> pending --approve (all routes satisfied)--> approved
    pending --reject--> rejected ; --return--> returned --revise--> draft
    pending --edit--> pending (new version; approvals voided)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from reviewer.vocabulary import DECISIONS, DRAFT_STATES

DEFAULT_GROUP = "comms"

MAX_TEXT = 20_000
MAX_COMMENT = 2_000

# (state, event) -> new state. Events: what happened, not who did it.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "revise"): "draft",
    ("returned", "revise"): "draft",
    ("draft", "submit_pass"): "approved",
    ("draft", "submit_review"): "pending",
    ("pending", "approve_partial"): "pending",
    ("pending", "approve_final"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "return"): "returned",
    ("pending", "edit"): "pending",
    ("approved", "post"): "posted",
}
EVENTS = tuple(sorted({event for _, event in TRANSITIONS}))

STATE_LABELS = {
    "draft": "a draft",
    "pending": "waiting for approval",
    "approved": "approved",
    "rejected": "rejected",
    "returned": "returned for changes",
    "posted": "posted",
}


# --- Errors a person can act on -----------------------------------------------


class WorkflowError(Exception):
    """Base of the errors views turn into a flash message or a JSON error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(WorkflowError):
    """The actor may not do this now. `reason` is a short code (e.g. `own_draft`)."""

    def __init__(self, message: str, reason: str = "not_allowed") -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def self_approval(self) -> bool:
        """A refused attempt to approve one's own draft or edit: evidence for the auditors."""
        return self.reason in SELF_APPROVAL_REASONS


class ConflictError(WorkflowError):
    """Someone else acted on the draft first."""

    def __init__(self, message: str = "Someone else acted on this draft first; reload it and try again.") -> None:
        super().__init__(message)


class SubmitRefused(WorkflowError):
    """The policy blocks the text; `verdict` holds the findings to fix."""

    def __init__(self, verdict: Any = None, message: str | None = None) -> None:
        super().__init__(message or "The policy blocks this text: change what the findings point at, then submit again.")
        self.verdict = verdict


class InvalidInput(WorkflowError, ValueError):
    """A value that cannot be used; `field` names the form field or JSON key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


SELF_APPROVAL_REASONS = frozenset({"own_draft", "own_edit"})


# --- Facts the services hand in ---------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who is acting: their user id, roles and approver groups."""

    id: int
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @classmethod
    def of(cls, user: Any) -> Actor:
        """From any user-like object with `.id`, `.roles` and `.group_names`."""
        return cls(int(user.id), frozenset(user.roles), frozenset(user.group_names))


@dataclass(frozen=True)
class ApprovalFact:
    approver_id: int
    group: str
    text_sha256: str


@dataclass(frozen=True)
class DraftFacts:
    """What the rules need to know about a draft and its current version."""

    state: str
    author_id: int
    version_author_id: int
    text_sha256: str
    routes: tuple[str, ...] = ()
    approvals_required: int = 1
    approvals: tuple[ApprovalFact, ...] = field(default_factory=tuple)
    # Everyone who wrote any version of the draft (the current text grew out of all of them).
    editor_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.state not in DRAFT_STATES:
            raise ValueError(f"state {self.state!r} is not one of: {', '.join(DRAFT_STATES)}")


# --- Transitions ------------------------------------------------------------------


def next_state(state: str, event: str) -> str:
    """The state after `event`, or NotAllowed saying what state the draft is in."""
    if state not in DRAFT_STATES:
        raise ValueError(f"state {state!r} is not one of: {', '.join(DRAFT_STATES)}")
    if event not in EVENTS:
        raise ValueError(f"event {event!r} is not one of: {', '.join(EVENTS)}")
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise NotAllowed(
            f"This draft is {STATE_LABELS[state]}, so it cannot be {_EVENT_VERBS[event]} now.", "state"
        ) from None


_EVENT_VERBS = {
    "revise": "changed",
    "submit_pass": "submitted",
    "submit_review": "submitted",
    "approve_partial": "approved",
    "approve_final": "approved",
    "reject": "rejected",
    "return": "returned for changes",
    "edit": "edited by an approver",
    "post": "marked as posted",
}


def routing(
    decision: str, routes: Iterable[str], approvals: int, default_group: str = DEFAULT_GROUP, *, back_to: Iterable[str] = ()
) -> tuple[tuple[str, ...], int]:
    """(groups to route to, approvals required) for a verdict's decision, routes and approvals.

    A `review` verdict with no route of its own goes to `default_group`.
    `back_to`: the groups of the approver who returned the draft last; a
    resubmission goes to them as well, whatever the policy now says.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision {decision!r} is not one of: {', '.join(DECISIONS)}")
    groups = tuple(sorted(set(routes) | set(back_to)))
    if decision == "review" and not groups:
        groups = (default_group,)
    return groups, max(1, int(approvals))


def submit(state: str, decision: str, verdict: Any = None, *, back_to: Iterable[str] = ()) -> str:
    """The state after submitting a draft whose current version got `decision`.

    A pass is approved at once, unless the draft was returned for changes
    (`back_to`: the returner's groups): the approver who asked for a change
    sees the revision before it goes out.
    """
    if decision == "block":
        next_state(state, "submit_pass")  # a wrong state is the first thing to say
        raise SubmitRefused(verdict)
    return next_state(state, "submit_pass" if decision == "pass" and not tuple(back_to) else "submit_review")


def check_may_revise(state: str, may_draft: bool) -> str:
    """A staff member who may draft for the account revises a draft or returned draft."""
    if not may_draft:
        raise NotAllowed("Only staff who draft for this account may change this draft.", "not_staff")
    return next_state(state, "revise")


def check_may_post(state: str, actor: Actor, may_draft: bool) -> str:
    """Staff who draft for the account (or an approver) record that an approved draft was posted."""
    if not (may_draft or "approver" in actor.roles):
        raise NotAllowed("Only staff who draft for this account, or approvers, may mark a draft as posted.", "not_staff")
    return next_state(state, "post")


# --- Approvals ----------------------------------------------------------------------


def current_approvals(facts: DraftFacts) -> tuple[ApprovalFact, ...]:
    """The approvals that still count: those of the current text."""
    return tuple(a for a in facts.approvals if a.text_sha256 == facts.text_sha256)


def outstanding_groups(facts: DraftFacts) -> tuple[str, ...]:
    """Routed groups with no approval of the current text yet."""
    approved = {a.group for a in current_approvals(facts)}
    return tuple(group for group in facts.routes if group not in approved)


def approvers_missing(facts: DraftFacts) -> int:
    """How many more distinct approvers the draft needs (beyond outstanding groups)."""
    distinct = {a.approver_id for a in current_approvals(facts)}
    return max(0, facts.approvals_required - len(distinct))


def is_fully_approved(facts: DraftFacts) -> bool:
    """Every routed group approved the current text, by at least `approvals_required` people."""
    return bool(facts.routes) and not outstanding_groups(facts) and approvers_missing(facts) == 0


# A reviewer's verb -> its past participle, for "it cannot be ... now".
_REVIEWER_PAST = {
    "approve": "approved",
    "reject": "rejected",
    "return": "returned for changes",
    "edit": "edited",
}


def _check_reviewer(facts: DraftFacts, actor: Actor, verb: str) -> None:
    if "approver" not in actor.roles:
        raise NotAllowed(f"Only approvers may {verb} drafts.", "not_approver")
    if facts.state != "pending":
        raise NotAllowed(
            f"This draft is {STATE_LABELS[facts.state]}, so it cannot be {_REVIEWER_PAST[verb]} now.", "state"
        )
    if not actor.groups & set(facts.routes):
        raise NotAllowed(
            f"This draft is routed to {', '.join(facts.routes)}; you are not in any of those groups.", "not_in_group"
        )


def authorship_refusal(facts: DraftFacts, actor: Actor) -> NotAllowed | None:
    """Why the actor may not approve this text because they wrote part of it, or None.

    Separation of duties: the draft's author (`own_draft`) and anyone who
    wrote any version of it, the current one or an earlier one that the
    current text grew out of (`own_edit`), may not approve it.
    """
    if actor.id == facts.author_id:
        return NotAllowed("You wrote this draft, so someone else must approve it.", "own_draft")
    if actor.id == facts.version_author_id:
        return NotAllowed("You edited this version, so another approver must approve it.", "own_edit")
    if actor.id in facts.editor_ids:
        return NotAllowed(
            "You edited an earlier version of this text, so another approver must approve it.", "own_edit"
        )
    return None


def approval_refusal(facts: DraftFacts, actor: Actor, group: str | None = None) -> NotAllowed | InvalidInput | None:
    """Why the actor may not approve now (the error `approve` would raise), or None when they may.

    The one predicate a page can ask before it offers an Approve button.
    """
    try:
        approval_group(facts, actor, group)
    except (NotAllowed, InvalidInput) as refused:
        return refused
    return None


def may_approve(facts: DraftFacts, actor: Actor, group: str | None = None) -> bool:
    """True when `approve(facts, actor, group)` would be accepted."""
    return approval_refusal(facts, actor, group) is None


def approval_group(facts: DraftFacts, actor: Actor, group: str | None = None) -> str:
    """The routed group the actor's approval counts for, or NotAllowed saying why not.

    Separation of duties: not the draft's author, not the author of the
    current version (an approver's own edit), one approval per person per
    text. The approval goes to `group` when given, else to the first routed
    group the actor is in that still needs one.
    """
    _check_reviewer(facts, actor, "approve")
    refused = authorship_refusal(facts, actor)
    if refused is not None:
        raise refused
    if any(a.approver_id == actor.id for a in current_approvals(facts)):
        raise NotAllowed("You have already approved this text; another approver must approve it too.", "already_approved")
    mine = [g for g in facts.routes if g in actor.groups]
    if group is not None:
        if group not in facts.routes:
            raise InvalidInput("group", f"this draft is not routed to {group!r} (routed to: {', '.join(facts.routes)})")
        if group not in actor.groups:
            raise NotAllowed(f"You are not in the {group} group.", "not_in_group")
        mine = [group]
    waiting = outstanding_groups(facts)
    outstanding = [g for g in mine if g in waiting]
    if outstanding:
        return outstanding[0]
    # Each outstanding group brings one more person; beyond that, a spare approver is still needed.
    if approvers_missing(facts) > len(waiting):
        return mine[0]
    raise NotAllowed("Your group has already approved this text; it waits for another group.", "group_done")


def approve(facts: DraftFacts, actor: Actor, group: str | None = None) -> tuple[str, str]:
    """(group the approval counts for, state after it)."""
    chosen = approval_group(facts, actor, group)
    after = replace(facts, approvals=(*facts.approvals, ApprovalFact(actor.id, chosen, facts.text_sha256)))
    event = "approve_final" if is_fully_approved(after) else "approve_partial"
    return chosen, next_state(facts.state, event)


def facts_after_edit(facts: DraftFacts, editor_id: int) -> DraftFacts:
    """The facts as they would be once `editor_id` saved an edit: a new text by them, earlier approvals void.

    Lets a page warn before an edit that would leave nobody able to approve.
    """
    return replace(facts, version_author_id=editor_id, editor_ids=facts.editor_ids | {editor_id},
                   text_sha256=f"edit-by-{editor_id}:{facts.text_sha256}")


def reject(facts: DraftFacts, actor: Actor, reason: str) -> tuple[str, str]:
    """(cleaned reason, new state). A reason is required."""
    _check_reviewer(facts, actor, "reject")
    return require_text("reason", reason, MAX_COMMENT), next_state(facts.state, "reject")


def return_for_changes(facts: DraftFacts, actor: Actor, comment: str) -> tuple[str, str]:
    """(cleaned comment, new state). A comment saying what to change is required."""
    _check_reviewer(facts, actor, "return")
    return require_text("comment", comment, MAX_COMMENT), next_state(facts.state, "return")


def edit(facts: DraftFacts, actor: Actor, decision: str, verdict: Any = None) -> str:
    """The state after an approver's edit whose re-check gave `decision` (block refuses it)."""
    _check_reviewer(facts, actor, "edit")
    if decision == "block":
        raise SubmitRefused(verdict, "The policy blocks the edited text: change what the findings point at.")
    return next_state(facts.state, "edit")


def require_text(field_name: str, value: Any, limit: int = MAX_TEXT, *, strip: bool = True) -> str:
    """`value` (stripped unless `strip=False`: a draft keeps its text exactly as typed, for spans).

    InvalidInput when it is not text, blank, or longer than `limit` characters.
    """
    if not isinstance(value, str):
        raise InvalidInput(field_name, f"expected text, got {type(value).__name__}")
    cleaned = value.strip() if strip else value
    if not value.strip():
        raise InvalidInput(field_name, "required: it cannot be empty")
    if len(cleaned) > limit:
        raise InvalidInput(field_name, f"too long: {len(cleaned)} characters (at most {limit})")
    if "\x00" in cleaned:
        raise InvalidInput(field_name, "contains a NUL character")
    return cleaned
