"""While the database cannot write, pages answer a clear 503 (the typed text kept), the API a JSON 503
with Retry-After; nothing is half-written; the next request after the fault works, with no restart.

The faults are real: SQLite on a tmpfs filled to the last byte (root), SQLite locked by another
connection past a short busy timeout, and PostgreSQL reached through a TCP proxy that is cut (every
connection dropped, new ones refused) and restored, or whose connections are terminated.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pytest
from faults_kit import TcpProxy
from loadgen.faults import TmpfsUnavailable, fill_disk, tmpfs
from skips import skip_or_fail
from sqlalchemy import create_engine, func, make_url, select, text

TYPED = "Thanks for telling us about the broken streetlight on Marine Parade.\nA crew will fix it this week."


@dataclass
class FaultSite:
    """Where this test's database lives, and the handle to break it."""

    url: str
    folder: Path | None = None  # sqlite: the folder holding the file (a tmpfs for "tmpfs")
    proxy: TcpProxy | None = None  # postgres-proxy: the line between the app and PostgreSQL
    application_name: str | None = None  # postgres-proxy: names the app's connections in pg_stat_activity


@pytest.fixture
def fault_site(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[FaultSite]:
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "reviewer.sqlite3")
        yield FaultSite(f"sqlite:///{tmp_path / 'reviewer.sqlite3'}", folder=tmp_path)
    elif kind == "tmpfs":
        with ExitStack() as stack:
            try:
                folder = stack.enter_context(tmpfs("16m"))
            except TmpfsUnavailable as error:
                skip_or_fail(f"the full-disk test needs a tmpfs: {error}")
            shutil.copyfile(sqlite_template, folder / "reviewer.sqlite3")
            yield FaultSite(f"sqlite:///{folder / 'reviewer.sqlite3'}", folder=folder)
    else:
        direct = make_url(request.getfixturevalue("postgres_url"))
        proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432).start()
        name = f"faults_{secrets.token_hex(4)}"
        url = direct.set(host="127.0.0.1", port=proxy.port).update_query_dict({"application_name": name})
        try:
            yield FaultSite(url.render_as_string(hide_password=False), proxy=proxy, application_name=name)
        finally:
            proxy.close()


@pytest.fixture
def database_url(fault_site: FaultSite) -> str:
    """conftest's app fixtures (make_app, app, db_session, make_user...) run on the fault site's database."""
    return fault_site.url


@pytest.fixture
def token_for(db_session):
    from reviewer.api.services import create_token

    def make(user) -> str:
        db_session.commit()
        secret = create_token(db_session, None, user, "faults").secret
        db_session.commit()
        return secret

    return make


def _counts(db_session) -> tuple[int, int]:
    """(drafts, audit events) as committed."""
    from reviewer.audit import AuditEvent
    from reviewer.drafting.models import Draft

    db_session.rollback()
    return db_session.scalar(select(func.count(Draft.id))), db_session.scalar(select(func.count(AuditEvent.seq)))


def _assert_chain_verifies(db_session) -> None:
    from reviewer.audit import verify

    db_session.rollback()
    result = verify(db_session, db_session.info["audit_key"])
    assert result.ok, result.first_bad


def _assert_clear_503_page(response, title: str) -> str:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert title in page and "nothing was saved" in page and "Try again" in page
    assert "Traceback" not in page and "sqlite3" not in page and "psycopg" not in page
    return page


def _api_error(response, code: str) -> dict:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == code and "nothing was saved" in error["message"]
    assert error["stored"] == "no" and "saved" not in error
    return error


# --- SQLite: disk full ------------------------------------------------------------------------


def _staff_signed_in(app, make_user, make_account, login) -> tuple:
    """(staff member, the account they draft for, a test client signed in as them)."""
    staff = make_user("sam", roles=["staff"])
    account = make_account("@HarbourCityNZ")
    client = app.test_client()
    assert login(client, staff).status_code == 302
    return staff, account, client


@pytest.mark.parametrize("fault_site", ["tmpfs"], indirect=True)
def test_a_full_disk_answers_503_keeps_the_typed_text_and_recovers_when_space_is_back(
    fault_site, app, make_user, make_account, login, token_for, db_session, caplog
) -> None:
    staff, account, client = _staff_signed_in(app, make_user, make_account, login)
    token = token_for(staff)
    before = _counts(db_session)
    api_body = {"account_id": account.id, "text": "We have fixed the streetlight."}
    api_headers = {"Authorization": f"Bearer {token}"}

    filler = fill_disk(fault_site.folder)
    caplog.set_level(logging.WARNING)
    assert client.get(f"/inbox/{account.id}").status_code == 200  # reading still works
    response = client.post(f"/inbox/{account.id}/compose", data={"text": TYPED, "save": "Save draft"})
    page = _assert_clear_503_page(response, "Database full")
    assert f">{escape(TYPED)}</textarea>" in page  # what they typed, ready to send again
    assert 'name="save" value="Save draft"' in page
    _api_error(app.test_client().post("/api/v1/drafts", json=api_body, headers=api_headers), "database_full")
    assert _counts(db_session) == before  # nothing half-written
    outage_logs = [r for r in caplog.records if "answered 503" in r.getMessage()]
    assert len(outage_logs) == 2 and all("SQLITE_FULL" in r.getMessage() for r in outage_logs)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback logged either

    filler.unlink()  # space is back: the very next requests work, no restart
    response = client.post(f"/inbox/{account.id}/compose", data={"text": TYPED, "save": "Save draft"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert app.test_client().post("/api/v1/drafts", json=api_body, headers=api_headers).status_code == 201
    drafts, events = _counts(db_session)
    assert drafts == before[0] + 2 and events > before[1]
    _assert_chain_verifies(db_session)


# --- SQLite: locked past the busy timeout --------------------------------------------------


@pytest.fixture
def write_lock(fault_site: FaultSite) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock until the test releases it (rollback)."""
    holder = sqlite3.connect(fault_site.folder / "reviewer.sqlite3", isolation_level=None)
    try:
        yield holder
    finally:
        holder.close()


def test_a_database_locked_past_the_busy_timeout_answers_busy_503s_then_works(
    make_app, make_user, make_account, login, write_lock, db_session
) -> None:
    app = make_app(SQLITE_BUSY_TIMEOUT_SECONDS=0.2)
    staff, account, client = _staff_signed_in(app, make_user, make_account, login)
    before = _counts(db_session)

    write_lock.execute("BEGIN IMMEDIATE")
    response = client.post(f"/inbox/{account.id}/compose", data={"text": TYPED, "submit_reply": "Submit"})
    page = _assert_clear_503_page(response, "Database busy")
    assert f">{escape(TYPED)}</textarea>" in page and 'name="submit_reply" value="Submit"' in page
    live = client.post("/drafting/check", json={"account_id": account.id, "text": "hello"})  # the editor's live check
    assert live.status_code == 503 and live.get_json()["code"] == "database_busy"
    login_page = _assert_clear_503_page(login(app.test_client(), staff), "Database busy")
    assert staff.test_password not in login_page and "type yours again" in login_page
    write_lock.execute("ROLLBACK")

    response = client.post(f"/inbox/{account.id}/compose", data={"text": TYPED, "submit_reply": "Submit"})
    assert response.status_code == 302
    assert _counts(db_session)[0] == before[0] + 1
    _assert_chain_verifies(db_session)


def test_a_database_error_that_is_a_bug_is_still_a_500(app) -> None:
    from reviewer.db import get_session
    from reviewer.web.access import public

    @public
    def broken():
        get_session().execute(text("SELECT * FROM no_such_table"))

    app.config["TESTING"] = False  # let the 500 handler run instead of re-raising
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/broken", "broken", broken)
    response = app.test_client().get("/broken")
    assert response.status_code == 500 and "Retry-After" not in response.headers
    assert "Something went wrong" in response.get_data(as_text=True)


# --- PostgreSQL: the server goes away, and connections are cut ---------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("fault_site", ["postgres-proxy"], indirect=True)
def test_postgresql_unreachable_answers_503_and_the_next_request_after_it_returns_works(
    fault_site, app, make_user, make_account, login, token_for, db_session
) -> None:
    staff, account, client = _staff_signed_in(app, make_user, make_account, login)
    token = token_for(staff)
    before = _counts(db_session)
    inbox, compose = f"/inbox/{account.id}", f"/inbox/{account.id}/compose"
    db_session.close()  # its connection goes back to the pool, to be cut with the rest

    fault_site.proxy.cut()
    _assert_clear_503_page(client.get(inbox), "Database unavailable")
    page = _assert_clear_503_page(client.post(compose, data={"text": TYPED, "save": "Save draft"}), "Database unavailable")
    assert f">{escape(TYPED)}</textarea>" in page
    _api_error(app.test_client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}), "database_unavailable")

    fault_site.proxy.restore()  # the server is back: pooled connections that died are replaced
    assert client.get(inbox).status_code == 200
    assert client.post(compose, data={"text": TYPED, "save": "Save draft"}).status_code == 302
    assert _counts(db_session)[0] == before[0] + 1
    _assert_chain_verifies(db_session)


@pytest.mark.postgres
@pytest.mark.parametrize("fault_site", ["postgres-proxy"], indirect=True)
def test_connections_terminated_between_requests_are_replaced_without_an_error(
    fault_site, postgres_url, app, make_user, make_account, login, db_session
) -> None:
    staff, account, client = _staff_signed_in(app, make_user, make_account, login)
    inbox, compose = f"/inbox/{account.id}", f"/inbox/{account.id}/compose"
    assert client.get(inbox).status_code == 200
    db_session.close()

    admin = create_engine(postgres_url)  # straight to the server, not through the proxy
    try:
        with admin.begin() as connection:
            killed = connection.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": fault_site.application_name},
            ).scalar()
    finally:
        admin.dispose()
    assert killed >= 1

    assert client.get(inbox).status_code == 200  # pre-ping found the dead connection
    assert client.post(compose, data={"text": TYPED, "save": "Save draft"}).status_code == 302
    _assert_chain_verifies(db_session)


@pytest.mark.postgres
@pytest.mark.parametrize("fault_site", ["postgres-proxy"], indirect=True)
def test_a_connection_lost_after_the_commit_is_not_told_as_nothing_saved(fault_site, app, db_session) -> None:
    """The server goes between a request's commit and the reads for its page: the work was done, and
    the person is told so (not offered to send it twice); a page whose connection dies after its last
    statement still gets its answer."""
    from reviewer.audit import AuditEvent, record
    from reviewer.db import get_session
    from reviewer.web.access import public

    @public
    def save_then_lose_the_line():
        session = get_session()
        record(session, None, "faults.saved", "test:1")
        session.commit()
        fault_site.proxy.cut()
        session.execute(text("SELECT 1"))  # reading back for the page
        return "unreachable"

    @public
    def read_then_lose_the_line():
        get_session().execute(text("SELECT 1"))
        fault_site.proxy.cut()  # the session still holds its connection: teardown meets it dead
        return "done"

    app.add_url_rule("/save-then-lose", "save_then_lose", save_then_lose_the_line, methods=["POST"])
    app.add_url_rule("/read-then-lose", "read_then_lose", read_then_lose_the_line)
    db_session.close()
    client = app.test_client()

    response = client.post("/save-then-lose", data={"text": TYPED})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Your change was saved" in page and "Do not send it again" in page
    assert "nothing was saved" not in page and "<textarea" not in page
    fault_site.proxy.restore()
    db_session.rollback()
    assert db_session.scalar(select(func.count()).where(AuditEvent.action == "faults.saved")) == 1
    db_session.close()

    response = client.get("/read-then-lose")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "done")
    fault_site.proxy.restore()
    assert client.get("/read-then-lose").status_code == 200  # the dead connection was not pooled again
    fault_site.proxy.restore()
    _assert_chain_verifies(db_session)


@pytest.mark.postgres
@pytest.mark.parametrize("fault_site", ["postgres-proxy"], indirect=True)
def test_a_connection_lost_at_the_commit_says_the_outcome_is_not_known(fault_site, app, db_session) -> None:
    """The line goes just as COMMIT is sent: the app cannot know whether the server made it, so it says
    so (never "nothing was saved", never "saved"), and keeps what was typed for if it was not."""
    from sqlalchemy import event

    from reviewer.audit import AuditEvent, record
    from reviewer.db import get_database, get_session
    from reviewer.web.access import public

    def cut_the_line(_connection) -> None:
        fault_site.proxy.cut()

    @public
    def save_as_the_line_goes():
        session = get_session()
        record(session, None, "faults.in_doubt", "test:1")
        event.listen(get_database().engine, "commit", cut_the_line)
        try:
            session.commit()
        finally:
            event.remove(get_database().engine, "commit", cut_the_line)
        return "unreachable"

    app.add_url_rule("/save-as-the-line-goes", "save_as_the_line_goes", save_as_the_line_goes, methods=["POST"])
    app.add_url_rule("/api/v1/save-as-the-line-goes", "api_save_as_the_line_goes", save_as_the_line_goes, methods=["POST"])
    db_session.close()
    client = app.test_client()

    response = client.post("/save-as-the-line-goes", data={"text": TYPED})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "may or may not have been saved" in page and "nothing was saved" not in page
    assert escape(TYPED) in page and "only if it was not saved" in page
    fault_site.proxy.restore()

    response = client.post("/api/v1/save-as-the-line-goes", json={"text": TYPED})
    error = response.get_json()["error"]
    assert response.status_code == 503 and error["code"] == "database_unavailable"
    assert error["saved"] is None and error["stored"] == "unknown" and "may or may not" in error["message"]
    fault_site.proxy.restore()

    db_session.rollback()
    assert db_session.scalar(select(func.count()).where(AuditEvent.action == "faults.in_doubt")) == 0  # COMMIT never arrived
    _assert_chain_verifies(db_session)
