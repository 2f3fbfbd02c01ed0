"""The admin's account form: the response-time target (whole minutes, 5 minutes to 30 days), saved and audited once."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from reviewer.audit import AuditEvent
from reviewer.orgs.models import OrgAccount

BASE = {"name": "Harbour City Council", "platform": "x", "handle": "@HarbourCityNZ", "policy_file": "city-council.yaml", "active": "y"}


@pytest.fixture
def admin(client, make_user, login):
    user = make_user("boss", roles=["admin"], display_name="Aroha Ngata")
    login(client, user)
    return user


def last_event(db_session) -> AuditEvent:
    db_session.rollback()
    return db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()


def field_error(page: str) -> str:
    found = re.search(r'<p class="error" id="response_target_minutes-error">(.*?)</p>', page, re.S)
    assert found, "no error under the response-time target"
    return html.unescape(found.group(1)).strip()


def test_a_new_account_offers_one_day_and_saves_the_chosen_target(client, admin, db_session) -> None:
    form = client.get("/admin/accounts/new").get_data(as_text=True)
    assert '<label for="response_target_minutes">Response-time target</label>' in form
    assert re.search(r'<input[^>]*id="response_target_minutes"[^>]*value="1440"', form)
    response = client.post("/admin/accounts/new", data=BASE | {"response_target_minutes": "480"})
    assert response.status_code == 302
    db_session.rollback()
    account = db_session.scalars(select(OrgAccount)).one()
    assert account.response_target_minutes == 480
    event = last_event(db_session)
    assert event.action == "account.created" and json.loads(event.data)["response_target_minutes"] == 480
    listing = client.get("/admin/accounts/").get_data(as_text=True)
    assert '<th scope="col">Response-time target</th>' in listing and "<td>8 h</td>" in listing


def test_editing_the_target_is_one_audited_change_with_old_and_new(client, admin, db_session, make_account) -> None:
    account = make_account("@HarbourCityNZ", name="Harbour City Council")
    form = client.get(f"/admin/accounts/{account.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="response_target_minutes"[^>]*value="1440"', form)
    before = last_event(db_session).seq
    values = {"name": account.name, "platform": "x", "handle": account.handle, "policy_file": account.policy_file, "active": "y"}
    response = client.post(f"/admin/accounts/{account.id}", data=values | {"response_target_minutes": " 90 "})
    assert response.status_code == 302
    event = last_event(db_session)
    assert event.seq == before + 1  # one event for the whole save
    assert (event.action, event.subject) == ("account.changed", f"account:{account.id}")
    assert json.loads(event.data) == {"response_target_minutes": {"from": 1440, "to": 90}}
    assert db_session.get(OrgAccount, account.id).response_target_minutes == 90
    assert "<td>1 h 30 min</td>" in client.get("/admin/accounts/").get_data(as_text=True)
    # The bounds themselves are accepted.
    for minutes in ("5", "43200"):
        assert client.post(f"/admin/accounts/{account.id}", data=values | {"response_target_minutes": minutes}).status_code == 302
        db_session.rollback()
        assert db_session.get(OrgAccount, account.id).response_target_minutes == int(minutes)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("4", "4 minutes is too short: give from 5 minutes to 43200 (30 days)."),
        ("43201", "43201 minutes is too long: give from 5 minutes to 43200 (30 days)."),
        ("0", "0 minutes is too short: give from 5 minutes to 43200 (30 days)."),
        ("-60", "-60 minutes is too short: give from 5 minutes to 43200 (30 days)."),
        ("1.5", "“1.5” is not a whole number of minutes: give from 5 minutes to 43200 (30 days)."),
        ("8h", "“8h” is not a whole number of minutes: give from 5 minutes to 43200 (30 days)."),
        ("--5", "“--5” is not a whole number of minutes: give from 5 minutes to 43200 (30 days)."),
        ("12345678901234567890", "12345678901234567890 minutes is too long: give from 5 minutes to 43200 (30 days)."),
        ("", "Give the response-time target in whole minutes, from 5 to 43200 (30 days)."),
    ],
)
def test_a_target_out_of_bounds_or_not_whole_minutes_is_a_field_error(client, admin, db_session, make_account, given, message) -> None:
    account = make_account("@HarbourCityNZ", name="Harbour City Council")
    before = last_event(db_session).seq
    values = {"name": account.name, "platform": "x", "handle": account.handle, "policy_file": account.policy_file, "active": "y"}
    response = client.post(f"/admin/accounts/{account.id}", data=values | {"response_target_minutes": given})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page) == message
    assert 'aria-invalid="true"' in page
    assert last_event(db_session).seq == before and db_session.get(OrgAccount, account.id).response_target_minutes == 1440
    created = client.post("/admin/accounts/new", data=BASE | {"handle": "@other", "response_target_minutes": given})
    assert created.status_code == 422 and field_error(created.get_data(as_text=True)) == message
