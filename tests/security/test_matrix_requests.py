"""Every route x every method x every visitor, actually requested, answers as tests/web/test_route_matrix.py declares.

The declaration test there checks what each view *says*; this one checks
what the app *does*: CSRF is on (every POST carries a real token, so it
reaches the access check, not the CSRF refusal), the objects in the URLs
exist and belong to the visitor's organisation, and API routes are called
with a bearer token of the visitor's own role. Routes come from
`app.url_map`, so a route added without an EXPECTED entry fails here too.
"""

from __future__ import annotations

from typing import Any

import pytest
import route_table as declarations

from reviewer.accounts.models import ROLES
from reviewer.web.errors import MESSAGES

VISITORS = ("anonymous", *ROLES)
#: What the access check's 403 page says (a service's own refusal says something else).
ACCESS_REFUSED = MESSAGES[403][1]


def _token_route(app: Any, endpoint: str) -> bool:
    return bool(getattr(declarations.declared(app, endpoint), "token", False))


@pytest.fixture
def world(routed_world):
    return routed_world


def test_every_route_is_declared_in_the_table(secure_app) -> None:
    endpoints = {rule.endpoint for rule in secure_app.url_map.iter_rules()}
    assert endpoints - declarations.EXPECTED.keys() == set(), "routes missing from EXPECTED in tests/web/test_route_matrix.py"


def _visitor(world: Any, visitor: str) -> Any:
    return {"staff": world.staff_a, "approver": world.comms, "auditor": world.auditor, "admin": world.admin}.get(visitor)


@pytest.mark.parametrize("visitor", VISITORS)
def test_each_request_is_answered_as_declared(secure_app, world, web_as, make_token, visitor) -> None:
    user = _visitor(world, visitor)
    web = web_as(user)
    bearer: dict[str, str] = {}
    spare_token_id = 999999
    if user is not None:
        bearer = {"Authorization": f"Bearer {make_token(user, 'matrix').secret}"}
        spare_token_id = make_token(user, "matrix spare").token.id
    checked = 0
    for endpoint, method, url in declarations.requests_of(secure_app, declarations.argument_values(world, spare_token_id)):
        token_route = _token_route(secure_app, endpoint)
        if token_route:
            body = {"json": {}} if method == "POST" else {}
            response = web.client.open(url, method=method, headers=bearer, **body)
        elif method == "POST":
            response = web.client.open(url, method=method, data={"csrf_token": web.token})
        else:
            response = web.client.open(url, method=method)
        response.close()
        where = f"{visitor} {method} {url} -> {response.status_code}"
        assert response.status_code < 500, where
        allowed = declarations.expected_allows(endpoint, visitor)
        sent_to_login = response.status_code == 302 and response.location.startswith("/login?next=")
        if allowed:
            assert not sent_to_login and response.status_code != 401, f"refused: {where}"
            # A 403 may be the service refusing this action on this object (a domain NotAllowed), never the access check.
            assert response.status_code != 403 or ACCESS_REFUSED not in response.get_data(as_text=True), f"refused: {where}"
            assert response.status_code != 400 or endpoint in _MAY_ANSWER_400, f"CSRF or form refusal: {where}"
        elif token_route and visitor == "anonymous":
            assert response.status_code == 401 and response.json["error"]["code"] == "missing_token", where
        elif token_route:
            assert response.status_code == 403 and response.json["error"]["code"] == "forbidden", where
        elif visitor == "anonymous":
            assert sent_to_login, f"not sent to sign in: {where}"
        else:
            assert response.status_code == 403 and ACCESS_REFUSED in response.get_data(as_text=True), where
        checked += 1
    assert checked >= len(declarations.EXPECTED)


#: Views that answer an empty form with 400 (their own validation), not the CSRF layer.
_MAY_ANSWER_400 = {"accounts.login", "api_tokens.index", "api.check", "api.create_inbound", "api.create_draft", "api.decide",
                   "drafting.check"}


@pytest.mark.parametrize("visitor", [v for v in VISITORS if v != "anonymous"])
def test_the_sign_in_cookie_alone_opens_no_api_route(secure_app, world, web_as, visitor) -> None:
    web = web_as(_visitor(world, visitor))
    for endpoint, method, url in declarations.requests_of(secure_app, declarations.argument_values(world, 999999)):
        if not _token_route(secure_app, endpoint):
            continue
        response = web.client.open(url, method=method, json={} if method == "POST" else None)
        assert response.status_code == 401, f"{visitor} {method} {url} with only the cookie -> {response.status_code}"
        assert response.json["error"]["code"] == "missing_token"


def test_every_form_post_without_a_csrf_token_is_refused_and_changes_nothing(secure_app, world, web_as, audit_actions) -> None:
    """Any web POST missing its token is a 400: Flask-WTF refuses it before the view (and its access check) runs."""
    web = web_as(world.admin)
    before = audit_actions()
    for endpoint, method, url in declarations.requests_of(secure_app, declarations.argument_values(world, 999999)):
        if method != "POST" or _token_route(secure_app, endpoint) or endpoint == "accounts.logout":
            continue
        response = web.client.post(url, data={})
        assert response.status_code == 400, f"POST {url} without a CSRF token -> {response.status_code}"
    assert audit_actions() == before
