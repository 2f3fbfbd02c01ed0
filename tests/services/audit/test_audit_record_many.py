"""record_many() writes exactly what the same record() calls would, in four statements (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from reviewer.audit import AuditDataError, AuditEvent, AuditHead, head, record, verify
from reviewer.audit.models import AuditRef
from reviewer.audit.services import record_many


def draft_events(draft: int) -> list[tuple[str, str, dict]]:
    subject = f"draft:{draft}"
    return [
        ("draft.created", subject, {"account_id": 3, "inbound_post_id": None, "version": 1}),
        ("draft.checked", subject, {"account_id": 3, "decision": "review", "rules": ["pii.phone"], "version": 1}),
        ("draft.submitted", subject, {"decision": "review", "state": "pending", "version": 1}),  # account inherited
    ]


def stored_about(session: Session, subject: str) -> tuple[list[tuple], list[tuple]]:
    """The events about `subject` (actor, action, data) and their references (less the subject's own)."""
    rows = session.execute(
        select(AuditEvent.seq, AuditEvent.actor_id, AuditEvent.actor_name, AuditEvent.action, AuditEvent.data)
        .where(AuditEvent.subject == subject).order_by(AuditEvent.seq)
    ).all()
    first = rows[0].seq
    refs = session.execute(
        select(AuditRef.seq, AuditRef.name, AuditRef.value)
        .where(AuditRef.seq.in_([row.seq for row in rows]), AuditRef.name != "draft").order_by(AuditRef.seq, AuditRef.name)
    ).all()
    return [tuple(row)[1:] for row in rows], [(row.seq - first, row.name, row.value) for row in refs]


def test_a_batch_stores_what_one_call_per_event_stores(sessions: sessionmaker[Session], key: bytes, alice) -> None:
    with sessions() as session:
        record(session, None, "account.created", "account:3", {"name": "Harbour"})
        batch = record_many(session, alice, draft_events(4))
        for action, subject, data in draft_events(5):
            record(session, alice, action, subject, data)
        session.commit()

        assert [event.seq for event in batch] == [2, 3, 4]
        assert batch[0].prev_hash == session.get(AuditEvent, 1).hash
        assert [event.prev_hash for event in batch[1:]] == [event.hash for event in batch[:-1]]
        assert stored_about(session, "draft:4") == stored_about(session, "draft:5")
        events, refs = stored_about(session, "draft:4")
        assert [event[2] for event in events] == ["draft.created", "draft.checked", "draft.submitted"]
        assert (2, "account", "3") in refs  # inherited from the batch's own first event about draft:4
        assert (1, "rule", "pii.phone") in refs and (2, "decision", "review") in refs
        assert head(session) == (7, session.get(AuditEvent, 7).hash)
        assert (session.get(AuditHead, 1).seq, session.get(AuditHead, 1).hash) == head(session)
        result = verify(session, key)
        assert result.ok and result.count == 7


def test_a_batch_after_single_records_continues_the_transaction_head(sessions: sessionmaker[Session], key: bytes, alice) -> None:
    with sessions() as session:
        first = record(session, alice, "draft.created", "draft:8", {"account_id": 2, "version": 1})
        batch = record_many(session, alice, [("draft.submitted", "draft:8", {"version": 1}), ("draft.routed", "draft:8", None)])
        last = record(session, alice, "draft.posted", "draft:8", {"url": None})
        session.commit()
        assert [first.seq, *(event.seq for event in batch), last.seq] == [1, 2, 3, 4]
        assert last.prev_hash == batch[-1].hash
        accounts = session.scalars(select(AuditRef.seq).where(AuditRef.name == "account", AuditRef.value == "2")).all()
        assert sorted(accounts) == [1, 2, 3, 4]  # each later event inherits the account of draft:8's first event
        assert verify(session, key).ok


def test_four_statements_for_a_batch(sessions: sessionmaker[Session], engine: Engine, alice) -> None:
    """Claim the head, insert the events, insert their references, move the head: whatever the batch's size."""
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args) -> None:
        statements.append(statement.split()[0].upper())

    events = [(action, subject, {**data, "account_id": 3}) for action, subject, data in draft_events(4)]
    with sessions() as session:
        session.connection()  # the BEGIN, if the dialect sends one, is not the batch's
        statements.clear()
        record_many(session, alice, events)
        assert statements == ["UPDATE", "INSERT", "INSERT", "UPDATE"]
        session.commit()
    event.remove(engine, "before_cursor_execute", _count)


def test_a_bad_event_writes_nothing(sessions: sessionmaker[Session], key: bytes, alice) -> None:
    with sessions() as session:
        record(session, alice, "auth.login", "user:7")
        session.commit()
    with sessions() as session:
        with pytest.raises(AuditDataError, match="data: expected a dict"):
            record_many(session, alice, [("draft.created", "draft:1", {"version": 1}), ("draft.checked", "draft:1", ["x"])])
        assert session.get(AuditHead, 1).seq == 1  # checked before the head was claimed
        assert record_many(session, alice, []) == []
        session.commit()
        assert head(session)[0] == 1 and session.get(AuditHead, 1).seq == 1
        assert verify(session, key).ok


@pytest.mark.slow
def test_concurrent_batches_make_one_unbroken_chain(engine: Engine, key: bytes) -> None:
    """Writers appending batches at once queue on the head row: no fork, no gap, nothing lost."""
    sessions = sessionmaker(bind=engine, info={"audit_key": key})
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def writer(index: int) -> None:
        try:
            barrier.wait()
            for round_ in range(8):
                with sessions() as session:
                    record_many(session, None, draft_events(index * 100 + round_))
                    session.commit()
        except BaseException as error:  # noqa: BLE001 -- reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with sessions() as session:
        result = verify(session, key)
        assert result.ok and result.count == 4 * 8 * 3
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        assert seqs == list(range(1, 4 * 8 * 3 + 1))
