"""Odd values people can type are a clear 4xx naming what was wrong, never a 500 (issue 15, item 7).

- Superscript digits ("²") pass `str.isdigit()` but `int()` refuses them:
  every query parameter that takes a number.
- JSON nested 100,000 deep raised RecursionError in every JSON reader.
- A lone surrogate ("\\ud800", valid JSON, not a character) cannot be stored.
- Dates at the edges of what Python can hold (`0001-01-01T00:00:00+14:00`
  is before year 1 in UTC; the day after `9999-12-31` does not exist) raised
  OverflowError.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

ODD_NUMBERS = ["²", "1²", "¹²", "٣", "１"]  # superscripts; Arabic-Indic and full-width digits (int() takes those)
BEFORE_YEAR_ONE = "0001-01-01T00:00:00+14:00"
DEEP = "[" * 100_000
SURROGATE = '"\\ud800"'  # a JSON string holding a lone surrogate


def _problem(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    if field is not None:
        assert response.json["error"]["field"] == field, response.json


@pytest.mark.parametrize("value", ODD_NUMBERS)
@pytest.mark.parametrize("name", ["limit", "offset", "account_id", "older_than_minutes"])
def test_odd_digits_in_api_queue_parameters_are_a_422(two_orgs, api_as, name: str, value: str) -> None:
    response = api_as(two_orgs.comms).get(f"/api/v1/queue?group=comms&{name}={value}")
    _problem(response, 422, name)


@pytest.mark.parametrize("value", ODD_NUMBERS)
@pytest.mark.parametrize("name", ["account", "draft", "before", "after"])
def test_odd_digits_in_audit_filters_are_a_422_naming_the_filter(two_orgs, web_as, name: str, value: str) -> None:
    response = web_as(two_orgs.auditor).get(f"/audit/?{name}={value}")
    assert response.status_code == 422
    assert f"Filter {name}:" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_odd_digits_as_a_page_number_show_the_first_page(two_orgs, web_as, value: str) -> None:
    assert web_as(two_orgs.comms).get(f"/review/?group=comms&page={value}").status_code == 200
    assert web_as(two_orgs.staff_a).get(f"/inbox/{two_orgs.account_a.id}?page={value}").status_code == 200
    assert web_as(two_orgs.staff_a).get(f"/drafts/{two_orgs.draft_a.id}?from={value}&to=1").status_code == 200


def test_deeply_nested_json_is_a_400_everywhere(two_orgs, api_as, web_as) -> None:
    api = api_as(two_orgs.staff_a)
    for path in ("/api/v1/check", "/api/v1/drafts", "/api/v1/inbound"):
        response = api.client.post(path, data=DEEP, content_type="application/json", headers=api.headers)
        _problem(response, 400)
        assert "nested" in response.json["error"]["message"], response.json
    web = web_as(two_orgs.staff_a)
    response = web.client.post("/drafting/check", data=DEEP, content_type="application/json", headers={"X-CSRFToken": web.token})
    assert response.status_code == 400 and "nested" in response.json["error"], response.json


def _upload(web: Any, account_id: int, data: bytes) -> Any:
    return web.post(f"/inbox/{account_id}/upload", {"format": "jsonl", "file": (io.BytesIO(data), "posts.jsonl")},
                    content_type="multipart/form-data")


def test_deep_json_and_a_lone_surrogate_in_an_upload_are_line_errors(two_orgs, web_as) -> None:
    web = web_as(two_orgs.staff_a)
    good = '{"author_handle": "@r", "received_at": "2026-11-01T09:00:00Z", "text": "Fine."}'
    lone = '{"author_handle": "@r", "received_at": "2026-11-01T09:00:00Z", "text": ' + SURROGATE + "}"
    response = _upload(web, two_orgs.account_a.id, f"{good}\n{DEEP}\n{lone}\n".encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[-2000:]
    assert "nested more than 64 levels" in page and "lone surrogate" in page


def test_a_lone_surrogate_in_an_api_body_is_a_422_naming_the_field(two_orgs, api_as) -> None:
    api = api_as(two_orgs.staff_a)
    a = two_orgs.account_a.id
    bodies = {
        "/api/v1/inbound": '{"account_id": %d, "author_handle": "@r", "received_at": "2026-11-01T09:00:00Z", "text": %s}',
        "/api/v1/drafts": '{"account_id": %d, "text": %s}',
        "/api/v1/check": '{"account_id": %d, "text": %s}',
    }
    for path, body in bodies.items():
        response = api.client.post(path, data=body % (a, SURROGATE), content_type="application/json", headers=api.headers)
        _problem(response, 422, "text")
        assert "lone surrogate" in response.json["error"]["message"]


def test_dates_beyond_what_can_be_held_are_a_422(two_orgs, api_as, web_as) -> None:
    auditor = web_as(two_orgs.auditor)
    for query in (f"from={BEFORE_YEAR_ONE.replace('+', '%2B')}", "to=9999-12-31", "from=9999-12-31T23:59:59-14:00"):
        response = auditor.get(f"/audit/?{query}")
        assert response.status_code == 422, query
        assert "out of range" in response.get_data(as_text=True), query
    response = auditor.post("/audit/export", {"format": "jsonl", "to": "9999-12-31"})
    assert response.status_code == 422  # the trail again, with the message (issue 18; was a redirect)
    assert "out of range" in response.get_data(as_text=True)

    comms = web_as(two_orgs.comms)
    for query in ("until=9999-12-31", "until=0001-01-05"):
        response = comms.get(f"/review/response-times?{query}")
        assert response.status_code == 422 and "out of range" in response.get_data(as_text=True), query
    response = web_as(two_orgs.auditor).post("/reports/generate", {"since": "9999-12-01", "until": "9999-12-31"})
    assert response.status_code == 422 and "out of range" in response.get_data(as_text=True)

    api = api_as(two_orgs.staff_a)
    response = api.post("/api/v1/inbound", {"account_id": two_orgs.account_a.id, "author_handle": "@r",
                                            "received_at": BEFORE_YEAR_ONE, "text": "Hello"})
    _problem(response, 422, "received_at")
    staff = web_as(two_orgs.staff_a)
    response = staff.post(f"/inbox/{two_orgs.account_a.id}/posts/new",
                          {"author_handle": "@r", "text": "Hello", "received_at": BEFORE_YEAR_ONE})
    assert response.status_code == 422 and "out of range" in response.get_data(as_text=True)  # the form again, saying why
    line = json.dumps({"author_handle": "@r", "received_at": BEFORE_YEAR_ONE, "text": "Hello"})
    response = _upload(staff, two_orgs.account_a.id, line.encode() + b"\n")
    assert response.status_code == 422 and "out of range" in response.get_data(as_text=True)
