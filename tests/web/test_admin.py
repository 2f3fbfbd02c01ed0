"""The admin area: users, roles, groups, passwords and organisation accounts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from reviewer.accounts.models import User
from reviewer.orgs.models import OrgAccount


@pytest.fixture
def admin(client, make_user, login):
    user = make_user("boss", roles=["admin"], display_name="Aroha Ngata")
    login(client, user)
    return user


def test_admin_creates_a_user_and_sees_a_one_time_password_once(client, admin, db_session, login, audit_actions) -> None:
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert "<legend>Roles</legend>" in form and "<legend>Approver groups</legend>" in form
    assert 'value="safeguarding"' in form
    response = client.post(
        "/admin/users/new",
        data={"username": "Lee.Chen", "display_name": "Lee Chen", "roles": ["approver"], "groups": ["safeguarding"]},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'<code id="one-time-password">([^<]+)</code>', page).group(1)
    db_session.rollback()
    user = db_session.scalars(select(User).where(User.username == "lee.chen")).one()
    assert user.roles == {"approver"} and user.group_names == ["safeguarding"] and user.must_change_password
    assert password not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "user.created" in audit_actions()
    other = client.application.test_client()
    user.test_password = password
    login(other, user)
    assert other.get("/").location == "/account/password"


def test_creating_a_user_with_a_chosen_password(client, admin, db_session) -> None:
    response = client.post(
        "/admin/users/new", data={"username": "jo", "roles": ["staff"], "password": "jo-chose-this-one"}
    )
    assert response.status_code == 302 and response.location == "/admin/users"
    assert "User jo created." in client.get("/admin/users").get_data(as_text=True)
    db_session.rollback()
    assert not db_session.scalars(select(User).where(User.username == "jo")).one().must_change_password


def test_bad_new_user_input_is_shown_on_the_form(client, admin, make_user) -> None:
    make_user("taken")
    page = client.post("/admin/users/new", data={"username": "taken", "roles": ["staff"]}).get_data(as_text=True)
    assert "The username &#39;taken&#39; is taken." in page
    page = client.post("/admin/users/new", data={"username": "newbie"}).get_data(as_text=True)
    assert "Give the user at least one role." in page
    page = client.post("/admin/users/new", data={"username": "newbie", "roles": ["root"]}).get_data(as_text=True)
    assert "&#39;root&#39; is not one of the choices." in page


def test_admin_changes_roles_and_groups(client, admin, make_user, db_session, audit_actions) -> None:
    user = make_user("kim", roles=["staff"])
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert re.search(r'<input checked id="roles-0" name="roles" type="checkbox" value="staff">', page)
    response = client.post(
        f"/admin/users/{user.id}",
        data={"display_name": "Kim O'Brien", "roles": ["approver", "auditor"], "groups": ["legal", "political"]},
    )
    assert response.status_code == 302
    db_session.rollback()
    user = db_session.get(User, user.id)
    assert user.roles == {"approver", "auditor"} and user.group_names == ["legal", "political"]
    assert audit_actions()[-3:] == ["user.updated", "user.roles_changed", "user.groups_changed"]


def test_admin_deactivates_and_reactivates(app, client, admin, make_user, login, db_session) -> None:
    user = make_user("leaver")
    theirs = app.test_client()
    login(theirs, user)
    assert theirs.get("/").status_code == 200
    response = client.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302
    assert "leaver deactivated" in client.get(response.location).get_data(as_text=True)
    assert theirs.get("/").status_code == 302  # their session ended
    assert login(theirs, user).status_code == 401
    client.post(f"/admin/users/{user.id}/reactivate")
    assert login(theirs, user).status_code == 302


def test_admin_cannot_deactivate_themselves(client, admin) -> None:
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_admin_resets_a_password(app, client, admin, make_user, login) -> None:
    user = make_user("forgetful")
    page = client.post(f"/admin/users/{user.id}/password", data={}).get_data(as_text=True)
    password = re.search(r'<code id="one-time-password">([^<]+)</code>', page).group(1)
    assert login(app.test_client(), user).status_code == 401  # the old password no longer works
    assert login(app.test_client(), user, password=password).status_code == 302
    chosen = client.post(f"/admin/users/{user.id}/password", data={"password": "set-by-the-admin"})
    assert chosen.status_code == 302
    assert login(app.test_client(), user, password="set-by-the-admin").status_code == 302


def test_admin_adds_and_edits_groups(client, admin) -> None:
    assert client.post("/admin/groups", data={"name": "Treaty", "description": "Treaty obligations"}).status_code == 302
    page = client.get("/admin/groups").get_data(as_text=True)
    assert "treaty" in page and "Treaty obligations" in page
    duplicate = client.post("/admin/groups", data={"name": "comms"}).get_data(as_text=True)
    assert "There is already a group called &#39;comms&#39;." in duplicate


def test_admin_manages_organisation_accounts(client, admin, db_session, audit_actions) -> None:
    form = client.get("/admin/accounts/new").get_data(as_text=True)
    assert '<option value="city-council.yaml">' in form and '<option value="government.yaml">' in form
    response = client.post(
        "/admin/accounts/new",
        data={
            "name": "Harbour City Council on X",
            "platform": "x",
            "handle": "@HarbourCityNZ",
            "policy_file": "city-council.yaml",
            "groups": ["comms"],
            "active": "y",
        },
    )
    assert response.status_code == 302
    db_session.rollback()
    account = db_session.scalars(select(OrgAccount)).one()
    assert account.drafting_groups[0].name == "comms" and account.active
    listing = client.get("/admin/accounts/").get_data(as_text=True)
    assert "@HarbourCityNZ" in listing and "city-council.yaml" in listing
    edited = client.post(
        f"/admin/accounts/{account.id}",
        data={"name": account.name, "platform": "x", "handle": "@HarbourCityNZ", "policy_file": "government.yaml"},
    )
    assert edited.status_code == 302
    db_session.rollback()
    account = db_session.get(OrgAccount, account.id)
    assert account.policy_file == "government.yaml" and not account.active and account.drafting_groups == []
    assert audit_actions()[-2:] == ["account.created", "account.changed"]


def test_an_account_policy_must_be_a_listed_file(client, admin) -> None:
    response = client.post(
        "/admin/accounts/new",
        data={"name": "X", "platform": "x", "handle": "@x", "policy_file": "../../etc/passwd"},
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_missing_things_are_404_pages(client, admin) -> None:
    for path in ("/admin/users/999", "/admin/groups/999", "/admin/accounts/999"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_staff_are_refused_the_admin_area(app, make_user, login) -> None:
    client = app.test_client()
    login(client, make_user("sam", roles=["staff"]))
    response = client.get("/admin/users")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Not allowed" in page and "Signed in as" in page
    assert "Admin</a>" not in client.get("/").get_data(as_text=True)


class _FieldsAndLabels(HTMLParser):
    """Collects the ids of form controls and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"])
        elif tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(attributes.get("id") or f"<{tag} name={attributes.get('name')} without id>")


@pytest.mark.parametrize(
    "path",
    ["/login", "/account/password", "/admin/users/new", "/admin/users/{id}", "/admin/users/{id}/password", "/admin/groups",
     "/admin/groups/1", "/admin/accounts/new"],
)
def test_every_form_field_has_a_label(app, client, admin, path) -> None:
    if path == "/login":
        client = app.test_client()  # signed out
    page = client.get(path.format(id=admin.id))
    assert page.status_code == 200
    parser = _FieldsAndLabels()
    parser.feed(page.get_data(as_text=True))
    assert parser.controls, f"no form fields on {path}"
    assert [c for c in parser.controls if c not in parser.labelled] == []


def test_groups_too_small_for_separation_of_duties_are_named(app, client, admin, make_user) -> None:
    from reviewer.service_checks import group_warnings

    make_user("kim", roles=["approver"], groups=["legal"])
    page = client.get("/admin/groups").get_data(as_text=True)
    assert "Approver group legal has one active approver" in page
    assert "Approver group comms has no active approver" in page
    make_user("lee", roles=["approver"], groups=["legal"])
    make_user("pat", roles=["staff"], groups=["comms"])  # not an approver: does not count
    page = client.get("/admin/groups").get_data(as_text=True)
    assert "group legal has" not in page and "Approver group comms has no active approver" in page
    warnings = group_warnings(app)
    assert any(w.startswith("approver group comms has no active approver") for w in warnings)
    assert not any("group legal" in w for w in warnings)
