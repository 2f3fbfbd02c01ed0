"""Every route declares who may use it, and the app enforces exactly that.

The table below is the contract: a route missing from it, or one whose
view declares nothing, fails. Each domain adds its routes here as it lands.
"""

from __future__ import annotations

import pytest

from reviewer.accounts.models import ROLES
from reviewer.web.access import Access, access_of

ANYONE = "anyone"
SIGNED_IN = "signed-in"
ADMIN = frozenset({"admin"})
STAFF = frozenset({"staff"})

EXPECTED: dict[str, str | frozenset[str]] = {
    "static": ANYONE,
    "accounts.login": ANYONE,
    "accounts.logout": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    # Single sign-on (issue 17): start at the provider, and its callback (404 unless OIDC_ISSUER is set).
    "sso.start": ANYONE,
    "sso.callback": ANYONE,
    "main.home": SIGNED_IN,
    "health.healthz": ANYONE,  # issue 7: load balancers' health check (database and scorer)
    "admin.index": ADMIN,
    "admin.users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.deactivate": ADMIN,
    "admin.reactivate": ADMIN,
    "admin.reset_password": ADMIN,
    "admin.groups": ADMIN,
    "admin.edit_group": ADMIN,
    "orgs.index": ADMIN,
    "orgs.new": ADMIN,
    "orgs.edit": ADMIN,
    # Staff pages (issue 5): inbox, inbound posts, the editor, drafts, the live check.
    "drafting.index": STAFF,
    "drafting.inbox": STAFF,
    "drafting.new_inbound": STAFF,
    "drafting.upload": STAFF,
    "drafting.post": STAFF,
    "drafting.compose": STAFF,
    "drafting.draft": STAFF,
    "drafting.mark_posted": STAFF,
    "drafting.check": STAFF,
    # Approver pages (issue 5): queues, the review page and its decisions, response times.
    "review.queue": frozenset({"approver"}),
    "review.draft": frozenset({"approver"}),
    "review.approve": frozenset({"approver"}),
    "review.reject": frozenset({"approver"}),
    "review.return_for_changes": frozenset({"approver"}),
    "review.edit": frozenset({"approver"}),
    "review.dashboard": frozenset({"approver", "admin", "auditor"}),
    # The JSON API: "signed in" means a bearer token (TokenAccess), never the cookie.
    "api.openapi_document": ANYONE,
    "api.accounts": SIGNED_IN,
    "api.check": frozenset({"staff", "approver"}),
    "api.create_inbound": frozenset({"staff"}),
    "api.create_draft": frozenset({"staff"}),
    "api.get_draft": frozenset({"staff", "approver", "auditor"}),
    "api.decide": frozenset({"approver"}),
    "api.queue": frozenset({"approver"}),
    # The audit browser (issue 6): auditors and admins.
    "audit.index": frozenset({"auditor", "admin"}),
    "audit.verify_chain": frozenset({"auditor", "admin"}),
    "audit.export_events": frozenset({"auditor", "admin"}),
    "audit.story": frozenset({"auditor", "admin"}),
    # Compliance reports (issue 6): the form, small reports at once, big ones as background jobs.
    "reports.index": frozenset({"auditor", "admin"}),
    "reports.generate": frozenset({"auditor", "admin"}),
    "reports.job": frozenset({"auditor", "admin"}),
    "reports.job_status": frozenset({"auditor", "admin"}),
    "reports.download": frozenset({"auditor", "admin"}),
    # Notifications (issue 17): each person's page and email choices; the admins' delivery state.
    "notify.index": SIGNED_IN,
    "notify.mark_read": SIGNED_IN,
    "notify.save_settings": SIGNED_IN,
    "notify.delivery": ADMIN,
    "notify.retry": ADMIN,
    "api_tokens.index": SIGNED_IN,
    "api_tokens.revoke": SIGNED_IN,
}

VISITORS = ("anonymous", *ROLES)
PLACEHOLDERS = {"int": 999999, "default": "placeholder", "path": "placeholder"}


def expected_allows(endpoint: str, visitor: str) -> bool:
    rule = EXPECTED[endpoint]
    if rule == ANYONE:
        return True
    if visitor == "anonymous":
        return False
    return rule == SIGNED_IN or visitor in rule


def declared(app, endpoint: str) -> Access | None:
    if endpoint == "static":  # Flask's own: public files
        return Access(anonymous=True)
    return access_of(app.view_functions[endpoint])


def test_every_route_is_in_the_table_and_declares_its_access(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - EXPECTED.keys() == set(), "routes missing from EXPECTED in this test"
    assert EXPECTED.keys() - endpoints == set(), "EXPECTED lists routes the app does not have"
    undeclared = sorted(e for e in endpoints if declared(app, e) is None)
    assert undeclared == [], "views that declare no access (use public / signed_in / role_required)"
    for endpoint in endpoints:
        access = declared(app, endpoint)
        for visitor in VISITORS:
            roles = None if visitor == "anonymous" else frozenset({visitor})
            assert access.allows(roles) == expected_allows(endpoint, visitor), (endpoint, visitor)


def _requests(app):
    """(endpoint, method, url) for every route, with placeholder arguments; logout last."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        values = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__.lower()
            values[name] = (
                "reviewer.css" if rule.endpoint == "static" else PLACEHOLDERS["int" if "integer" in converter else "default"]
            )
        method = "GET" if "GET" in rule.methods else "POST"
        found.append((rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)))
    return sorted(found, key=lambda item: (item[0] == "accounts.logout", item[0]))


def _token_route(app, endpoint: str) -> bool:
    """API views authenticate with a bearer token (reviewer.api.auth.TokenAccess), not the cookie."""
    return bool(getattr(declared(app, endpoint), "token", False))


@pytest.mark.parametrize("visitor", VISITORS)
def test_each_visitor_is_let_in_or_turned_away_as_the_table_says(app, make_user, login, db_session, visitor) -> None:
    from reviewer.api.services import create_token

    client = app.test_client()
    bearer: dict[str, str] = {}
    if visitor != "anonymous":
        user = make_user(f"matrix-{visitor}", roles=[visitor])
        assert login(client, user).status_code == 302
        db_session.commit()  # end the read snapshot the sign-in outdated
        bearer = {"Authorization": f"Bearer {create_token(db_session, None, user, 'matrix').secret}"}
        db_session.commit()
    for endpoint, method, url in _requests(app):
        token_route = _token_route(app, endpoint)
        response = client.open(url, method=method, headers=bearer if token_route else {})
        response.close()
        sent_to_login = response.status_code == 302 and response.location.startswith("/login?next=")
        denied = sent_to_login or response.status_code in (401, 403)
        if expected_allows(endpoint, visitor):
            assert not denied, f"{visitor} was refused {method} {url} ({response.status_code})"
            assert response.status_code < 500, f"{method} {url} failed for {visitor}"
        elif visitor == "anonymous" and token_route:
            assert response.status_code == 401, f"anonymous {method} {url} got {response.status_code}, not 401"
        elif visitor == "anonymous":
            assert sent_to_login, f"anonymous {method} {url} got {response.status_code}, not a redirect to sign in"
        else:
            assert response.status_code == 403, f"{visitor} {method} {url} got {response.status_code}, not 403"
