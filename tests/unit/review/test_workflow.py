"""The pure review workflow: every transition, separation of duties, multi-group and two-approval rules."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.review import workflow as wf
from reviewer.review.workflow import Actor, ApprovalFact, DraftFacts, InvalidInput, NotAllowed, SubmitRefused
from reviewer.vocabulary import DRAFT_STATES

AUTHOR = Actor(1, frozenset({"staff"}))
SHA = "a" * 64
OLD_SHA = "b" * 64


def approver(user_id: int, *groups: str) -> Actor:
    return Actor(user_id, frozenset({"approver"}), frozenset(groups))


def pending(routes=("comms",), required=1, approvals=(), version_author=1, state="pending") -> DraftFacts:
    return DraftFacts(
        state=state,
        author_id=AUTHOR.id,
        version_author_id=version_author,
        text_sha256=SHA,
        routes=tuple(routes),
        approvals_required=required,
        approvals=tuple(approvals),
    )


# --- The transition table --------------------------------------------------------


@pytest.mark.parametrize(("state", "event"), list(itertools.product(DRAFT_STATES, wf.EVENTS)))
def test_every_state_and_event_either_moves_or_is_refused(state: str, event: str) -> None:
    expected = wf.TRANSITIONS.get((state, event))
    if expected is None:
        with pytest.raises(NotAllowed) as refused:
            wf.next_state(state, event)
        assert refused.value.reason == "state"
        assert wf.STATE_LABELS[state] in refused.value.message
    else:
        assert wf.next_state(state, event) == expected


def test_terminal_states_have_no_way_out() -> None:
    for state in ("rejected", "posted"):
        assert not [event for (s, event) in wf.TRANSITIONS if s == state]


def test_unknown_state_or_event_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="state 'limbo'"):
        wf.next_state("limbo", "revise")
    with pytest.raises(ValueError, match="event 'teleport'"):
        wf.next_state("draft", "teleport")
    with pytest.raises(ValueError, match="state 'limbo'"):
        DraftFacts("limbo", 1, 1, SHA)


# --- Submit and routing ------------------------------------------------------------------


def test_submit_pass_approves_at_once_and_review_waits() -> None:
    assert wf.submit("draft", "pass") == "approved"
    assert wf.submit("draft", "review") == "pending"


def test_submit_block_is_refused_with_the_verdict() -> None:
    verdict = object()
    with pytest.raises(SubmitRefused) as refused:
        wf.submit("draft", "block", verdict)
    assert refused.value.verdict is verdict
    assert "blocks" in refused.value.message


@pytest.mark.parametrize("state", ["pending", "approved", "rejected", "returned", "posted"])
@pytest.mark.parametrize("decision", ["pass", "review", "block"])
def test_only_a_draft_can_be_submitted(state: str, decision: str) -> None:
    with pytest.raises(NotAllowed) as refused:
        wf.submit(state, decision)
    assert refused.value.reason == "state"


def test_routing_defaults_to_comms_and_sorts() -> None:
    assert wf.routing("review", [], 1) == (("comms",), 1)
    assert wf.routing("review", ["safeguarding", "legal", "legal"], 2) == (("legal", "safeguarding"), 2)
    assert wf.routing("pass", [], 0) == ((), 1)
    assert wf.routing("review", [], 1, default_group="press") == (("press",), 1)
    with pytest.raises(ValueError, match="decision 'maybe'"):
        wf.routing("maybe", [], 1)


# --- Revise and post ----------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "returned"])
def test_staff_revise_a_draft_or_a_returned_draft(state: str) -> None:
    assert wf.check_may_revise(state, may_draft=True) == "draft"


def test_revise_needs_drafting_rights_and_the_right_state() -> None:
    with pytest.raises(NotAllowed) as refused:
        wf.check_may_revise("draft", may_draft=False)
    assert refused.value.reason == "not_staff"
    for state in ("pending", "approved", "rejected", "posted"):
        with pytest.raises(NotAllowed):
            wf.check_may_revise(state, may_draft=True)


def test_posting_needs_an_approved_draft_and_staff_or_an_approver() -> None:
    assert wf.check_may_post("approved", AUTHOR, may_draft=True) == "posted"
    assert wf.check_may_post("approved", approver(9, "comms"), may_draft=False) == "posted"
    with pytest.raises(NotAllowed, match="Only staff"):
        wf.check_may_post("approved", Actor(5, frozenset({"auditor"})), may_draft=False)
    with pytest.raises(NotAllowed):
        wf.check_may_post("pending", AUTHOR, may_draft=True)


# --- Separation of duties ------------------------------------------------------------------


def test_an_approver_in_the_group_approves() -> None:
    assert wf.approve(pending(), approver(2, "comms")) == ("comms", "approved")


def test_nobody_approves_their_own_draft_even_as_an_approver() -> None:
    author_approver = Actor(AUTHOR.id, frozenset({"staff", "approver"}), frozenset({"comms"}))
    with pytest.raises(NotAllowed) as refused:
        wf.approve(pending(), author_approver)
    assert refused.value.reason == "own_draft"
    assert refused.value.self_approval


def test_nobody_approves_their_own_edit() -> None:
    facts = pending(version_author=3)
    with pytest.raises(NotAllowed) as refused:
        wf.approve(facts, approver(3, "comms"))
    assert refused.value.reason == "own_edit"
    assert refused.value.self_approval
    assert wf.approve(facts, approver(4, "comms")) == ("comms", "approved")


def test_nobody_approves_text_they_edited_in_an_earlier_version() -> None:
    """kim edits v2, lee changes one character in v3: kim still wrote most of this text."""
    kim, lee, other = approver(3, "comms"), approver(4, "comms"), approver(5, "comms")
    facts = DraftFacts(
        state="pending", author_id=AUTHOR.id, version_author_id=lee.id, text_sha256=SHA, routes=("comms",),
        editor_ids=frozenset({AUTHOR.id, kim.id, lee.id}),
    )
    with pytest.raises(NotAllowed) as refused:
        wf.approve(facts, kim)
    assert refused.value.reason == "own_edit" and refused.value.self_approval
    assert "earlier version" in refused.value.message
    assert not wf.may_approve(facts, kim) and not wf.may_approve(facts, lee)
    assert wf.approval_refusal(facts, kim).reason == "own_edit"
    assert wf.may_approve(facts, other) and wf.approval_refusal(facts, other) is None
    assert wf.approve(facts, other) == ("comms", "approved")


def test_the_approval_predicate_gives_every_refusal_approve_would_raise() -> None:
    assert wf.approval_refusal(pending(), AUTHOR).reason == "not_approver"
    assert wf.approval_refusal(pending(version_author=3), approver(3, "comms")).reason == "own_edit"
    assert wf.approval_refusal(pending(), approver(9, "legal")).reason == "not_in_group"
    assert isinstance(wf.approval_refusal(pending(), approver(9, "comms"), group="legal"), InvalidInput)


def test_approving_needs_the_role_the_group_and_a_pending_draft() -> None:
    with pytest.raises(NotAllowed) as refused:
        wf.approve(pending(), Actor(2, frozenset({"staff"}), frozenset({"comms"})))
    assert refused.value.reason == "not_approver"
    assert not refused.value.self_approval
    with pytest.raises(NotAllowed) as refused:
        wf.approve(pending(), approver(2, "legal"))
    assert refused.value.reason == "not_in_group"
    assert "comms" in refused.value.message
    for state in ("draft", "approved", "rejected", "returned", "posted"):
        with pytest.raises(NotAllowed) as refused:
            wf.approve(pending(state=state), approver(2, "comms"))
        assert refused.value.reason == "state"


@pytest.mark.parametrize(
    ("decide", "message"),
    [
        (lambda facts, who: wf.approve(facts, who), "This draft is approved, so it cannot be approved now."),
        (lambda facts, who: wf.reject(facts, who, "No."), "This draft is approved, so it cannot be rejected now."),
        (lambda facts, who: wf.return_for_changes(facts, who, "Fix it."), "This draft is approved, so it cannot be returned for changes now."),
        (lambda facts, who: wf.edit(facts, who, "pass"), "This draft is approved, so it cannot be edited now."),
    ],
    ids=["approve", "reject", "return", "edit"],
)
def test_a_decision_on_a_draft_that_is_not_pending_names_it_in_plain_words(decide, message: str) -> None:
    with pytest.raises(NotAllowed) as refused:
        decide(pending(state="approved"), approver(2, "comms"))
    assert refused.value.reason == "state"
    assert refused.value.message == message


def test_one_approval_per_person_per_text() -> None:
    facts = pending(required=2, approvals=[ApprovalFact(2, "comms", SHA)])
    with pytest.raises(NotAllowed) as refused:
        wf.approve(facts, approver(2, "comms"))
    assert refused.value.reason == "already_approved"


def test_an_approval_of_other_text_does_not_count() -> None:
    facts = pending(approvals=[ApprovalFact(2, "comms", OLD_SHA)])
    assert not wf.is_fully_approved(facts)
    assert wf.outstanding_groups(facts) == ("comms",)
    # The same person may approve the new text.
    assert wf.approve(facts, approver(2, "comms")) == ("comms", "approved")


# --- Several groups, two approvals ------------------------------------------------------------


def test_each_routed_group_must_approve() -> None:
    facts = pending(routes=("legal", "safeguarding"))
    group, state = wf.approve(facts, approver(2, "legal"))
    assert (group, state) == ("legal", "pending")
    facts = pending(routes=("legal", "safeguarding"), approvals=[ApprovalFact(2, "legal", SHA)])
    assert wf.outstanding_groups(facts) == ("safeguarding",)
    with pytest.raises(NotAllowed) as refused:
        wf.approve(facts, approver(3, "legal"))
    assert refused.value.reason == "group_done"
    assert wf.approve(facts, approver(3, "safeguarding")) == ("safeguarding", "approved")


def test_someone_in_two_routed_groups_counts_once() -> None:
    both = approver(2, "legal", "safeguarding")
    group, state = wf.approve(pending(routes=("legal", "safeguarding")), both)
    assert (group, state) == ("legal", "pending")
    facts = pending(routes=("legal", "safeguarding"), approvals=[ApprovalFact(2, "legal", SHA)])
    with pytest.raises(NotAllowed) as refused:
        wf.approve(facts, both)
    assert refused.value.reason == "already_approved"


def test_an_explicit_group_is_honoured_and_checked() -> None:
    both = approver(2, "legal", "safeguarding")
    facts = pending(routes=("legal", "safeguarding"))
    assert wf.approve(facts, both, group="safeguarding") == ("safeguarding", "pending")
    with pytest.raises(InvalidInput) as bad:
        wf.approve(facts, both, group="press")
    assert bad.value.field == "group"
    with pytest.raises(NotAllowed) as refused:
        wf.approve(facts, approver(3, "legal"), group="safeguarding")
    assert refused.value.reason == "not_in_group"


def test_two_approvals_need_two_people() -> None:
    facts = pending(routes=("political",), required=2)
    assert wf.approve(facts, approver(2, "political")) == ("political", "pending")
    facts = pending(routes=("political",), required=2, approvals=[ApprovalFact(2, "political", SHA)])
    assert wf.approvers_missing(facts) == 1
    assert wf.approve(facts, approver(3, "political")) == ("political", "approved")


def test_two_approvals_across_two_groups_need_no_spare_approver() -> None:
    facts = pending(routes=("comms", "legal"), required=2, approvals=[ApprovalFact(2, "comms", SHA)])
    with pytest.raises(NotAllowed) as refused:
        wf.approve(facts, approver(3, "comms"))
    assert refused.value.reason == "group_done"
    assert wf.approve(facts, approver(4, "legal")) == ("legal", "approved")


def test_three_approvals_for_two_groups_take_a_spare() -> None:
    facts = pending(routes=("comms", "legal"), required=3, approvals=[ApprovalFact(2, "comms", SHA)])
    assert wf.approve(facts, approver(3, "comms")) == ("comms", "pending")


def test_nothing_routed_is_never_approved() -> None:
    assert not wf.is_fully_approved(pending(routes=()))


# --- Reject, return, edit ------------------------------------------------------------------------


def test_reject_and_return_need_a_reason() -> None:
    assert wf.reject(pending(), approver(2, "comms"), "  Not our place to comment.  ") == (
        "Not our place to comment.",
        "rejected",
    )
    assert wf.return_for_changes(pending(), approver(2, "comms"), "Drop the date.") == ("Drop the date.", "returned")
    for call in (wf.reject, wf.return_for_changes):
        with pytest.raises(InvalidInput) as bad:
            call(pending(), approver(2, "comms"), "   ")
        assert bad.value.field in ("reason", "comment")
        assert "required" in bad.value.message


def test_reject_return_and_edit_need_a_routed_approver_on_a_pending_draft() -> None:
    outsider = approver(2, "press")
    with pytest.raises(NotAllowed):
        wf.reject(pending(), outsider, "no")
    with pytest.raises(NotAllowed):
        wf.return_for_changes(pending(state="approved"), approver(2, "comms"), "no")
    with pytest.raises(NotAllowed):
        wf.edit(pending(), AUTHOR, "pass")


def test_an_edit_that_the_policy_blocks_is_refused() -> None:
    assert wf.edit(pending(), approver(2, "comms"), "pass") == "pending"
    with pytest.raises(SubmitRefused):
        wf.edit(pending(), approver(2, "comms"), "block")


def test_require_text_keeps_drafts_as_typed() -> None:
    assert wf.require_text("text", "  hi ", strip=False) == "  hi "
    assert wf.require_text("text", "  hi ") == "hi"
    with pytest.raises(InvalidInput, match="text: expected text, got int"):
        wf.require_text("text", 5)
    with pytest.raises(InvalidInput, match="too long: 6 characters"):
        wf.require_text("text", "abcdef", limit=5)
    with pytest.raises(InvalidInput, match="NUL"):
        wf.require_text("text", "a\x00b")


def test_actor_of_reads_a_user_like_object() -> None:
    class User:
        id = 7
        roles = frozenset({"approver"})
        group_names = ["comms"]

    assert Actor.of(User()) == Actor(7, frozenset({"approver"}), frozenset({"comms"}))


# --- Properties over any sequence of approvers --------------------------------------------------------

GROUPS = ("comms", "legal", "political", "safeguarding")


@settings(max_examples=300, deadline=None)
@given(
    routes=st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True),
    required=st.integers(1, 3),
    people=st.lists(
        st.tuples(st.integers(1, 6), st.frozensets(st.sampled_from(GROUPS), min_size=1, max_size=2)),
        max_size=8,
    ),
)
def test_approval_rules_hold_for_any_sequence(routes, required, people) -> None:
    facts = pending(routes=sorted(routes), required=required, version_author=1)
    for user_id, groups in people:
        if facts.state != "pending":
            break
        try:
            group, state = wf.approve(facts, approver(user_id, *groups))
        except NotAllowed:
            continue
        assert user_id != AUTHOR.id, "the author approved their own draft"
        assert group in routes and group in groups
        facts = DraftFacts(
            state=state,
            author_id=facts.author_id,
            version_author_id=facts.version_author_id,
            text_sha256=SHA,
            routes=facts.routes,
            approvals_required=required,
            approvals=(*facts.approvals, ApprovalFact(user_id, group, SHA)),
        )
    approvers = [a.approver_id for a in facts.approvals]
    assert len(approvers) == len(set(approvers)), "someone approved the same text twice"
    if facts.state == "approved":
        assert {a.group for a in facts.approvals} == set(routes)
        assert len(set(approvers)) >= required
    else:
        assert not wf.is_fully_approved(facts)
