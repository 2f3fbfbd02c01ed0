"""The sign-in and admin journeys in a real Chromium, with screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# The password of every user the live app starts with (tests/browser/conftest.py).
PASSWORD = "browser-test-password"


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_and_out(page: Page, shots) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    shots.take(page, "login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    sign_in(page, "sam")
    expect(page.get_by_role("heading", name="Welcome, Sam Patel")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Signed in as Sam Patel.")).to_be_visible()
    shots.take(page, "home-staff")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_wrong_passwords_lock_the_account_and_say_until_when(page: Page, shots) -> None:
    for _ in range(4):
        sign_in(page, "throttled", "not-the-password")
        expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    sign_in(page, "throttled", "not-the-password")
    expect(page.get_by_text(re.compile(r"Too many failed sign-in attempts\. Try again in 15 minutes"))).to_be_visible()
    sign_in(page, "throttled")  # the right password, still locked
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-in attempts")
    shots.take(page, "login-throttled")


def test_admin_creates_a_user_who_then_chooses_a_password(page: Page, browser, base_url, shots) -> None:
    sign_in(page, "aroha")
    shots.take(page, "home-admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    shots.take(page, "admin-index")
    page.get_by_role("link", name="Users", exact=True).click()
    shots.take(page, "admin-users")
    page.get_by_role("link", name="Create a user").click()
    page.get_by_label("Username").fill("lee.chen")
    page.get_by_label("Full name").fill("Lee Chen")
    page.get_by_label("Email").fill("lee@example.org")
    page.get_by_role("group", name="Roles").get_by_label("Approver").check()
    page.get_by_role("group", name="Approver groups").get_by_label("safeguarding").check()
    shots.take(page, "admin-new-user")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="User created")).to_be_visible()
    password = page.locator("#one-time-password").inner_text()
    shots.take(page, "admin-one-time-password")

    other = browser.new_context(base_url=base_url)
    try:
        newcomer = other.new_page()
        sign_in(newcomer, "lee.chen", password)
        expect(newcomer).to_have_url(re.compile(r"/account/password$"))
        expect(newcomer.get_by_text("You signed in with a one-time password")).to_be_visible()
        shots.take(newcomer, "change-password")
        newcomer.get_by_label("Current password").fill(password)
        newcomer.get_by_label("New password", exact=True).fill("lee-chose-this-one")
        newcomer.get_by_label("New password again").fill("lee-chose-this-one")
        newcomer.get_by_role("button", name="Change password").click()
        expect(newcomer.get_by_role("heading", name="Welcome, Lee Chen")).to_be_visible()
        expect(newcomer.get_by_role("heading", name="Review queue")).to_be_visible()
    finally:
        other.close()

    page.goto("/admin/users")
    expect(page.get_by_role("row", name=re.compile("lee.chen"))).to_contain_text("safeguarding")


def test_admin_pages_for_groups_and_accounts(page: Page, shots) -> None:
    sign_in(page, "aroha")
    page.goto("/admin/groups")
    expect(page.get_by_role("cell", name="safeguarding", exact=True)).to_be_visible()
    shots.take(page, "admin-groups")
    page.goto("/admin/accounts/new")
    page.get_by_label("Name").fill("Harbour City Council on X")
    page.get_by_label("Platform").select_option("x")
    page.get_by_label("Handle").fill("@HarbourCityNZ")
    page.get_by_label("Policy file").select_option("city-council.yaml")
    page.get_by_role("group", name="Teams that may draft").get_by_label("comms").check()
    shots.take(page, "admin-account-form")
    page.get_by_role("button", name="Save account").click()
    expect(page.get_by_role("cell", name="@HarbourCityNZ")).to_be_visible()
    shots.take(page, "admin-accounts")


def test_staff_are_denied_the_admin_area(page: Page, shots) -> None:
    sign_in(page, "sam")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_have_count(0)
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    shots.take(page, "forbidden")
