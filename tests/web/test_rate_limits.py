"""Rate limits on POST /login (per address) and /api/v1 (per token id, else per address).

The real app with RATELIMIT_ENABLED (the shared test config turns it off),
counting in the SQLite jobs file or in a real redis-server started on a
free port (skipped locally when redis-server is missing, failing in CI).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ACCOUNTS = "/api/v1/accounts"
FLOOD_LOGS = ("flask-limiter", "reviewer.web.ratelimit")

# Each test here runs on SQLite only: the limits do not live in the app's database.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def limited_app(make_app) -> Callable[..., Any]:
    """limited_app(**config): the app with rate limits on (tiny limits unless given)."""

    def make(**config: object) -> Any:
        settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute", "RATELIMIT_API": "5 per minute"}
        settings.update(config)
        return make_app(**settings)

    return make


@pytest.fixture
def make_token(db_session) -> Callable[..., tuple[str, int]]:
    """make_token(user): a committed API token; returns (secret, token id)."""
    from reviewer.api.services import create_token

    def make(user: Any) -> tuple[str, int]:
        db_session.commit()
        new = create_token(db_session, None, user, "rate limit tests")
        db_session.commit()
        return new.secret, new.token.id

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def sign_in(client: Any, username: str, password: str, **kwargs: Any) -> Any:
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def audit_count(db_session, action: str) -> int:
    from sqlalchemy import func, select

    from reviewer.audit.models import AuditEvent

    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def counter_keys(instance: Path) -> list[str]:
    with sqlite3.connect(instance / "jobs.sqlite3") as db:
        keys = [key for (key,) in db.execute("SELECT key FROM ratelimit_counters ORDER BY key")]
    db.close()
    return keys


# --- signing in ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_login_flood_gets_the_form_again_with_429_then_signs_in_after_the_window(
    limited_app, make_user, db_session
) -> None:
    app = limited_app(RATELIMIT_LOGIN="3 per 2 seconds")
    user = make_user("rosa")
    client = app.test_client()
    assert client.get("/login").status_code == 200  # showing the form is not counted
    answers = [sign_in(client, "rosa", "wrong password") for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "3" and "Retry-After" not in a.headers for a in answers)

    refused = sign_in(client, "rosa", user.test_password, query_string={"next": "/review/"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    page = refused.get_data(as_text=True)
    assert "Too many sign-in attempts from your network" in page
    assert re.search(r'id="username"[^>]*value="rosa"', page), "the username is kept"
    assert re.search(r'id="password"[^>]*value=""', page), "the password is not sent back"
    assert audit_count(db_session, "auth.login_failed") == 3, "the refused attempt never reached the password check"
    assert audit_count(db_session, "auth.login") == 0

    time.sleep(int(refused.headers["Retry-After"]) + 0.1)
    signed_in = sign_in(client, "rosa", user.test_password)
    assert signed_in.status_code == 302
    assert audit_count(db_session, "auth.login") == 1


def test_login_limits_count_per_client_address_behind_trusted_proxies(limited_app, make_user) -> None:
    app = limited_app(TRUSTED_PROXIES=1, RATELIMIT_LOGIN="2 per minute")
    make_user("sam")
    client = app.test_client()
    office = {"X-Forwarded-For": "203.0.113.10"}
    assert [sign_in(client, "sam", "nope", headers=office).status_code for _ in range(3)] == [401, 401, 429]
    home = {"X-Forwarded-For": "198.51.100.7"}
    assert sign_in(client, "sam", "nope", headers=home).status_code == 401, "another address has its own count"


def test_the_headers_of_an_answer_come_from_its_own_hit_without_reading_the_counter(
    limited_app, make_user, make_token, monkeypatch
) -> None:
    """The SQLite storage remembers what its INSERT ... RETURNING said: no `get`/`get_expiry` per request."""
    from reviewer.web.ratelimit import limiter_of
    from reviewer.web.ratelimit_sqlite import SqliteStorage

    app = limited_app(RATELIMIT_API="5 per minute")
    secret, _ = make_token(make_user("ana", roles=["staff"]))
    reads: list[str] = []
    for name in ("get", "get_expiry"):
        real = getattr(SqliteStorage, name)
        monkeypatch.setattr(SqliteStorage, name, lambda self, key, _real=real, _name=name: reads.append(_name) or _real(self, key))
    client = app.test_client()
    answers = [client.get(ACCOUNTS, headers=bearer(secret)) for _ in range(3)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2"]
    with app.app_context():
        assert isinstance(limiter_of().storage, SqliteStorage)
    resets = {int(a.headers["X-RateLimit-Reset"]) for a in answers}
    assert len(resets) == 1 and 0 < resets.pop() - time.time() <= 61, "the end of the one window all three fell in"
    assert reads == []
    assert [a.status_code for a in [client.get(ACCOUNTS, headers=bearer(secret)) for _ in range(3)]] == [200, 200, 429]
    assert reads, "a refused request reads its window as before"


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_limit(limited_app) -> None:
    client = limited_app(RATELIMIT_LOGIN="2 per minute").test_client()
    codes = [
        sign_in(client, "anyone", "guess", headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(3)
    ]
    assert codes == [401, 401, 429]


# --- the API -------------------------------------------------------------------------------------


def test_an_api_flood_is_limited_per_token_and_two_tokens_are_independent(
    limited_app, make_user, make_token, tmp_path
) -> None:
    app = limited_app(RATELIMIT_API="5 per minute")
    staff = make_user("ana", roles=["staff"])
    first, first_id = make_token(staff)
    second, second_id = make_token(staff)
    client = app.test_client()

    answers = [client.get(ACCOUNTS, headers=bearer(first)) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    refused = answers[-1]
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert "5 per 1 minute" in error["message"] and "Try again in" in error["message"]
    assert 1 <= error["retry_after"] <= 60 and refused.headers["Retry-After"] == str(error["retry_after"])

    assert client.get(ACCOUNTS, headers=bearer(second)).status_code == 200, "the second token has its own count"
    assert client.get(ACCOUNTS).status_code == 401, "no token: counted per address, not against a token"
    keys = counter_keys(tmp_path / "instance")
    assert [k for k in keys if "token:" in k] == [
        f"LIMITER/reviewer/token:{first_id}/api/5/1/minute",
        f"LIMITER/reviewer/token:{second_id}/api/5/1/minute",
    ]
    assert not [k for k in keys if first in k or second in k], "the key is the token's id, never its secret"


def test_without_headers_enabled_only_the_429_carries_the_rate_limit_headers(limited_app, make_user, make_token) -> None:
    app = limited_app(RATELIMIT_API="1 per minute", RATELIMIT_HEADERS_ENABLED=False)
    secret, _ = make_token(make_user("joe"))
    client = app.test_client()
    allowed, refused = (client.get(ACCOUNTS, headers=bearer(secret)) for _ in range(2))
    assert allowed.status_code == 200 and not [h for h in allowed.headers.keys() if "RateLimit" in h or h == "Retry-After"]
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == "1" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) >= 1


def test_requests_without_a_valid_token_share_their_address_count(limited_app, make_user, make_token) -> None:
    app = limited_app(RATELIMIT_API="3 per minute")
    secret, _ = make_token(make_user("lee"))
    client = app.test_client()
    forged = "rvw_" + "x" * 43
    codes = [client.get(ACCOUNTS).status_code, client.get(ACCOUNTS, headers=bearer(forged)).status_code]
    codes.append(client.get("/api/v1/openapi.json").status_code)
    codes.append(client.get(ACCOUNTS, headers=bearer("not-even-a-token")).status_code)
    assert codes == [401, 401, 200, 429]
    assert client.get(ACCOUNTS, headers=bearer(secret)).status_code == 200, "a valid token is not held back"


def test_two_app_instances_on_one_jobs_file_share_the_counts(limited_app, make_user, make_token) -> None:
    first_app = limited_app(RATELIMIT_API="4 per minute")
    second_app = limited_app(RATELIMIT_API="4 per minute")  # the same instance folder, so the same jobs file
    secret, _ = make_token(make_user("kim"))
    first, second = first_app.test_client(), second_app.test_client()
    codes = [client.get(ACCOUNTS, headers=bearer(secret)).status_code for client in (first, second, first, second)]
    assert codes == [200] * 4
    assert second.get(ACCOUNTS, headers=bearer(secret)).status_code == 429
    assert first.get(ACCOUNTS, headers=bearer(secret)).status_code == 429


def test_concurrent_requests_through_one_token_let_exactly_the_limit_through(limited_app, make_user, make_token) -> None:
    app = limited_app(RATELIMIT_API="20 per minute")
    secret, _ = make_token(make_user("zoe"))
    threads, each = 8, 6
    codes: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def flood() -> None:
        client = app.test_client()
        start.wait()
        mine = [client.get(ACCOUNTS, headers=bearer(secret)).status_code for _ in range(each)]
        with lock:
            codes.extend(mine)

    workers = [threading.Thread(target=flood) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(codes) == [200] * 20 + [429] * (threads * each - 20)


# --- never limited, misconfigured, storage down ------------------------------------------------


def test_healthz_static_files_and_pages_are_never_limited(limited_app) -> None:
    # Flask-Limiter's own RATELIMIT_DEFAULT would limit every route; only sign-in and the API may be.
    app = limited_app(RATELIMIT_DEFAULT="1 per minute", RATELIMIT_LOGIN="1 per minute", RATELIMIT_API="1 per minute")
    client = app.test_client()
    assert "/healthz" in {rule.rule for rule in app.url_map.iter_rules()}
    for _ in range(3):
        for path in ("/healthz", "/static/reviewer.css", "/login", "/"):
            answer = client.get(path)
            assert answer.status_code != 429 and "X-RateLimit-Limit" not in answer.headers, path
            answer.close()
    assert [sign_in(client, "x", "y").status_code for _ in range(2)] == [401, 429]
    assert [client.get(ACCOUNTS).status_code for _ in range(2)] == [401, 429]


@pytest.mark.parametrize("setting", ["RATELIMIT_LOGIN", "RATELIMIT_API"])
def test_a_limit_that_is_not_a_rate_limit_stops_start_up_naming_the_setting(limited_app, setting: str) -> None:
    from reviewer.web.ratelimit import RateLimitConfigError

    with pytest.raises(RateLimitConfigError, match=rf"{setting} \(REVIEWER_{setting}\) 'lots' is not a rate limit"):
        limited_app(**{setting: "lots"})


def test_a_storage_that_fails_lets_requests_through_with_a_warning_and_counts_in_memory(
    limited_app, make_user, make_token, tmp_path, caplog
) -> None:
    from reviewer.web.ratelimit_sqlite import storage_uri

    (tmp_path / "not-a-file").mkdir()  # SQLite cannot open a folder: every hit fails
    app = limited_app(RATELIMIT_API="3 per minute", RATELIMIT_STORAGE_URI=storage_uri(tmp_path / "not-a-file"))
    secret, _ = make_token(make_user("max"))
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [client.get(ACCOUNTS, headers=bearer(secret)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429], "never a 500; the same limit, counted in this worker's memory"
    warnings = [r for r in caplog.records if r.name in FLOOD_LOGS and r.levelno == logging.WARNING]
    assert any("storage unreachable" in r.getMessage() for r in warnings)


# --- Redis (the redis_server fixture is in tests/conftest.py) --------------------------------------


def test_with_redis_url_the_limits_live_in_redis_and_a_redis_outage_lets_requests_through(
    redis_server, limited_app, make_user, make_token, caplog
) -> None:
    import redis

    url, process = redis_server
    first_app = limited_app(REDIS_URL=url, RATELIMIT_API="3 per minute")
    second_app = limited_app(REDIS_URL=url, RATELIMIT_API="3 per minute")
    secret, token_id = make_token(make_user("ida"))
    first, second = first_app.test_client(), second_app.test_client()
    codes = [client.get(ACCOUNTS, headers=bearer(secret)).status_code for client in (first, second, first, second)]
    assert codes == [200, 200, 200, 429], "two instances, one count in Redis"
    inspector = redis.Redis.from_url(url)
    keys = inspector.keys("*")
    inspector_values = [inspector.get(key) for key in keys]
    inspector.close()
    assert [key.decode() for key in keys] == [f"LIMITS:LIMITER/reviewer/token:{token_id}/api/3/1/minute"]
    assert inspector_values == [b"4"]

    process.terminate()
    process.wait(timeout=10)
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        outage = [first.get(ACCOUNTS, headers=bearer(secret)).status_code for _ in range(2)]
        took = time.monotonic() - started
    assert outage == [200, 200], "Redis down: requests are served, counted in the worker's memory"
    assert took < 5, f"a Redis that refuses connections must not hold requests ({took:.1f} s)"
    assert any("storage unreachable" in r.getMessage() for r in caplog.records if r.name in FLOOD_LOGS)
