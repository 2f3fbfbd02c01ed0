"""A seeded period for the report tests: drafts in every state, approvals, a refused self-approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from fixtures_workflow import BLOCKED_TEXT, LEGAL_TEXT, REVIEW_TEXT

#: A draft that carries HTML on purpose: it must render as inert text and fetch nothing.
HOSTILE_TEXT = 'Call me on 021 555 0199 <img src="file:///etc/passwd"> <b>now</b>'


@dataclass
class Seeded:
    account: object
    drafts: dict
    self_approver: object


@pytest.fixture
def seeded(db_session, make_account, make_user, make_draft, make_inbound) -> Seeded:
    """Two drafts that pass, one approved by an approver, one rejected, one returned, one pending,
    two blocked (one with HTML in it), and one refused self-approval, all on one account, today."""
    from reviewer.review import services as review
    from reviewer.review.workflow import NotAllowed

    account = make_account("@ReportCity", name="Report City")
    other = make_account("@OtherCity", name="Other City")
    drafts = {
        "passed": make_draft("approved", account=account),
        "posted": make_draft("posted", account=account, inbound=make_inbound(account=account)),
        "approved": make_draft("approved", text=REVIEW_TEXT, account=account),
        "rejected": make_draft("rejected", text=LEGAL_TEXT, account=account),
        "returned": make_draft("returned", account=account),
        "blocked": make_draft("draft", text=BLOCKED_TEXT, account=account),
        "hostile": make_draft("draft", text=HOSTILE_TEXT, account=account),
        "other": make_draft("approved", account=other),  # another account: left out when filtering
    }
    both = make_user(roles=["staff", "approver"], groups=["comms"])
    mine = make_draft("pending", account=account, author=both)
    drafts["self"] = mine
    with pytest.raises(NotAllowed):
        review.approve(db_session, both, mine, expected_version=mine.lock_version)
    db_session.commit()  # the refusal is evidence
    return Seeded(account, drafts, both)


@pytest.fixture
def today_period():
    from reviewer.reports.data import period_of

    today = datetime.now(timezone.utc).date()
    return period_of(today, today)
