"""Just-in-time provisioning and group mapping at each single sign-on, every step audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from reviewer.accounts.models import User
from reviewer.audit import AuditEvent
from reviewer.sso.services import Identity, SignInRefused, sign_in
from reviewer.sso.settings import ClaimNames, GroupMapping

ISSUER = "https://login.agency.example"
MAPPING = GroupMapping(
    roles={"reviewer-admins": ("admin",), "comms-approvers": ("approver", "staff")},
    approver_groups={"comms-approvers": ("comms",), "legal-approvers": ("legal",)},
)


def identity(groups: tuple[str, ...], subject: str = "sub-bob", username: str = "bob@agency.example", **fields) -> Identity:
    return Identity(ISSUER, subject, username, fields.get("display_name", "Bob Approver"), fields.get("email"), groups)


def events(session, since: int = 0) -> list[tuple[str, dict]]:
    session.rollback()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.seq > since).order_by(AuditEvent.seq))
    return [(row.action, json.loads(row.data)) for row in rows]


def last_seq(session) -> int:
    session.rollback()
    return session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


def test_first_sign_in_provisions_the_user_with_the_mapped_roles_and_groups(db_session) -> None:
    user = sign_in(db_session, identity(("comms-approvers", "everyone")), MAPPING, "10.0.0.7")
    db_session.commit()
    assert (user.username, user.display_name, user.oidc_issuer, user.oidc_subject) == (
        "bob@agency.example", "Bob Approver", ISSUER, "sub-bob")
    assert user.roles == {"approver", "staff"} and user.group_names == ["comms"]
    assert user.last_login_at is not None
    actions = [action for action, _ in events(db_session)]
    assert actions[-4:] == ["user.provisioned", "user.roles_changed", "user.groups_changed", "auth.login"]
    provisioned, roles, _, login = events(db_session)[-4:]
    assert provisioned[1]["provider_groups"] == ["comms-approvers", "everyone"]
    assert roles[1] == {"from": [], "to": ["approver", "staff"], "source": "oidc"}
    assert login[1] == {"ip": "10.0.0.7", "method": "oidc", "issuer": ISSUER}


def test_roles_and_groups_follow_the_provider_at_each_sign_in(db_session) -> None:
    first = sign_in(db_session, identity(("comms-approvers",)), MAPPING, "10.0.0.7")
    db_session.commit()
    seq = last_seq(db_session)
    again = sign_in(db_session, identity(("reviewer-admins", "legal-approvers"), display_name="Bob B."), MAPPING, "10.0.0.7")
    db_session.commit()
    assert again.id == first.id
    assert again.roles == {"admin"} and again.group_names == ["legal"] and again.display_name == "Bob B."
    changes = {action: data for action, data in events(db_session, seq)}
    assert changes["user.roles_changed"] == {"from": ["approver", "staff"], "to": ["admin"], "source": "oidc"}
    assert changes["user.groups_changed"] == {"from": ["comms"], "to": ["legal"], "source": "oidc"}
    assert "user.updated" in changes and "auth.login" in changes
    seq = last_seq(db_session)
    sign_in(db_session, identity(("reviewer-admins", "legal-approvers"), display_name="Bob B."), MAPPING, "10.0.0.7")
    db_session.commit()
    assert [action for action, _ in events(db_session, seq)] == ["auth.login"]  # nothing changed, nothing else said


def test_a_person_in_no_mapped_group_is_refused_and_not_provisioned(db_session) -> None:
    with pytest.raises(SignInRefused) as refused:
        sign_in(db_session, identity(("everyone",)), MAPPING, "10.0.0.8")
    db_session.commit()
    assert refused.value.reason == "no_mapped_group"
    assert "no group that gives access" in refused.value.message
    assert db_session.scalar(select(User).where(User.oidc_subject == "sub-bob")) is None
    action, data = events(db_session)[-1]
    assert action == "auth.sso_refused" and data["reason"] == "no_mapped_group" and data["provider_groups"] == ["everyone"]


def test_a_provisioned_user_whose_groups_no_longer_map_loses_roles_and_sessions(db_session) -> None:
    user = sign_in(db_session, identity(("comms-approvers",)), MAPPING, "10.0.0.7")
    db_session.commit()
    token = user.session_token
    seq = last_seq(db_session)
    with pytest.raises(SignInRefused):
        sign_in(db_session, identity(("everyone",)), MAPPING, "10.0.0.7")
    db_session.commit()
    db_session.refresh(user)
    assert user.roles == frozenset() and user.group_names == [] and user.session_token != token
    assert [action for action, _ in events(db_session, seq)] == [
        "user.roles_changed", "user.groups_changed", "auth.sso_refused"]


def test_a_local_account_with_the_same_username_is_never_taken_over(db_session, make_user) -> None:
    local = make_user("bob@agency.example".replace("@agency.example", ""), roles=["admin"])
    with pytest.raises(SignInRefused) as refused:
        sign_in(db_session, identity(("reviewer-admins",), username=local.username), MAPPING, "10.0.0.9")
    db_session.commit()
    assert refused.value.reason == "username_taken"
    db_session.refresh(local)
    assert local.oidc_subject is None


def test_a_deactivated_user_stays_out(db_session) -> None:
    from reviewer.accounts.services import deactivate_user

    user = sign_in(db_session, identity(("comms-approvers",)), MAPPING, "10.0.0.7")
    db_session.commit()
    deactivate_user(db_session, None, user)
    db_session.commit()
    with pytest.raises(SignInRefused) as refused:
        sign_in(db_session, identity(("comms-approvers",)), MAPPING, "10.0.0.7")
    assert refused.value.reason == "deactivated"


def test_a_mapping_to_a_missing_approver_group_is_refused_with_what_to_fix(db_session) -> None:
    mapping = GroupMapping(roles={"g": ("staff",)}, approver_groups={"g": ("no-such-group",)})
    with pytest.raises(SignInRefused) as refused:
        sign_in(db_session, identity(("g",)), mapping, "10.0.0.7")
    assert refused.value.reason == "mapping" and "no-such-group" in refused.value.message
    assert "OIDC_GROUP_APPROVER_GROUPS" in refused.value.message


def test_claims_are_read_through_the_configured_names() -> None:
    names = ClaimNames(username="upn", display_name="display", email="mail", groups="roles")
    found = Identity.from_claims(ISSUER, {"sub": "s1", "upn": "Ann@Agency.example", "display": "Ann", "roles": "admins"}, names)
    assert (found.username, found.display_name, found.email, found.groups) == ("ann@agency.example", "Ann", None, ("admins",))
    with pytest.raises(SignInRefused, match="'upn' claim"):
        Identity.from_claims(ISSUER, {"sub": "s1", "upn": "no spaces allowed"}, names)
    with pytest.raises(SignInRefused, match="subject"):
        Identity.from_claims(ISSUER, {"upn": "ann"}, names)


def test_two_first_sign_ins_at_once_share_one_account(db_session, monkeypatch) -> None:
    """The other sign-in provisioned them between this one's lookup and its insert: no 500, their account is used."""
    from reviewer.sso import services

    first = sign_in(db_session, identity(("comms-approvers",)), MAPPING, "10.0.0.7")
    db_session.commit()
    real_find = services.find_user
    lookups = []

    def missed_the_other_sign_in(session, issuer, subject):
        lookups.append(subject)
        return None if len(lookups) == 1 else real_find(session, issuer, subject)

    monkeypatch.setattr(services, "find_user", missed_the_other_sign_in)
    monkeypatch.setattr(services, "get_user_by_username", lambda session, name: None)  # nor its username
    second = sign_in(db_session, identity(("comms-approvers", "reviewer-admins")), MAPPING, "10.0.0.8")
    db_session.commit()
    assert second.id == first.id and len(lookups) == 2
    assert second.roles == {"admin", "approver", "staff"}
    assert db_session.scalar(select(func.count()).select_from(User)) == 1
    assert [a for a, _ in events(db_session)].count("user.provisioned") == 1
