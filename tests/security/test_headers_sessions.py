"""Security headers on every page each role can open, pages with no inline script or style, and the session cookie's life.

The crawl requests every GET route each role may use (with real ids), plus
the pages reached with query strings, and parses each HTML answer: a page
with an inline <script>, an on* handler, a style= attribute, a <style>
block or a javascript: URL would need 'unsafe-inline' in the CSP, which the
app must never need.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest
import route_table
from html_checks import foreign_elements, inline_problems
from sqlalchemy import select

from reviewer.web.headers import CONTENT_SECURITY_POLICY

ROLE_USERS = {"staff": "staff_a", "approver": "comms", "auditor": "auditor", "admin": "admin"}


def test_the_finder_finds_what_it_looks_for() -> None:
    page = '<p style="x" onclick="y"><a href=" JavaScript:alert(1)">a</a><script>1</script><style>p{}</style><script src="/s.js"></script>'
    assert inline_problems(page) == [
        "<p style=...>", "<p onclick=...> handler", "<a href=' JavaScript:alert(1)'>", "inline <script> (no src)",
        "a <script> with a body", "<style> block",
    ]
    assert inline_problems('<script src="/static/x.js"></script><p class="on">onload</p>') == []
    assert foreign_elements('<svg></svg><img src="x"><img src="/static/a.png"><iframe></iframe>') == ["svg", "img src='x'", "iframe"]


def _pages_for(app: Any, world: Any, role: str) -> list[str]:
    """Every GET route `role` may use, with real ids, plus pages that need a query string."""
    from reviewer.accounts.models import ApproverGroup

    group_id = world.db.scalar(select(ApproverGroup.id).where(ApproverGroup.name == "comms"))
    values = {
        "account_id": world.account_a.id, "post_id": world.post_a.id, "draft_id": world.pending_a.id,
        "user_id": world.staff_b.id, "group_id": group_id, "token_id": 1, "job_id": "0" * 32, "filename": "reviewer.css",
    }
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.startswith("api."):
            continue
        if route_table.expected_allows(rule.endpoint, role):
            urls.append(adapter.build(rule.endpoint, {n: values[n] for n in rule.arguments}, method="GET"))
    extra = {
        "staff": [f"/drafts/{world.versions_a.id}?from=1&to=2", f"/inbox/{world.account_a.id}?answered=1"],
        "approver": [f"/review/?group=comms&account={world.account_a.id}", "/review/response-times?since=2026-01-01"],
        "auditor": [f"/audit/?draft={world.pending_a.id}", f"/audit/drafts/{world.pending_a.id}", "/audit/?action=draft.created"],
        "admin": [f"/admin/accounts/{world.account_a.id}", f"/admin/users/{world.staff_a.id}"],
    }
    return urls + extra[role]


@pytest.fixture
def world(two_orgs, db_session, make_draft, checker):
    from reviewer.drafting.services import revise_draft

    two_orgs.db = db_session
    two_orgs.versions_a = make_draft("draft", account=two_orgs.account_a, author=two_orgs.staff_a)
    revise_draft(db_session, two_orgs.staff_a, checker, two_orgs.versions_a, "A second, longer version of this reply.")
    db_session.commit()
    return two_orgs


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_every_page_a_role_opens_has_the_headers_and_nothing_inline(secure_app, world, web_as, role) -> None:
    web = web_as(getattr(world, ROLE_USERS[role]))
    html_pages = 0
    for url in _pages_for(secure_app, world, role):
        response = web.get(url)
        response.close()
        assert response.status_code < 500, url
        _assert_security_headers(response, url)
        if response.mimetype == "text/html" and response.status_code == 200:
            page = response.get_data(as_text=True)
            assert inline_problems(page) == [] and foreign_elements(page) == [], f"{role} {url}"
            html_pages += 1
    assert html_pages >= 4, f"only {html_pages} HTML pages answered 200 for {role}"


def test_anonymous_pages_errors_api_and_static_carry_the_headers(secure_app) -> None:
    client = secure_app.test_client()
    for url in ("/login", "/no/such/page", "/static/reviewer.css", "/api/v1/openapi.json", "/api/v1/accounts", "/inbox/"):
        response = client.get(url)
        response.close()
        _assert_security_headers(response, url)
    assert inline_problems(client.get("/login").get_data(as_text=True)) == []
    assert inline_problems(client.get("/no/such/page").get_data(as_text=True)) == []


def _assert_security_headers(response: Any, url: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp == CONTENT_SECURITY_POLICY, url
    directives = {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in csp.split("; ")}
    for directive in ("script-src", "style-src", "default-src"):
        assert "unsafe-inline" not in directives.get(directive, "") and "unsafe-eval" not in directives.get(directive, "")
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert headers["X-Frame-Options"] == "DENY", url
    assert headers["X-Content-Type-Options"] == "nosniff", url
    assert "Strict-Transport-Security" not in headers, f"{url}: HSTS on plain HTTP"


def test_hsts_and_secure_cookies_only_behind_tls(make_app, make_user) -> None:
    user = make_user("tls-user", roles=["staff"])
    plain = make_app()
    tls = make_app(SESSION_COOKIE_SECURE=True)
    for app, secure in ((plain, False), (tls, True)):
        client = app.test_client()
        login_page = client.get("/login")
        assert ("Strict-Transport-Security" in login_page.headers) is secure
        if secure:
            assert login_page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        response = client.post("/login", data={"username": user.username, "password": user.test_password})
        assert response.status_code == 302
        cookie = _session_cookie(response)
        assert cookie["httponly"] is True and cookie["samesite"] == "Lax" and cookie["path"] == "/"
        assert bool(cookie["secure"]) is secure
        assert cookie["expires"], "the session cookie must expire (PERMANENT_SESSION_LIFETIME), not live forever"


def _session_cookie(response: Any) -> dict:
    """The Set-Cookie of the session cookie, as {value, httponly, samesite, secure, path, expires}."""
    for header in response.headers.getlist("Set-Cookie"):
        jar = SimpleCookie()
        jar.load(header)
        if "reviewer_session" in jar:
            morsel = jar["reviewer_session"]
            return {
                "value": morsel.value,
                "httponly": morsel["httponly"] is True or "httponly" in header.lower(),
                "samesite": morsel["samesite"],
                "secure": "secure" in header.lower().split("; "),
                "path": morsel["path"],
                "expires": morsel["expires"],
            }
    raise AssertionError(f"no session cookie set: {response.headers.getlist('Set-Cookie')}")


def test_no_remember_me_cookie_is_ever_set(app, make_user) -> None:
    user = make_user("no-remember", roles=["staff"])
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": user.test_password, "remember": "y"})
    assert response.status_code == 302
    names = [header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")]
    assert names == ["reviewer_session"], names


# --- Session fixation and logout -------------------------------------------------------------


def _cookie_value(client: Any) -> str | None:
    cookie = client.get_cookie("reviewer_session")
    return cookie.value if cookie is not None else None


def test_a_session_planted_before_sign_in_is_not_the_one_after(app, make_user) -> None:
    user = make_user("fixation", roles=["staff"])
    victim = app.test_client()
    with victim.session_transaction() as planted:
        planted["planted_by_attacker"] = "x"
        planted["_user_id"] = "999:forged"
    before = _cookie_value(victim)
    assert victim.post("/login", data={"username": user.username, "password": user.test_password}).status_code == 302
    after = _cookie_value(victim)
    assert after and after != before
    with victim.session_transaction() as session:
        assert "planted_by_attacker" not in session, "sign-in must start a fresh session"
        assert session["_user_id"] == user.get_id() and session["_fresh"] is True
        assert session.permanent
    attacker = app.test_client()
    attacker.set_cookie("reviewer_session", before)
    response = attacker.get("/inbox/")
    assert response.status_code == 302 and response.location.startswith("/login"), "the planted cookie was signed in"


def test_signing_in_as_someone_else_replaces_the_identity(app, make_user) -> None:
    first, second = make_user("first-user", roles=["staff"]), make_user("second-user", roles=["auditor"])
    client = app.test_client()
    assert client.post("/login", data={"username": first.username, "password": first.test_password}).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"username": second.username, "password": second.test_password}).status_code == 302
    with client.session_transaction() as session:
        assert session["_user_id"] == second.get_id()


def test_logout_clears_the_cookie_and_the_old_cookie_no_longer_signs_in(app, make_user) -> None:
    """A cookie copied before sign-out (a shared computer, a stolen cookie) must not work after it."""
    user = make_user("leaver", roles=["staff"])
    client = app.test_client()
    assert client.post("/login", data={"username": user.username, "password": user.test_password}).status_code == 302
    signed_in_cookie = _cookie_value(client)
    assert client.get("/inbox/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/inbox/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("reviewer_session", signed_in_cookie)
    response = replay.get("/inbox/")
    assert response.status_code == 302 and response.location.startswith("/login"), "the cookie still works after sign-out"


def test_a_password_change_ends_other_sessions(app, make_user) -> None:
    user = make_user("changer", roles=["staff"])
    here, elsewhere = app.test_client(), app.test_client()
    for client in (here, elsewhere):
        assert client.post("/login", data={"username": user.username, "password": user.test_password}).status_code == 302
    new = "a-brand-new-password-1"
    response = here.post("/account/password", data={"current_password": user.test_password, "new_password": new, "confirm": new})
    assert response.status_code == 302
    assert here.get("/inbox/").status_code == 200
    assert elsewhere.get("/inbox/").status_code == 302


def _signed_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"username": user.username, "password": user.test_password}).status_code == 302
    return client


def _age_the_sign_in(client, seconds: int) -> None:
    """Move the sign-in time back, as though it happened `seconds` ago (the cookie is the app's, signed)."""
    with client.session_transaction() as session:
        session["signed_in_at"] -= seconds


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(app, make_user) -> None:
    user = make_user("allday", roles=["staff"])
    client = _signed_in(app, user)
    _age_the_sign_in(client, 12 * 60 * 60 - 60)
    assert client.get("/inbox/").status_code == 200, "used all along: the 8-hour sliding window keeps it open"
    _age_the_sign_in(client, 61)
    response = client.get("/inbox/")
    assert response.status_code == 302 and response.location.startswith("/login"), "signed in 12 hours ago: it must end"


def test_the_absolute_session_lifetime_is_a_setting(make_app, make_user) -> None:
    app = make_app(SESSION_ABSOLUTE_LIFETIME=3600)
    user = make_user("shortday", roles=["staff"])
    client = _signed_in(app, user)
    _age_the_sign_in(client, 3590)
    assert client.get("/inbox/").status_code == 200
    _age_the_sign_in(client, 11)
    assert client.get("/inbox/").status_code == 302


def test_a_session_without_a_sign_in_time_is_not_signed_in(app, make_user) -> None:
    user = make_user("undated", roles=["staff"])
    client = _signed_in(app, user)
    with client.session_transaction() as session:
        del session["signed_in_at"]
    assert client.get("/inbox/").status_code == 302
