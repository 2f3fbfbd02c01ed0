"""Organisation accounts: validation, audited changes, who may draft."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reviewer.audit import AuditEvent
from reviewer.orgs.services import (
    OrgAccountError,
    account_facts,
    create_account,
    drafting_allowed,
    list_accounts,
    list_policy_files,
    update_account,
)


def test_policy_files_are_listed_not_loaded(tmp_path) -> None:
    (tmp_path / "b.yaml").write_text("this: [is not even valid yaml", encoding="utf-8")
    (tmp_path / "a.yaml").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text("", encoding="utf-8")
    assert list_policy_files(tmp_path) == ["a.yaml", "b.yaml"]
    assert list_policy_files(tmp_path / "missing") == []


def test_create_account_records_an_event(db_session, policy_dir, audit_actions) -> None:
    account = create_account(
        db_session,
        None,
        name="Harbour City Council on X",
        platform="X",
        handle=" @HarbourCityNZ ",
        policy_file="city-council.yaml",
        policy_dir=policy_dir,
        groups=["comms"],
    )
    db_session.commit()
    assert (account.platform, account.handle, account.active) == ("x", "@HarbourCityNZ", True)
    assert account.label == "Harbour City Council on X (@HarbourCityNZ on X)"
    assert audit_actions()[-1] == "account.created"
    assert list_accounts(db_session) == [account]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "  "}, "name", "name of 1 to 120"),
        ({"platform": "myspace"}, "platform", "Unknown platform 'myspace'"),
        ({"handle": "has spaces"}, "handle", "handle"),
        ({"policy_file": "../secrets.yaml"}, "policy_file", "No policy file '../secrets.yaml'"),
        ({"policy_file": "missing.yaml"}, "policy_file", "available: city-council.yaml, government.yaml"),
        ({"groups": ["nope"]}, "groups", "Unknown approver group: nope"),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(db_session, policy_dir, changes, field, words) -> None:
    values = {"name": "N", "platform": "x", "handle": "@n", "policy_file": "government.yaml", "groups": []} | changes
    with pytest.raises(OrgAccountError) as caught:
        create_account(db_session, None, policy_dir=policy_dir, **values)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_handle_is_unique_per_platform(db_session, make_account, policy_dir) -> None:
    make_account(handle="@HarbourCityNZ", platform="x")
    make_account(handle="@HarbourCityNZ", platform="instagram")
    with pytest.raises(OrgAccountError, match="already the account"):
        make_account(handle="@HarbourCityNZ", platform="x")


def test_update_account_records_what_changed(db_session, make_account, make_user, policy_dir) -> None:
    admin = make_user("boss", roles=["admin"])
    account = make_account(handle="@old", policy_file="city-council.yaml")
    values = {
        "name": account.name,
        "platform": "x",
        "handle": "@new",
        "policy_file": "government.yaml",
        "policy_dir": policy_dir,
        "groups": ["press"],
        "active": False,
    }
    assert update_account(db_session, admin, account, **values)
    db_session.commit()
    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.subject, event.actor_name) == ("account.changed", f"account:{account.id}", "boss")
    assert json.loads(event.data) == {
        "handle": {"from": "@old", "to": "@new"},
        "policy_file": {"from": "city-council.yaml", "to": "government.yaml"},
        "groups": {"from": [], "to": ["press"]},
        "active": {"from": True, "to": False},
    }
    assert not update_account(db_session, admin, account, **values)  # nothing changed: no event


def test_drafting_is_for_staff_in_the_accounts_teams(make_account, make_user) -> None:
    open_account = make_account()
    press_only = make_account(groups=["press"])
    closed = make_account(active=False)
    staff = make_user("sam", roles=["staff"])
    press_staff = make_user("pat", roles=["staff"], groups=["press"])
    approver = make_user("ann", roles=["approver"], groups=["press"])
    assert drafting_allowed(open_account, staff) and drafting_allowed(open_account, press_staff)
    assert not drafting_allowed(press_only, staff) and drafting_allowed(press_only, press_staff)
    assert not drafting_allowed(press_only, approver)
    assert not drafting_allowed(closed, press_staff)


def test_account_facts_answer_as_the_loaded_account_does(db_session, make_account, make_user) -> None:
    """The API's plain read of an account: same fields, same teams, same drafting answers as the object."""
    from reviewer.api.services import create_token, find_token

    accounts = [make_account(), make_account(groups=["press", "legal"]), make_account(active=False)]
    users = [make_user(roles=["staff"]), make_user(roles=["staff"], groups=["legal"]), make_user(roles=["approver"], groups=["press"])]
    principals = [find_token(db_session, create_token(db_session, None, user, "t").secret).user for user in users]
    for account in accounts:
        facts = account_facts(db_session, account.id)
        assert (facts.id, facts.name, facts.platform, facts.handle, facts.policy_file, facts.active, facts.label) == (
            account.id, account.name, account.platform, account.handle, account.policy_file, account.active, account.label
        )
        assert facts.drafting_group_ids == account.drafting_group_ids
        for user, principal in zip(users, principals):
            assert drafting_allowed(facts, principal) == drafting_allowed(account, user) == drafting_allowed(facts, user)
    assert account_facts(db_session, 10**9) is None


def test_the_response_target_is_whole_minutes_from_5_to_30_days(db_session, policy_dir, make_user) -> None:
    values = {"name": "N", "platform": "x", "handle": "@n", "policy_file": "government.yaml", "groups": []}
    account = create_account(db_session, None, policy_dir=policy_dir, **values)
    assert account.response_target_minutes == 1440  # one day unless told
    for bad in (4, 0, 30 * 24 * 60 + 1, "60", 60.0, True, None):
        with pytest.raises(OrgAccountError) as caught:
            create_account(db_session, None, policy_dir=policy_dir, **values | {"handle": "@m", "response_target_minutes": bad})
        assert caught.value.field == "response_target_minutes"
        assert "from 5 minutes to 43200 (30 days)" in caught.value.message
    admin = make_user("boss", roles=["admin"])
    assert update_account(db_session, admin, account, policy_dir=policy_dir, active=True, **values | {"response_target_minutes": 5})
    db_session.commit()
    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert json.loads(event.data) == {"response_target_minutes": {"from": 1440, "to": 5}}
    # Left out, the target stays as it is.
    assert not update_account(db_session, admin, account, policy_dir=policy_dir, active=True, **values)
    assert account.response_target_minutes == 5
