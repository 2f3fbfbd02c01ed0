"""A transaction whose commit fails for real (disk full, connection killed) leaves the chain as it was:
its events are gone, the head row did not move, and the next append, in the same session or another,
continues the chain with no gap and no fork.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pytest
from audit_db import AUDIT_TABLES, sqlite_engine
from loadgen.faults import TmpfsUnavailable, fill_disk, tmpfs
from skips import skip_or_fail
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from reviewer.audit import AuditEvent, AuditHead, record, verify
from reviewer.orm import Base
from reviewer.web.outages import FULL, UNAVAILABLE, classify


def _chain_continues_after(session: Session, key: bytes, alice, sessions) -> None:
    """The failed transaction left nothing; the same session, then a fresh one, append from the old head."""
    session.rollback()
    assert list(session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq))) == [1]
    assert session.get(AuditHead, 1).seq == 1
    first_hash = session.get(AuditEvent, 1).hash

    again = record(session, alice, "draft.created", "draft:1", {"text": "tried again"})  # the same session
    session.commit()  # (and no more use of it: on SQLite its next transaction would take the write lock)
    assert again.seq == 2 and again.prev_hash == first_hash
    with sessions() as other:
        third = record(other, None, "draft.submitted", "draft:1")
        other.commit()
        assert third.seq == 3
        result = verify(other, key)
    assert result.ok and result.count == 3 and result.head == (3, third.hash), result.first_bad


def _append_two_and_commit(session: Session, alice, before_commit: Callable[[], object]) -> OperationalError:
    """Two appends (the head claimed and moved), the fault, then the commit that fails."""
    record(session, alice, "draft.created", "draft:1", {"text": "first try"})
    record(session, alice, "draft.submitted", "draft:1")
    before_commit()
    with pytest.raises(OperationalError) as failed:
        session.commit()
    return failed.value


def test_a_commit_that_fails_on_a_full_disk_leaves_the_chain_whole(request, key: bytes, alice) -> None:
    with ExitStack() as stack:
        try:
            folder = stack.enter_context(tmpfs("8m"))
        except TmpfsUnavailable as error:
            skip_or_fail(f"the full-disk test needs a tmpfs: {error}")
        engine = sqlite_engine(folder / "audit.db")
        stack.callback(engine.dispose)
        Base.metadata.create_all(engine, tables=AUDIT_TABLES)
        sessions = sessionmaker(bind=engine, info={"audit_key": key})
        with sessions() as first:
            record(first, alice, "auth.login", "user:7")
            first.commit()

        with sessions() as session:
            failed = _append_two_and_commit(session, alice, lambda: fill_disk(folder))
            assert classify(failed) is FULL
            (folder / "filler.bin").unlink()
            _chain_continues_after(session, key, alice, sessions)


@pytest.mark.postgres
def test_a_commit_on_a_killed_connection_leaves_the_chain_whole(
    postgres_schema_engine: Callable[[], Engine], postgres_base_url: str, key: bytes, alice
) -> None:
    engine = postgres_schema_engine()
    Base.metadata.create_all(engine, tables=AUDIT_TABLES)
    sessions = sessionmaker(bind=engine, info={"audit_key": key})
    with sessions() as first:
        record(first, alice, "auth.login", "user:7")
        first.commit()

    admin = create_engine(postgres_base_url)
    try:
        with sessions() as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar()  # the transaction's own connection

            def kill() -> None:
                with admin.begin() as connection:
                    assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()

            failed = _append_two_and_commit(session, alice, kill)
            assert classify(failed) is UNAVAILABLE
            _chain_continues_after(session, key, alice, sessions)
    finally:
        admin.dispose()
