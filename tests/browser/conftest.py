"""Playwright harness: the real app served on a free loopback port, driven by Debian's Chromium.

One app, one database and one browser for the whole session (pytest-playwright
gives each test a fresh browser context). CSRF is on, as in production.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

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


def _root_conftest(config: pytest.Config):  # noqa: ANN202
    """tests/conftest.py (every conftest here is module `conftest`, so ask pytest for it)."""
    return config.pluginmanager.get_plugin(str(Path(__file__).resolve().parents[1] / "conftest.py"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, pytestconfig: pytest.Config) -> dict:
    if not CHROMIUM.exists():
        _root_conftest(pytestconfig).skip_or_fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, policy_dir: Path, pytestconfig: pytest.Config):  # noqa: ANN201
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
def base_url(live_app) -> Iterator[str]:  # noqa: ANN001
    """Serve the app on a free loopback port for the whole session (overrides pytest-playwright's)."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def shots(artifacts_dir: Path):  # noqa: ANN201
    """shots.take(page, "login"): a full-page screenshot in test-artifacts/."""

    def take(page, name: str) -> Path:  # noqa: ANN001
        path = artifacts_dir / f"screen-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return SimpleNamespace(take=take)
