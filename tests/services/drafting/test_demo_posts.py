"""The demo's inbound posts and replies, made through the real services under the shipped policy."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from fixtures_workflow import SHIPPED_POLICIES
from reviewer.audit import verify
from reviewer.demo import DEMO_POSTS, load_demo
from reviewer.drafting.inbound import inbox
from reviewer.drafting.models import Draft, InboundPost
from reviewer.review import services as review
from reviewer.review.queue import queue


def test_the_demo_fills_inboxes_queues_and_history(db_session, checker) -> None:
    result = load_demo(db_session, SHIPPED_POLICIES, "demo-password-123", checker=checker)
    db_session.commit()
    assert result.posts == len(DEMO_POSTS)
    posts = list(db_session.scalars(select(InboundPost)))
    assert len(posts) == len(DEMO_POSTS)
    drafts = list(db_session.scalars(select(Draft)))
    states = Counter(d.state for d in drafts)
    assert states == {"pending": 3, "draft": 2, "posted": 1, "approved": 1, "rejected": 1}
    assert {group for d in drafts if d.state == "pending" for group in d.routes} == {"press", "safeguarding", "legal"}
    for group in ("press", "safeguarding", "legal"):
        assert len(queue(db_session, group)) == 1
    returned_then_revised = next(d for d in drafts if len(d.versions) == 2)
    assert [a.action for a in review.history(db_session, returned_then_revised)] == ["submit", "return"]
    unanswered = sum(len(inbox(db_session, account)) for account in {p.account for p in posts})
    assert unanswered == sum(1 for p in posts if p.answered_at is None) == 9
    # Answered posts got believable response times, not zero.
    answered = [p for p in posts if p.answered_at is not None]
    assert answered and all(p.answered_at > p.received_at for p in answered)
    assert verify(db_session, db_session.info["audit_key"]).ok


def test_loading_twice_adds_nothing(db_session, checker) -> None:
    load_demo(db_session, SHIPPED_POLICIES, "demo-password-123", checker=checker)
    db_session.commit()
    assert not load_demo(db_session, SHIPPED_POLICIES, "demo-password-123", checker=checker).loaded
    assert len(list(db_session.scalars(select(InboundPost)))) == len(DEMO_POSTS)


def test_each_demo_draft_tells_one_time_line(db_session, checker) -> None:
    """A draft's header times (submitted, approved) agree with its history, as an auditor reads both."""
    load_demo(db_session, SHIPPED_POLICIES, "demo-password-123", checker=checker)
    db_session.commit()
    for draft in db_session.scalars(select(Draft)):
        steps = {a.action: a.created_at for a in reversed(review.history(db_session, draft))}  # the first of each
        assert all(v.created_at <= (draft.submitted_at or v.created_at) for v in draft.versions[:1]), draft.id
        if "submit" in steps:
            assert abs((draft.submitted_at - steps["submit"]).total_seconds()) < 60, draft.id
        if "approve" in steps:
            assert abs((draft.approved_at - steps["approve"]).total_seconds()) < 60, draft.id
        if draft.inbound is not None and draft.inbound.answered_at is not None:
            assert draft.inbound.answered_at >= draft.inbound.received_at
