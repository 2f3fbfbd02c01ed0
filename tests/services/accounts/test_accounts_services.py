"""Account services: users, roles, groups and passwords, each change audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reviewer.accounts.models import ApproverGroup, User
from reviewer.accounts.passwords import generate_password, hasher_for, password_problem, verify
from reviewer.accounts.services import (
    AccountError,
    create_group,
    create_user,
    deactivate_user,
    reactivate_user,
    set_password,
    update_user,
)
from reviewer.audit import AuditEvent, verify as verify_chain


def test_migration_seeds_the_five_approver_groups(db_session) -> None:
    names = set(db_session.scalars(select(ApproverGroup.name)))
    assert names == {"comms", "legal", "safeguarding", "press", "political"}


def test_create_user_hashes_the_password_and_records_an_event(db_session) -> None:
    user = create_user(
        db_session, None, "  Sam.Staff ", "a-long-enough-password", ["staff", "approver"], ["comms"], email="sam@example.org"
    )
    db_session.commit()
    assert user.username == "sam.staff"
    assert user.roles == {"staff", "approver"}
    assert user.group_names == ["comms"]
    assert "a-long-enough-password" not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert verify(hasher_for(db_session), user.password_hash, "a-long-enough-password")
    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.subject, event.actor_name) == ("user.created", f"user:{user.id}", None)
    assert json.loads(event.data)["roles"] == ["approver", "staff"]
    assert verify_chain(db_session, db_session.info["audit_key"]).ok


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"username": "x"}, "username", "2 to 64"),
        ({"username": "bad name"}, "username", "lower-case"),
        ({"roles": ["owner"]}, "roles", "Unknown role: owner"),
        ({"roles": []}, "roles", "at least one role"),
        ({"groups": ["comms", "treaty"]}, "groups", "Unknown approver group: treaty"),
        ({"password": "short"}, "password", "at least 12"),
        ({"email": "not-an-email"}, "email", "not an email"),
    ],
)
def test_create_user_refuses_bad_input_naming_the_field(db_session, kwargs, field, words) -> None:
    args = {"username": "valid", "password": "a-long-enough-password", "roles": ["staff"], "groups": []} | kwargs
    email = args.pop("email", None)
    with pytest.raises(AccountError) as caught:
        create_user(db_session, None, args["username"], args["password"], args["roles"], args["groups"], email=email)
    assert caught.value.field == field
    assert words in caught.value.message


def test_usernames_are_unique_whatever_the_case(db_session, make_user) -> None:
    make_user("jo")
    with pytest.raises(AccountError, match="taken"):
        create_user(db_session, None, "JO", "a-long-enough-password", ["staff"])


def test_update_user_audits_role_and_group_changes(db_session, make_user, audit_actions) -> None:
    admin = make_user("boss", roles=["admin"])
    user = make_user("kim", roles=["staff"])
    update_user(db_session, admin, user, display_name="Kim O'Brien", email=None, roles=["approver"], groups=["legal"])
    db_session.commit()
    assert user.roles == {"approver"} and user.group_names == ["legal"]
    assert audit_actions()[-3:] == ["user.updated", "user.roles_changed", "user.groups_changed"]
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.roles_changed")).one()
    assert event.actor_name == "boss"
    assert json.loads(event.data) == {"from": ["staff"], "to": ["approver"]}


def test_the_last_admin_cannot_lose_the_role_or_be_deactivated(db_session, make_user) -> None:
    admin = make_user("only-admin", roles=["admin"])
    with pytest.raises(AccountError, match="last active administrator"):
        update_user(db_session, None, admin, display_name="", email=None, roles=["staff"], groups=[])
    with pytest.raises(AccountError, match="last active administrator"):
        deactivate_user(db_session, None, admin)
    make_user("second-admin", roles=["admin"])
    deactivate_user(db_session, None, admin)
    assert not admin.active


def test_deactivating_rotates_the_session_token_and_refuses_oneself(db_session, make_user, audit_actions) -> None:
    admin = make_user("boss", roles=["admin"])
    user = make_user("leaver")
    token = user.session_token
    with pytest.raises(AccountError, match="your own account"):
        deactivate_user(db_session, admin, admin)
    deactivate_user(db_session, admin, user)
    assert not user.active and user.session_token != token
    with pytest.raises(AccountError, match="already deactivated"):
        deactivate_user(db_session, admin, user)
    reactivate_user(db_session, admin, user)
    db_session.commit()
    assert user.active
    assert audit_actions()[-2:] == ["user.deactivated", "user.reactivated"]


def test_set_password_replaces_the_hash_and_ends_sessions(db_session, make_user, audit_actions) -> None:
    admin = make_user("boss", roles=["admin"])
    user = make_user("forgetful")
    token = user.session_token
    new = generate_password()
    set_password(db_session, admin, user, new, one_time=True)
    db_session.commit()
    assert verify(hasher_for(db_session), user.password_hash, new)
    assert not verify(hasher_for(db_session), user.password_hash, user.test_password)
    assert user.session_token != token and user.must_change_password
    assert audit_actions()[-1] == "user.password_reset"
    set_password(db_session, user, user, "my-own-new-password")
    db_session.commit()
    assert not user.must_change_password
    assert audit_actions()[-1] == "user.password_changed"


def test_generated_passwords_pass_the_password_rules_and_differ() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(password_problem(p) is None for p in passwords)


def test_groups_can_be_added_once(db_session, audit_actions) -> None:
    group = create_group(db_session, None, "Treaty", "Treaty of Waitangi obligations")
    db_session.commit()
    assert group.name == "treaty"
    assert audit_actions()[-1] == "group.created"
    with pytest.raises(AccountError, match="already a group"):
        create_group(db_session, None, "treaty")
    with pytest.raises(AccountError, match="Group names"):
        create_group(db_session, None, "no spaces please")


def test_user_ids_for_login_change_with_the_session_token(db_session, make_user) -> None:
    user = make_user("sam")
    first = user.get_id()
    set_password(db_session, None, user, "another-long-password")
    assert user.get_id() != first
    assert user.get_id().startswith(f"{user.id}:")
    assert db_session.scalar(select(User).where(User.username == "sam")) is user


WEAK_PASSWORDS = {
    "passwordpassword": "too easy to guess",
    "123456789012": "commonly used password",
    " " * 12 + "x": "too easy to guess",
}


@pytest.mark.parametrize("weak", sorted(WEAK_PASSWORDS))
def test_common_and_patterned_passwords_are_refused_with_the_reason(db_session, weak: str) -> None:
    with pytest.raises(AccountError) as caught:
        create_user(db_session, None, "weakling", weak, ["staff"])
    assert caught.value.field == "password"
    assert WEAK_PASSWORDS[weak] in caught.value.message


def test_passwords_made_of_the_username_or_display_name_are_refused(db_session) -> None:
    # Each is strong to zxcvbn on its own: only the person's own names make them weak.
    assert password_problem("wiremu.tane.1") is None and password_problem("rangi.parata!") is None
    for username, display_name, password in (
        ("wiremu.tane", "W. Tane", "wiremu.tane.1"),
        ("wiremu.tane", "W. Tane", "wiremu.tanewiremu.tane"),  # the username doubled
        ("rp", "Rangi Parata", "rangi.parata!"),
    ):
        with pytest.raises(AccountError, match="too easy to guess") as caught:
            create_user(db_session, None, username, password, ["staff"], display_name=display_name)
        assert caught.value.field == "password"


def test_a_new_password_is_checked_against_the_users_names(db_session, make_user) -> None:
    user = make_user("wiremu.tane", roles=["staff"], display_name="Wiremu Tane")
    for weak in ("wiremu.tane.1", "passwordpassword"):
        with pytest.raises(AccountError, match="too easy to guess"):
            set_password(db_session, user, user, weak)
        with pytest.raises(AccountError, match="too easy to guess"):
            set_password(db_session, None, user, weak, one_time=True)


def test_a_strong_password_has_no_problem() -> None:
    assert password_problem("Kereru-flies-over-Tamaki-4", ["kereru"]) is None
