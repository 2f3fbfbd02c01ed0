"""Two approvers deciding on the same draft at the same moment, through the API: one wins, nothing breaks."""

from __future__ import annotations

import threading

from sqlalchemy import select

LEGAL = "We are aware of the lawsuit and cannot comment."


def test_two_approvers_at_once_one_wins_and_the_chain_verifies(app, people, api_as, make_user, db_session) -> None:
    from reviewer.audit import verify
    from reviewer.review.models import Approval

    second = make_user("lee.legal", roles=["approver"], groups=["legal"])
    draft = api_as(people["staff"]).post(
        "/api/v1/drafts", json={"account_id": people["account"].id, "text": LEGAL}
    ).get_json()
    clients = [api_as(people["legal"]), api_as(second)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def decide(client) -> None:
        barrier.wait()
        response = client.post(
            f"/api/v1/drafts/{draft['id']}/decision", json={"action": "approve", "expected_version": draft["version"]}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=decide, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses)[0] == 200 and len(statuses) == 2
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 403, 409}, statuses
    db_session.rollback()
    assert len(db_session.scalars(select(Approval).where(Approval.draft_id == draft["id"])).all()) == 1
    assert verify(db_session, db_session.info["audit_key"]).ok


def test_a_check_and_a_submissions_reads_take_no_lock_while_another_writer_holds_it(app, people, api_as) -> None:
    """SQLite: POST /check reads outside any transaction; POST /drafts waits only at its first write."""
    import sqlite3
    import time

    from reviewer.db import get_database

    engine = get_database(app).engine
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL locks rows, not the database
    api = api_as(people["staff"])
    assert api.get("/api/v1/accounts").status_code == 200  # the token's first use is recorded now, not below
    holder = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        started = time.monotonic()
        response = api.post("/api/v1/check", json={"account_id": people["account"].id, "text": "Thanks, we will fix it."})
        assert response.status_code == 200 and time.monotonic() - started < 2  # not the 10 s busy timeout
        threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
        started = time.monotonic()
        submitted = api.post("/api/v1/drafts", json={"account_id": people["account"].id, "text": "Thanks, we will fix it."})
        assert submitted.status_code == 201 and time.monotonic() - started >= 0.25  # it queued for the lock
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
