"""Odd values to every route, in query strings, form fields and JSON bodies: never a 500 (issue 15, item 7).

The values are those that broke parsing before (superscript digits, digits
`int()` takes but people do not type, ids past 64 bits, dates that overflow
once converted to UTC or shifted a day, 100,000 nested `[`, lone
surrogates). Each route first answers one plain request that records the
query parameters and form fields its view reads; then each of those gets
each odd value in turn, one at a time on top of values that pass (so an
earlier bad field does not hide a later one), and hypothesis adds drawn
combinations. JSON routes (the API, the live check) get each odd value in
each body field the same way.

One visitor holds every role and is in the groups of organisation A, so
each request gets past the access check. Requests carry a CSRF token
(forms, the live check) or a bearer token (the API). Sign-out is left out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import route_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict

from reviewer.accounts.models import ROLES

DRAWN_EXAMPLES = 10  # per request, on top of every (field, odd value) pair

#: Each of these goes into every field a route reads, one field at a time.
ODD_CORE = ["²", "٣", str(2**63), "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31", "0001-01-05"]
#: Hypothesis draws from these (and from arbitrary short text) for combinations.
ODD_TEXT = [*ODD_CORE, "1²", "¹²", "１", "-1", "0", "+5", " 7", "1_000", "1e3", str(10**40), "#²", "0001-01-01",
            "2026-02-30", "9999-12-31T23:59:59.999999Z", "\u202e", ""]
ODD_JSON: list[Any] = ["²", "\ud800", 2**63, "0001-01-01T00:00:00+14:00", "9999-12-31", float("nan"), [[[["deep"]]]], {}]
DEEP = "[" * 100_000

#: Values that pass, so the odd one is what a request is about.
GOOD_ARGS = {"group": "comms"}
GOOD_FORM = {"author_handle": "@resident", "text": "Thanks, we will look into it.", "received_at": "2026-11-01T09:00:00Z",
             "since": "2026-11-01", "until": "2026-11-02", "from": "2026-11-01", "to": "2026-11-02"}
GOOD_JSON = {"text": "Thanks, we will look into it.", "author_handle": "@resident", "received_at": "2026-11-01T09:00:00Z",
             "action": "approve", "expected_version": 1}
JSON_FIELDS = ["account_id", "inbound_id", "text", "author_handle", "received_at", "url", "external_id", "action",
               "expected_version", "comment"]


class ReadRecorder(ImmutableMultiDict):
    """Query arguments and form fields that note each name a view asks for."""

    read: set[str] = set()

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
        ReadRecorder.read.add(key)
        return super().get(key, default, type)

    def getlist(self, key: Any, type: Any = None) -> Any:
        ReadRecorder.read.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key: Any) -> Any:
        ReadRecorder.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        ReadRecorder.read.add(key)  # type: ignore[arg-type]
        return super().__contains__(key)


@pytest.fixture
def visitor(secure_app, routed_world, make_user, web_as, make_token) -> Any:
    secure_app.config["REPORTS_INLINE_MAX_DRAFTS"] = -1  # every report is queued: no PDF rendered per request
    secure_app.request_class = type("RecordingRequest", (secure_app.request_class,), {"parameter_storage_class": ReadRecorder})
    user = make_user("fuzz-everyone", roles=list(ROLES), groups=["team-a", "comms"])
    return web_as(user), {"Authorization": f"Bearer {make_token(user, 'fuzz').secret}"}, routed_world.account_a.id


class Route:
    """One route's requests: query and form (or JSON body), answered; a 500 is recorded in `failures`."""

    def __init__(self, web: Any, bearer: dict[str, str], endpoint: str, method: str, url: str, failures: list[str]) -> None:
        self.web, self.method, self.url, self.failures = web, method, url, failures
        self.token_route = bool(getattr(route_table.declared(web.app, endpoint), "token", False))
        self.json = method == "POST" and (self.token_route or endpoint == "drafting.check")
        self.headers = bearer if self.token_route else {"X-CSRFToken": web.token or ""}

    def send(self, args: dict[str, Any], body: Any = None) -> None:
        if self.method == "GET":
            response = self.web.client.get(self.url, query_string=args, headers=self.headers)
        elif self.json:
            response = self.web.client.post(self.url, query_string=args, data=body, content_type="application/json",
                                            headers=self.headers)
        else:
            response = self.web.client.post(self.url, query_string=args, data={**(body or {}), "csrf_token": self.web.token})
        response.close()
        if response.status_code >= 500:
            raise AssertionError(f"{response.status_code}")

    def check(self, args: dict[str, Any], body: Any = None) -> None:
        try:
            self.send(args, body)
        except Exception as error:  # noqa: BLE001 -- TESTING propagates a view's exception: record it with the request
            self.failures.append(f"{self.method} {self.url} ?{args} body={str(body)[:160]!r}: {type(error).__name__}: {error}"[:600])

    def names_read(self) -> tuple[set[str], set[str]]:
        """(query parameters, form fields) the view reads on a plain request."""
        ReadRecorder.read = set()
        self.check(dict(GOOD_ARGS), None if self.json else dict(GOOD_FORM))
        read = ReadRecorder.read - {"csrf_token"}
        return (read, set()) if self.method == "GET" else (read, read)


def _fuzz_route(route: Route, account_id: int) -> None:
    query_names, form_names = route.names_read()
    base_json = {**GOOD_JSON, "account_id": account_id}
    base_form = dict(GOOD_FORM) if route.method == "POST" and not route.json else None
    for name in sorted(query_names):
        for value in ODD_CORE:
            route.check({**GOOD_ARGS, name: value}, json.dumps(base_json) if route.json else base_form)
    for name in sorted(form_names if base_form is not None else ()):
        for value in ODD_CORE:
            route.check(dict(GOOD_ARGS), {**base_form, name: value})
    if route.json:
        for body in (DEEP, '{"text": "\\ud800", "account_id": %d}' % account_id, "[]", "null"):
            route.check({}, body)
        for name in JSON_FIELDS:
            for value in ODD_JSON:
                route.check({}, json.dumps({**base_json, name: value}))
    odd = st.sampled_from(ODD_TEXT) | st.text(max_size=12)
    names = sorted(query_names | form_names) or ["page"]

    @settings(max_examples=DRAWN_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(values=st.dictionaries(st.sampled_from(names), odd, min_size=1, max_size=3))
    def drawn(values: dict[str, str]) -> None:
        body = json.dumps({**base_json, **values}) if route.json else (None if base_form is None else {**base_form, **values})
        route.check({**GOOD_ARGS, **values}, body)

    drawn()


@pytest.mark.slow
def test_odd_values_to_every_route_are_never_a_server_error(secure_app, routed_world, visitor) -> None:
    web, bearer, account_id = visitor
    failures: list[str] = []
    fuzzed = 0
    for endpoint, method, url in route_table.requests_of(secure_app, route_table.argument_values(routed_world, 999999)):
        if endpoint in ("accounts.logout", "static"):
            continue
        _fuzz_route(Route(web, bearer, endpoint, method, url, failures), account_id)
        fuzzed += 1
    assert fuzzed >= len(route_table.EXPECTED) - 2
    assert failures == [], "\n".join(dict.fromkeys(failures))
