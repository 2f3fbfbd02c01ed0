"""Single sign-on in a real Chromium against a real OpenID provider (oidc-provider, tests/oidc_provider).

The whole flow: the login page's button, the provider's own sign-in form,
the callback, provisioning, roles that follow the provider at each sign-in,
and RP-initiated sign-out. Then the failure paths, each through the same
browser flow: ID tokens the provider is told to spoil (bad signature, wrong
audience, expired), a replayed callback (state), a person in no mapped group,
a person removed at the provider. Every outcome is checked in the audit log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from oidc_kit import PEOPLE, OpenIdProvider, require_provider

pytestmark = pytest.mark.browser

BREAK_GLASS_PASSWORD = "break-glass-password-0123"


class LateApp:
    """A WSGI app set after the server starts: the provider needs the site's URL, the site the provider's."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def site(shipped, tmp_path_factory, pytestconfig: pytest.Config) -> Iterator[SimpleNamespace]:
    from reviewer import create_app
    from reviewer.accounts.services import create_user
    from reviewer.db import app_session, get_database, upgrade

    require_provider()
    root = pytestconfig.pluginmanager.get_plugin(str(Path(__file__).resolve().parents[1] / "conftest.py"))
    folder = tmp_path_factory.mktemp("sso-site")
    late = LateApp()
    with shipped.serve(late, "sso-server") as url:
        provider = OpenIdProvider.start(
            folder / "provider", redirect_uri=f"{url}/login/sso/callback", post_logout_uri=f"{url}/login"
        )
        try:
            config = root.app_config(
                folder / "instance", f"sqlite:///{folder / 'reviewer.sqlite3'}", shipped.policies,
                WTF_CSRF_ENABLED=True, TESTING=False, **provider.app_settings(),
            )
            app = create_app(config)
            upgrade(app)
            with app_session(app) as session:
                create_user(session, None, "breakglass", BREAK_GLASS_PASSWORD, ["admin"], [], display_name="Break Glass")
                session.commit()
            late.app = app
            yield SimpleNamespace(app=app, url=url, provider=provider)
            get_database(app).engine.dispose()
        finally:
            provider.stop()


@pytest.fixture
def provider(site) -> Iterator[OpenIdProvider]:
    """The running provider, its people and faults put back after each test."""
    yield site.provider
    site.provider.spoil_id_tokens(None)
    site.provider.people = json.loads(json.dumps(PEOPLE))
    site.provider.save_people()


def audit_since(site, seq: int) -> list[tuple[str, dict]]:
    from reviewer.audit import AuditEvent
    from reviewer.db import app_session

    with app_session(site.app) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq))
        return [(row.action, json.loads(row.data or "null") or {}) for row in rows]


def last_seq(site) -> int:
    from reviewer.audit import AuditEvent
    from reviewer.db import app_session

    with app_session(site.app) as session:
        return session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0


def user_named(site, username: str):
    from reviewer.accounts.services import get_user_by_username
    from reviewer.db import app_session

    with app_session(site.app) as session:
        user = get_user_by_username(session, username)
        return None if user is None else SimpleNamespace(
            roles=set(user.roles), groups=list(user.group_names), subject=user.oidc_subject, active=user.active
        )


def sign_in_at_provider(page: Page, site, login: str, password: str | None = None):
    """From the login page through the provider's form; returns the callback's response."""
    page.goto(f"{site.url}/login")
    page.get_by_role("link", name="Sign in with Test Provider").click()
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password or PEOPLE[login]["password"])
    with page.expect_response(re.compile(r"/login/sso/callback\?")) as callback:
        page.get_by_role("button", name="Sign in at the provider").click()
    return callback.value


def sign_out_everywhere(page: Page) -> None:
    """Sign out here, then confirm at the provider (RP-initiated logout), back on the login page."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign out of the test provider?")).to_be_visible()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(re.compile(r"/login(\?state=[\w-]+)?$"))  # the provider sends back the state Authlib gave it
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def expect_signed_out(page: Page, site) -> None:
    page.goto(f"{site.url}/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_first_sign_in_provisions_the_person_and_sign_out_ends_the_providers_session_too(page: Page, site, provider, shots) -> None:
    seq = last_seq(site)
    page.goto(f"{site.url}/login")
    shots.take(page, "sso-login")
    assert sign_in_at_provider(page, site, "alice").status == 302
    expect(page.get_by_role("heading", name="Welcome, Alice Admin")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_be_visible()
    alice = user_named(site, "alice")
    assert (alice.roles, alice.subject) == ({"admin"}, "sub-alice")
    events = audit_since(site, seq)
    assert [action for action, _ in events] == ["user.provisioned", "user.roles_changed", "auth.login"]
    assert events[0][1]["provider_groups"] == ["reviewer-admins"]
    assert events[1][1] == {"from": [], "to": ["admin"], "source": "oidc"}
    assert events[2][1]["method"] == "oidc"

    sign_out_everywhere(page)
    expect_signed_out(page, site)
    page.goto(f"{site.url}/login")
    page.get_by_role("link", name="Sign in with Test Provider").click()
    # The provider's session ended too: it asks for the password again instead of signing straight back in.
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()


def test_roles_follow_the_providers_groups_at_each_sign_in(page: Page, site, provider) -> None:
    sign_in_at_provider(page, site, "bob")
    expect(page.get_by_role("heading", name="Welcome, Bob Approver")).to_be_visible()
    bob = user_named(site, "bob")
    assert (bob.roles, bob.groups) == ({"approver", "staff"}, ["comms"])
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_have_count(0)
    sign_out_everywhere(page)

    provider.people["bob"]["groups"] = ["reviewer-admins"]  # an administrator moves Bob at the provider
    provider.save_people()
    seq = last_seq(site)
    sign_in_at_provider(page, site, "bob")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_be_visible()
    bob = user_named(site, "bob")
    assert (bob.roles, bob.groups) == ({"admin"}, [])
    changes = dict(audit_since(site, seq))
    assert changes["user.roles_changed"] == {"from": ["approver", "staff"], "to": ["admin"], "source": "oidc"}
    assert changes["user.groups_changed"] == {"from": ["comms"], "to": [], "source": "oidc"}
    assert "auth.login" in changes and "user.provisioned" not in changes


def test_a_person_taken_out_of_every_mapped_group_loses_access_at_the_next_sign_in(page: Page, site, provider, shots) -> None:
    sign_in_at_provider(page, site, "bob")
    expect(page.get_by_role("heading", name="Welcome, Bob Approver")).to_be_visible()
    sign_out_everywhere(page)
    provider.people["bob"]["groups"] = ["everyone"]
    provider.save_people()
    seq = last_seq(site)
    assert sign_in_at_provider(page, site, "bob").status == 403
    expect(page.get_by_role("heading", name="You cannot sign in here")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("in no group that gives access to this site")
    shots.take(page, "sso-refused")
    expect_signed_out(page, site)
    bob = user_named(site, "bob")
    assert (bob.roles, bob.groups) == (set(), [])
    actions = [action for action, _ in audit_since(site, seq)]
    assert actions == ["user.roles_changed", "user.groups_changed", "auth.sso_refused"]


def test_a_person_removed_at_the_provider_loses_access_at_the_next_sign_in(page: Page, site, provider) -> None:
    sign_in_at_provider(page, site, "bob")
    expect(page.get_by_role("heading", name="Welcome, Bob Approver")).to_be_visible()
    del provider.people["bob"]  # deleted at the provider while signed in there and here
    provider.save_people()
    # This site's session ends (it expired, or Bob closed the browser); the provider's cookie stays.
    page.context.clear_cookies(name="reviewer_session")
    expect_signed_out(page, site)
    page.get_by_role("link", name="Sign in with Test Provider").click()
    # The provider's session names an account it no longer has: it asks for a sign-in Bob cannot give.
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()
    page.get_by_label("Login").fill("bob")
    page.get_by_label("Password").fill(PEOPLE["bob"]["password"])
    page.get_by_role("button", name="Sign in at the provider").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown login or wrong password.")
    expect_signed_out(page, site)


def test_a_person_in_no_mapped_group_is_refused_and_not_provisioned(page: Page, site, provider) -> None:
    seq = last_seq(site)
    assert sign_in_at_provider(page, site, "carol").status == 403
    expect(page.get_by_role("alert")).to_contain_text("in no group that gives access to this site")
    expect_signed_out(page, site)
    assert user_named(site, "carol") is None
    (action, data), = audit_since(site, seq)
    assert action == "auth.sso_refused"
    assert (data["reason"], data["username"], data["provider_groups"]) == ("no_mapped_group", "carol", ["everyone"])


@pytest.mark.parametrize(("fault", "error"), [
    ("bad_signature", "BadSignatureError"),
    ("wrong_audience", "InvalidClaimError: invalid_claim: Invalid claim: 'aud'"),
    ("expired", "ExpiredTokenError"),
])
def test_an_id_token_that_fails_a_check_signs_nobody_in(page: Page, site, provider, shots, fault: str, error: str) -> None:
    provider.spoil_id_tokens(fault)
    seq = last_seq(site)
    assert sign_in_at_provider(page, site, "alice").status == 401
    expect(page.get_by_role("heading", name="The sign-in could not be verified")).to_be_visible()
    shots.take(page, f"sso-{fault}")
    expect_signed_out(page, site)
    (action, data), = audit_since(site, seq)
    assert (action, data["reason"]) == ("auth.sso_failed", "id_token")
    assert data["detail"].startswith(error), data["detail"]


def test_a_replayed_callback_is_refused_in_the_same_browser_and_in_another(page: Page, site, provider, browser) -> None:
    callback = sign_in_at_provider(page, site, "alice")
    expect(page.get_by_role("heading", name="Welcome, Alice Admin")).to_be_visible()
    seq = last_seq(site)
    again = page.goto(callback.url)
    assert again is not None and again.status == 400
    expect(page.get_by_role("heading", name="This sign-in link has expired")).to_be_visible()
    other = browser.new_context()
    try:
        stolen = other.new_page()
        assert stolen.goto(callback.url).status == 400
        expect_signed_out(stolen, site)
    finally:
        other.close()
    assert [(action, data["reason"]) for action, data in audit_since(site, seq)] == [
        ("auth.sso_failed", "state"), ("auth.sso_failed", "state")]


def test_local_sign_in_is_for_break_glass_and_can_be_turned_off(page: Page, site, provider) -> None:
    page.goto(f"{site.url}/login")
    page.get_by_label("Username").fill("breakglass")
    page.get_by_label("Password").fill(BREAK_GLASS_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Welcome, Break Glass")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()  # a local account: no provider to sign out of
    expect(page).to_have_url(re.compile(r"/login$"))
    site.app.config["LOCAL_LOGIN"] = False
    try:
        page.goto(f"{site.url}/login")
        expect(page.get_by_role("link", name="Sign in with Test Provider")).to_be_visible()
        expect(page.get_by_label("Username")).to_have_count(0)
        expect(page.get_by_role("heading", name="Or with a local account")).to_have_count(0)
    finally:
        site.app.config["LOCAL_LOGIN"] = True


def test_a_person_in_hundreds_of_groups_stays_signed_in_and_signs_out_at_the_provider(page: Page, site, provider) -> None:
    """Entra ID puts up to 200 group ids in an ID token: far more than a 4 KB session cookie holds."""
    import uuid

    provider.people["dana"] = {
        "password": "dana-at-provider", "name": "Dana Many-Groups", "email": "dana@agency.example",
        "groups": ["reviewer-admins", *(str(uuid.uuid4()) for _ in range(200))],
    }
    provider.save_people()
    sign_in_at_provider(page, site, "dana", "dana-at-provider")
    expect(page.get_by_role("heading", name="Welcome, Dana Many-Groups")).to_be_visible()
    page.goto(f"{site.url}/audit/")  # still signed in on the next page
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    sign_out_everywhere(page)
    page.goto(f"{site.url}/login")
    page.get_by_role("link", name="Sign in with Test Provider").click()
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()
