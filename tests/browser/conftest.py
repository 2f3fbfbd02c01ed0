"""Playwright harness: the real app served on a free loopback port, driven by Debian's Chromium.

One app, one database and one browser for the whole session (pytest-playwright
gives each test a fresh browser context). CSRF is on, as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from serving_kit import serving
from skips import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
PASSWORD = "browser-test-password"  # the test module's PASSWORD: keep them equal
SHIPPED_POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _root_conftest(config: pytest.Config):
    """tests/conftest.py (every conftest here is module `conftest`, so ask pytest for it)."""
    return config.pluginmanager.get_plugin(str(Path(__file__).resolve().parents[1] / "conftest.py"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, pytestconfig: pytest.Config) -> dict:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, policy_dir: Path, pytestconfig: pytest.Config):
    """The app on a migrated temp SQLite database, with a user for each part of the tests."""
    from reviewer import create_app
    from reviewer.accounts.services import create_user
    from reviewer.db import app_session, get_database, upgrade

    folder = tmp_path_factory.mktemp("live")
    config = _root_conftest(pytestconfig).app_config(
        folder / "instance", f"sqlite:///{folder / 'reviewer.sqlite3'}", policy_dir, WTF_CSRF_ENABLED=True, TESTING=False
    )
    app = create_app(config)
    upgrade(app)
    with app_session(app) as session:
        for username, name, roles, groups in (
            ("aroha", "Aroha Ngata", ["admin"], []),
            ("sam", "Sam Patel", ["staff"], []),
            ("throttled", "Terry Locked", ["staff"], []),
            ("mere", "Mere Tainui", ["approver"], ["comms"]),
        ):
            create_user(session, None, username, PASSWORD, roles, groups, display_name=name)
        session.commit()
    yield app
    get_database(app).engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_app) -> Iterator[str]:
    """Serve the app on a free loopback port for the whole session (overrides pytest-playwright's)."""
    with serving(live_app) as url:
        yield url


def sign_in(page, username: str, password: str = PASSWORD, url: str = "") -> None:
    """Fill and send the login form (at `url`, or the page's base URL); the caller checks where it lands."""
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def console_problem(message) -> bool:
    """A console error other than the browser asking for a favicon the app does not have."""
    return message.type == "error" and "favicon" not in (message.location or {}).get("url", "")


def add_people(session, people: dict, password: str = PASSWORD) -> dict:
    """Users from {username: (display name, roles, groups)}, all with `password`; returns them by username."""
    from reviewer.accounts.services import create_user

    return {
        username: create_user(session, None, username, password, roles, groups, display_name=name)
        for username, (name, roles, groups) in people.items()
    }


def add_harbour_account(session):
    """Harbour City Council (@HarbourCityNZ on X), checked with the shipped city-council policy."""
    from reviewer.orgs.services import create_account

    return create_account(
        session, None, name="Harbour City Council", platform="x", handle="@HarbourCityNZ",
        policy_file="city-council.yaml", policy_dir=SHIPPED_POLICIES, groups=[], active=True,
    )


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> SimpleNamespace:
    """The kit for modules that serve their own app with the shipped policies (real findings), CSRF on.

    `with shipped.site("name") as site:` gives a fresh migrated app on its own temp
    SQLite database, served on a loopback port (`site.app`, `site.url`) until the
    block ends; `add_people`, `add_harbour_account`, `sign_in` and
    `console_problem` are the steps every such module repeats; `serve` and
    `policies` are for a module that builds its app itself. The browser
    itself stays pytest-playwright's one Chromium per session.
    """

    @contextmanager
    def site(name: str) -> Iterator[SimpleNamespace]:
        from reviewer import create_app
        from reviewer.db import get_database, upgrade

        folder = tmp_path_factory.mktemp(name)
        config = _root_conftest(pytestconfig).app_config(
            folder / "instance", f"sqlite:///{folder / 'reviewer.sqlite3'}", SHIPPED_POLICIES,
            WTF_CSRF_ENABLED=True, TESTING=False,
        )
        app = create_app(config)
        upgrade(app)
        try:
            with serving(app, f"{name}-server") as url:
                yield SimpleNamespace(app=app, url=url)
        finally:
            get_database(app).engine.dispose()

    return SimpleNamespace(
        site=site, add_people=add_people, add_harbour_account=add_harbour_account,
        sign_in=sign_in, console_problem=console_problem, password=PASSWORD,
        serve=serving, policies=SHIPPED_POLICIES,
    )


@pytest.fixture
def shots(artifacts_dir: Path):
    """shots.take(page, "login"): a full-page screenshot in test-artifacts/."""

    def take(page, name: str) -> Path:
        path = artifacts_dir / f"screen-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return SimpleNamespace(take=take)
