"""Factories for the drafting and review tests (issue 5): inbound posts, drafts in any state, the checker.

Registered from tests/conftest.py (`pytest_plugins`). Everything goes
through the real services, the shipped policies and the real embedded
toxicity model, so a draft made here is exactly what the app would make.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from reviewer.vocabulary import DRAFT_STATES

SHIPPED_POLICIES = Path(__file__).resolve().parent.parent / "policies"

#: Texts whose verdict under the shipped city-council policy the tests rely on.
CLEAN_TEXT = "Thanks for letting us know, the crew will fix the light this week."
REVIEW_TEXT = "We promise the pool will reopen by Friday."  # review, routed to comms
LEGAL_TEXT = "We can't comment on the court case while legal proceedings are under way."  # review, legal
BLOCKED_TEXT = "Call me on 021 555 0199 and I'll sort it."  # block: a phone number


@pytest.fixture(scope="session")
def checker():
    """The real Checker: the shipped policies, the embedded toxicity scorer and sentence encoder (loaded once)."""
    from reviewer.checking import Checker
    from reviewer.encoder import load_encoder
    from reviewer.toxicity import load_scorer

    return Checker(SHIPPED_POLICIES, load_scorer("embedded"), load_encoder("embedded"))


@pytest.fixture
def make_inbound(db_session, make_account, make_user) -> Callable[..., object]:
    """make_inbound(account=None, text=..., received_at=..., author_handle=...): a committed inbound post."""
    from reviewer.drafting.inbound import create_inbound

    def make(
        account=None,
        text: str = "The street light outside 12 Wharf Road has been out for a week.",
        received_at: datetime | None = None,
        author_handle: str | None = None,
        url: str | None = None,
        external_id: str | None = None,
    ):
        account = account or make_account()
        db_session.commit()
        post = create_inbound(
            db_session,
            None,
            account,
            author_handle=author_handle or f"@resident{secrets.token_hex(2)}",
            text=text,
            received_at=received_at or datetime.now(timezone.utc) - timedelta(hours=2),
            url=url,
            external_id=external_id,
        )
        db_session.commit()
        return post

    return make


@pytest.fixture
def make_draft(db_session, make_account, make_user, checker) -> Callable[..., object]:
    """make_draft(state="pending", text=None, account=None, author=None, approver=None, inbound=None).

    Walks a draft through the real services to `state`; the default text
    passes for draft/approved/posted and needs comms approval otherwise.
    The approver used (made when not given) is kept on `draft.test_approver`.
    """
    from reviewer.drafting.services import create_draft
    from reviewer.review import services as review
    from reviewer.review.submitting import submit_draft

    def make(
        state: str = "draft",
        text: str | None = None,
        account=None,
        author=None,
        approver=None,
        inbound=None,
    ):
        if state not in DRAFT_STATES:
            raise ValueError(f"state {state!r} is not one of {DRAFT_STATES}")
        needs_review = state in ("pending", "rejected", "returned")
        text = text or (REVIEW_TEXT if needs_review else CLEAN_TEXT)
        account = account or (inbound.account if inbound is not None else make_account())
        author = author or make_user(roles=["staff"])
        db_session.commit()
        draft = create_draft(db_session, author, checker, account, text, inbound=inbound)
        if state != "draft":
            submit_draft(db_session, author, checker, draft)
        if needs_review and draft.state != "pending":
            raise AssertionError(f"{text!r} did not need approval, so the draft cannot become {state!r}")
        if state in ("rejected", "returned") or (state in ("approved", "posted") and draft.state == "pending"):
            approver = approver or make_user(roles=["approver"], groups=list(draft.routes))
            db_session.flush()
            if state == "rejected":
                review.reject(db_session, approver, draft, "Not for us to answer.", expected_version=draft.lock_version)
            elif state == "returned":
                review.return_for_changes(db_session, approver, draft, "Drop the date.", expected_version=draft.lock_version)
            else:
                review.approve(db_session, approver, draft, expected_version=draft.lock_version)
        if state == "posted":
            review.mark_posted(db_session, author, draft, "https://x.com/HarbourCityNZ/status/1")
        db_session.commit()
        assert draft.state == state, f"made a {draft.state!r} draft, wanted {state!r}"
        draft.test_approver = approver
        draft.test_author = author
        return draft

    return make


# --- Web fixtures shared by tests/web/{audit,drafting,review}: one app, one login helper.


@pytest.fixture
def shipped_app(make_app):
    """The app on this test's database, checking drafts with the shipped policies (real findings)."""
    return make_app(POLICY_DIR=str(SHIPPED_POLICIES))


@pytest.fixture
def client_for(shipped_app, login):
    """client_for(user): a test client of `shipped_app` signed in as `user` through the real login form."""

    def make(user):
        client = shipped_app.test_client()
        assert login(client, user).status_code == 302
        return client

    return make


@pytest.fixture
def staff(make_user):
    return make_user("sam", roles=["staff"], display_name="Sam Patel")


@pytest.fixture
def account(make_account):
    return make_account("@HarbourCityNZ", name="Harbour City Council")
