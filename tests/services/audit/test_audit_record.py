"""record() appends in the caller's transaction; head() and verify() read the chain."""

from __future__ import annotations

import json
from datetime import timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from reviewer.audit import AuditDataError, AuditError, AuditEvent, AuditHead, head, record, triggers, verify
from reviewer.audit.chain import GENESIS_HASH


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_events_chain_from_the_genesis_value(session: Session, key: bytes, alice) -> None:
    first = record(session, alice, "auth.login", "user:7", {"ip": "127.0.0.1"})
    second = record(session, None, "user.created", "user:8", {"username": "bob", "roles": ["staff"]})
    session.commit()
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert (first.actor_id, first.actor_name, first.actor_label) == (7, "alice", "alice")
    assert (second.actor_id, second.actor_name, second.actor_label) == (None, None, "system")
    assert second.data == '{"roles":["staff"],"username":"bob"}'
    assert head(session) == (2, second.hash)
    assert session.get(AuditHead, 1).seq == 2 and session.get(AuditHead, 1).hash == second.hash

    session.expunge_all()
    stored = session.get(AuditEvent, 1)
    assert stored.occurred_at.tzinfo is not None and stored.occurred_at.utcoffset() == timezone.utc.utcoffset(None)
    assert stored.occurred_at == first.occurred_at  # microseconds survive the round trip
    assert json.loads(stored.data) == {"ip": "127.0.0.1"}
    result = verify(session, key)
    assert result.ok and result.count == 2 and result.head == (2, second.hash)


def test_an_empty_chain(session: Session, key: bytes) -> None:
    assert head(session) is None
    result = verify(session, key)
    assert result.ok and result.count == 0 and result.head is None


def test_record_flushes_but_never_commits(sessions: sessionmaker[Session], engine: Engine, alice) -> None:
    reader = sessionmaker(bind=engine.execution_options(sqlite_begin="DEFERRED"))
    with sessions() as writer:
        event = record(writer, alice, "auth.login", "user:7")
        assert event.seq == 1 and count_events(writer) == 1
        with reader() as other:
            assert count_events(other) == 0
        writer.commit()
    with reader() as other:
        assert count_events(other) == 1


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(sessions: sessionmaker[Session], key: bytes, alice) -> None:
    with sessions() as session:
        record(session, alice, "auth.login", "user:7")
        session.commit()
    with sessions() as session:
        record(session, alice, "user.created", "user:9")
        record(session, alice, "user.role_granted", "user:9", {"role": "admin"})
        session.rollback()
    with sessions() as session:
        assert head(session)[0] == 1
        assert session.get(AuditHead, 1).seq == 1
        event = record(session, alice, "auth.logout", "user:7")
        session.commit()
        assert event.seq == 2
        result = verify(session, key)
        assert result.ok and result.count == 2


def test_the_change_and_its_event_commit_or_fail_together(sessions: sessionmaker[Session], key: bytes, alice) -> None:
    """A failure later in the caller's transaction takes the event with it."""
    with sessions() as session:
        record(session, alice, "auth.login", "user:7")
        session.commit()
    with pytest.raises(RuntimeError, match="the change failed"), sessions.begin() as session:
        record(session, alice, "user.deactivated", "user:9")
        raise RuntimeError("the change failed")
    with sessions() as session:
        assert [e.action for e in session.scalars(select(AuditEvent))] == ["auth.login"]
        assert verify(session, key).ok


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("Auth.Login", None, None), "action 'Auth.Login' is not a valid audit action"),
        (("auth.login", "", None), "subject '' is not valid"),
        (("auth.login", None, {"at": object()}), r"data\['at'\]: a object is not JSON-serialisable"),
        (("auth.login", None, {"score": float("nan")}), r"data\['score'\]: nan is not allowed"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(session: Session, alice, args, error: str) -> None:
    with pytest.raises(AuditDataError, match=error):
        record(session, alice, *args)
    assert count_events(session) == 0
    assert session.get(AuditHead, 1).seq == 0


@pytest.mark.parametrize(
    ("actor", "error"),
    [
        ("alice", "actor: expected a user .* got str"),
        (SimpleNamespace(id="7", username="alice"), "actor.id: expected an integer"),
        (SimpleNamespace(id=7, username=""), "actor.username: expected a non-empty string"),
    ],
)
def test_bad_actors_are_refused(session: Session, actor, error: str) -> None:
    with pytest.raises(AuditDataError, match=error):
        record(session, actor, "auth.login", None)


def test_an_actor_not_yet_flushed_has_no_id(session: Session, key: bytes) -> None:
    event = record(session, SimpleNamespace(id=None, username="new"), "user.created", None)
    assert (event.actor_id, event.actor_name) == (None, "new")


def test_a_session_without_the_key_is_a_clear_error(engine: Engine, alice) -> None:
    with Session(engine) as session, pytest.raises(AuditError, match=r"session.info\['audit_key'\] is not set"):
        record(session, alice, "auth.login", None)


def test_a_missing_head_row_says_what_to_run(session: Session, alice) -> None:
    triggers.uninstall(session.connection())  # the head's triggers refuse the delete; a schema half made has none
    session.execute(delete(AuditHead))
    with pytest.raises(AuditError, match="audit_head row is missing.*reviewer db upgrade"):
        record(session, alice, "auth.login", None)


def test_verify_refuses_a_bad_key(session: Session) -> None:
    with pytest.raises(AuditError, match="audit key must be bytes"):
        verify(session, b"")


def test_verify_reads_in_batches(session: Session, key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewer.audit import services

    monkeypatch.setattr(services, "VERIFY_BATCH", 3)
    for n in range(10):
        record(session, None, "test.event", None, {"n": n})
    session.commit()
    result = verify(session, key)
    assert result.ok and result.count == 10 and result.head[0] == 10


def test_appends_in_one_transaction_claim_the_head_once(session: Session, key: bytes, alice) -> None:
    """Later appends of a transaction continue from the head it holds; the head row ends at the last one."""
    events = [record(session, alice, "draft.created", f"draft:{n}", {"account_id": 1}) for n in range(4)]
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    session.commit()
    assert session.get(AuditHead, 1).seq == 4 and session.get(AuditHead, 1).hash == events[-1].hash
    assert verify(session, key).ok


def test_a_rolled_back_savepoint_does_not_leave_a_gap(session: Session, key: bytes, alice) -> None:
    """An append inside a savepoint that is rolled back is forgotten: the next one reads the head again."""
    record(session, alice, "auth.login", "user:7")
    savepoint = session.begin_nested()
    record(session, alice, "user.created", "user:9")
    savepoint.rollback()
    after = record(session, alice, "auth.logout", "user:7")
    session.commit()
    assert after.seq == 2
    result = verify(session, key)
    assert result.ok and result.count == 2
