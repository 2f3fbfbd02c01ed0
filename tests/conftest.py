"""Fixtures shared by every test layer.

Layer-specific fixtures live beside their tests (tests/unit/..., tests/web/...).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from skips import skip_or_fail
from sqlalchemy import create_engine, make_url, select

pytest_plugins = ["fixtures_workflow"]  # drafting and review factories (issue 5)

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
ARTIFACTS = ROOT / "test-artifacts"



def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Skips as one line per reason with its count, so they never bury a failure (addopts shows -rfE only)."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.section(f"{sum(reasons.values())} skipped, by reason", sep="-")
        for reason, count in reasons.most_common():
            terminalreporter.line(f"{count:5d}  {reason}")


class RedisServer(NamedTuple):
    url: str
    process: subprocess.Popen


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server of this test's own (no persistence) on a free loopback port, stopped afterwards.

    Missing redis-server or the redis client: skipped locally, a failure in CI.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        skip_or_fail("redis-server is not installed (scripts/system-deps installs it)")
    try:
        import redis
    except ImportError:
        skip_or_fail("the redis client is not installed: pip install redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"redis-server on port {port} did not answer within 10 s")
                time.sleep(0.05)
        yield RedisServer(url, process)
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# --- The app on each database ------------------------------------------------
#
# `app` runs every test that uses it on SQLite (a temp file copied from one
# migrated template, so each test starts from a freshly migrated database)
# and on PostgreSQL when REVIEWER_TEST_POSTGRES_URL is set (each test in a
# throwaway schema, migrated with `upgrade(app)`).

# Cheap argon2 for tests only (the app's defaults cost about 170 ms a hash).
CHEAP_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
TEST_PASSWORD = "correct-horse-battery"
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A policy folder with the two file names the demo looks for (accounts only list them)."""
    folder = tmp_path_factory.mktemp("policies")
    for name in ("city-council.yaml", "government.yaml"):
        (folder / name).write_text(f"id: {name.removesuffix('.yaml')}\nversion: '1'\nrules: []\n", encoding="utf-8")
    return folder


def app_config(instance: Path, database_url: str, policy_dir: Path, **extra: object) -> dict:
    """The test_config every test app uses; `extra` overrides."""
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "WTF_CSRF_ENABLED": False,  # the CSRF tests turn it back on
        "PASSWORD_HASH_PARAMS": CHEAP_HASH_PARAMS,
        "POLICY_DIR": str(policy_dir),
        "SCHEMA_CHECK": False,  # tests migrate first, then check (see `app`)
        "RATELIMIT_ENABLED": False,  # tests sign in many times; tests/web/test_rate_limits.py turns it on
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, policy_dir: Path) -> Path:
    """One SQLite database migrated to head; each test gets a copy."""
    from reviewer import create_app
    from reviewer.db import get_database, upgrade

    folder = tmp_path_factory.mktemp("template")
    path = folder / "reviewer.sqlite3"
    app = create_app(app_config(folder / "instance", f"sqlite:///{path}", policy_dir))
    upgrade(app)
    get_database(app).engine.dispose()  # checkpoints the WAL into the file
    return path


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL whose search_path is a throwaway schema, dropped after the test."""
    base = os.environ.get("REVIEWER_TEST_POSTGRES_URL")
    if not base:
        skip_or_fail("REVIEWER_TEST_POSTGRES_URL is not set: no PostgreSQL to test on")
    schema = f"test_{secrets.token_hex(6)}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty-or-migrated database URL: SQLite (migrated copy) or PostgreSQL (empty schema)."""
    if request.param == "sqlite":
        path = tmp_path / "reviewer.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def make_app(database_url: str, tmp_path: Path, policy_dir: Path) -> Iterator[Callable[..., object]]:
    """make_app(**config): another app on this test's database, e.g. make_app(SESSION_COOKIE_SECURE=True)."""
    from reviewer import create_app
    from reviewer.db import check_schema, get_database, upgrade

    made = []

    def make(**extra: object):
        # One instance folder per test: every app shares its audit key.
        app = create_app(app_config(tmp_path / "instance", database_url, policy_dir, **extra))
        made.append(app)
        upgrade(app)  # a no-op on the migrated SQLite copy
        check_schema(app)
        return app

    yield make
    for app in made:
        get_database(app).engine.dispose()


@pytest.fixture
def app(make_app):
    """The real app on a migrated database, CSRF off (the CSRF tests use `csrf_app`)."""
    return make_app()


@pytest.fixture
def csrf_app(make_app):
    """The real app with CSRF protection on, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    """A Session outside any request, for arranging and checking.

    It begins SQLite transactions DEFERRED, so reading here never blocks a
    request that writes. Factories commit; call `db_session.rollback()`
    before reading what a request changed (SQLite keeps the read snapshot
    of an open transaction until then).
    """
    from reviewer.db import get_database

    database = get_database(app)
    with database.sessions(bind=database.readonly_engine) as session:  # no app context: requests get their own
        yield session


@pytest.fixture
def make_user(db_session) -> Callable[..., object]:
    """make_user("sam", roles=["staff"], groups=["comms"]): a committed, active user
    whose password is TEST_PASSWORD (or `password=`), kept on `user.test_password`."""
    from reviewer.accounts.services import create_user

    def make(
        username: str | None = None,
        roles: list[str] | tuple[str, ...] = ("staff",),
        groups: list[str] | tuple[str, ...] = (),
        password: str = TEST_PASSWORD,
        **fields: object,
    ):
        username = username or f"user{secrets.token_hex(3)}"
        db_session.commit()  # end any read snapshot, so this write sees the latest data
        user = create_user(db_session, None, username, password, roles, groups, **fields)
        db_session.commit()
        user.test_password = password
        return user

    return make


@pytest.fixture
def make_account(db_session, policy_dir: Path) -> Callable[..., object]:
    """make_account(handle="@HarbourCityNZ", platform="x", groups=[...]): a committed organisation account."""
    from reviewer.orgs.services import create_account

    def make(
        handle: str | None = None,
        platform: str = "x",
        name: str | None = None,
        policy_file: str = "city-council.yaml",
        groups: list[str] | tuple[str, ...] = (),
        active: bool = True,
    ):
        handle = handle or f"@acct{secrets.token_hex(3)}"
        db_session.commit()  # end any read snapshot, so this write sees the latest data
        account = create_account(
            db_session,
            None,
            name=name or f"Account {handle}",
            platform=platform,
            handle=handle,
            policy_file=policy_file,
            policy_dir=policy_dir,
            groups=groups,
            active=active,
        )
        db_session.commit()
        return account

    return make


def sign_in(client, user, password: str | None = None, follow_redirects: bool = False):
    """Sign `user` in through the real login form; returns the response."""
    return client.post(
        "/login",
        data={"username": user.username, "password": password or getattr(user, "test_password", TEST_PASSWORD)},
        follow_redirects=follow_redirects,
    )


@pytest.fixture
def login() -> Callable[..., object]:
    """login(client, user): sign in through the real form (see `sign_in`)."""
    return sign_in


@pytest.fixture
def audit_actions(db_session) -> Callable[[], list[str]]:
    """audit_actions(): the action of every audit event so far, oldest first."""
    from reviewer.audit import AuditEvent

    def actions() -> list[str]:
        db_session.rollback()
        return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))

    return actions


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A tiny static encoder built by the tests, loaded through the product's StaticEncoder."""
    from reviewer.encoder.static import StaticEncoder
    from encoder_kit import build_tiny_encoder

    return StaticEncoder(build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder")))


@pytest.fixture(scope="session")
def embedded_encoder():
    """The real embedded encoder (all-MiniLM-L6-v2 distilled; built by `make test`)."""
    from reviewer.encoder import load_encoder

    return load_encoder("embedded")
