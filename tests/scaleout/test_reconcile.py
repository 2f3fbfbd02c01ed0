"""The load driver's reconciliation finds what is missing, on a real (SQLite) site, without any server.

The scale-out test and the soak trust `reconcile` to say when an
acknowledged action is not in the database; here it is shown a ledger that
claims more than the database holds, and one that claims exactly what it holds.
"""

from __future__ import annotations

import pytest

from loadgen import DecisionSeen, DraftSeen, Ledger, create_site, reconcile

pytestmark = pytest.mark.slow


@pytest.fixture
def sqlite_site(tmp_path):
    return create_site(tmp_path / "site", staff=2, approvers=8, auditors=1, toxicity="none")


def submit(site, username: str, text: str) -> int:
    """A draft written and submitted through the services, as the API would."""
    from sqlalchemy import select

    from reviewer.accounts.models import User
    from reviewer.checking import build_checker
    from reviewer.db import app_session, get_database
    from reviewer.drafting.services import create_draft
    from reviewer.orgs.models import OrgAccount
    from reviewer.review.submitting import submit_draft

    app = site.app()
    checker = build_checker({"POLICY_DIR": str(site.policy_dir), "TOXICITY": "none"})
    try:
        with app_session(app) as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            account = session.get(OrgAccount, site.account_id)
            draft = submit_draft(session, user, checker, create_draft(session, user, checker, account, text))
            session.commit()
            return draft.id
    finally:
        get_database(app).engine.dispose()


def test_clean_ledger_reconciles_and_every_kind_of_loss_is_named(sqlite_site) -> None:
    site = sqlite_site
    assert reconcile(site, Ledger()).ok  # nothing claimed, nothing done since setup

    staff = site.by_role("staff")[0].username
    clean = submit(site, staff, site.clean_texts[0])
    ledger = Ledger()
    ledger.draft(DraftSeen(clean, staff, "api", site.account_id, "approved", ()))
    result = reconcile(site, ledger)
    assert result.ok, "\n".join(result.lines())
    assert result.reconciled == result.expected > 0 and result.chain_ok

    ledger.draft(DraftSeen(clean + 1000, staff, "api", site.account_id, "approved", ()))  # never stored
    ledger.decision(DecisionSeen(clean, "approver02", "reject", "web"))  # never happened
    ledger.audited_action("auth.login")  # no such event
    result = reconcile(site, ledger)
    problems = "\n".join(result.problems)
    assert not result.ok
    assert f"draft {clean + 1000} (api, {staff}) was acknowledged but is not stored" in problems
    assert f"draft {clean}: stored state approved, the client saw rejected" in problems
    assert "review actions 'reject': 0 stored, 1 acknowledged" in problems
    assert "audit events 'auth.login' since setup: 0 stored, 1 acknowledged" in problems


def test_more_stored_than_acknowledged_is_a_problem_unless_answers_were_lost(sqlite_site) -> None:
    site = sqlite_site
    staff = site.by_role("staff")[0].username
    submit(site, staff, site.clean_texts[1])  # stored, but no client heard back
    ledger = Ledger()
    result = reconcile(site, ledger)
    assert not result.ok and any(p.startswith("drafts:") for p in result.problems)

    ledger.error("api.submit_draft", "POST /api/v1/drafts", None, "RemoteDisconnected")  # the answer was lost
    result = reconcile(site, ledger)
    assert not any(p.startswith("drafts:") for p in result.problems), result.problems
    assert any(n.startswith("drafts:") for n in result.notes) and result.drafts_stored == 1
