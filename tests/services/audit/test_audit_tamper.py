"""Tamper tests: the database refuses edits; an admin who bypasses it is still caught by verify.

The attacker here has full database rights (drops the SQLite triggers, or
sets `session_replication_role = replica` on PostgreSQL) but not the HMAC
key, which lives in instance/ and never in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from reviewer.audit import AuditEvent, AuditHead, record, triggers, verify
from reviewer.audit.chain import ChainEvent, compute_hash, compute_mac, encode_data, seal

EVENTS = AuditEvent.__table__
HEAD = AuditHead.__table__
ATTACKER_KEY = b"the attacker does not have the key"


@pytest.fixture
def chain(sessions: sessionmaker[Session], alice) -> list[ChainEvent]:
    """Ten committed events."""
    with sessions() as session:
        for n in range(1, 11):
            record(session, alice if n % 2 else None, "draft.submitted", f"draft:{n}", {"n": n})
        session.commit()
        return load(session)


def load(session: Session) -> list[ChainEvent]:
    return [ChainEvent(*row) for row in session.execute(select(*EVENTS.c).order_by(EVENTS.c.seq))]


AsAdmin = Callable[..., None]


@pytest.fixture
def as_admin(engine: Engine) -> AsAdmin:
    """Run statements in one transaction with the append-only triggers bypassed."""

    def run(*statements) -> None:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                triggers.uninstall(connection)
            for statement in statements:
                connection.execute(statement)
            if connection.dialect.name == "sqlite":
                triggers.install(connection)  # a careful attacker puts them back

    return run


def verdict(sessions: sessionmaker[Session], key: bytes, anchor=None) -> tuple[int | None, str | None]:
    with sessions() as session:
        result = verify(session, key, anchor)
    if result.ok:
        return None, None
    return result.first_bad.seq, result.first_bad.reason


def row(event: ChainEvent) -> dict:
    return dict(event.__dict__)


def set_head(event: ChainEvent):
    return update(HEAD).where(HEAD.c.id == 1).values(seq=event.seq, hash=event.hash)


# --- the database refuses ------------------------------------------------


def test_update_and_delete_are_refused_by_the_database(sessions, key, chain) -> None:
    with sessions() as session:
        with pytest.raises(DBAPIError, match="audit events are append-only"):
            session.execute(update(EVENTS).where(EVENTS.c.seq == 3).values(data="{}"))
        session.rollback()
        with pytest.raises(DBAPIError, match="audit events are append-only"):
            session.execute(delete(EVENTS).where(EVENTS.c.seq == 10))
        session.rollback()
        event = session.get(AuditEvent, 4)
        event.data = '{"n":40}'
        with pytest.raises(DBAPIError, match="audit events are append-only"):
            session.commit()
        session.rollback()
        session.delete(session.get(AuditEvent, 5))
        with pytest.raises(DBAPIError, match="audit events are append-only"):
            session.commit()
        session.rollback()
        if session.get_bind().dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="audit events are append-only: TRUNCATE refused"):
                session.execute(text("TRUNCATE audit_events"))
            session.rollback()
        result = verify(session, key)
    assert result.ok and result.count == 10


def test_the_database_refuses_a_fork(sessions, key, chain) -> None:
    """Two events claiming the same seq, or the same predecessor, cannot both be stored."""
    twin = seal(replace(chain[2], data=encode_data({"twin": True})), key)
    with sessions() as session, pytest.raises(IntegrityError):
        session.execute(insert(EVENTS).values(**row(twin)))
    sibling = seal(replace(chain[2], seq=11, data=encode_data({"sibling": True})), key)
    with sessions() as session, pytest.raises(IntegrityError):
        session.execute(insert(EVENTS).values(**row(sibling)))
    assert verdict(sessions, key) == (None, None)


# --- an admin bypasses the triggers; verify still names the event -----------


def test_an_edited_event_is_named(sessions, key, chain, as_admin) -> None:
    as_admin(update(EVENTS).where(EVENTS.c.seq == 5).values(data='{"n":500}'))
    assert verdict(sessions, key) == (5, "hash mismatch: content changed")


def test_an_edited_mac_is_named(sessions, key, chain, as_admin) -> None:
    as_admin(update(EVENTS).where(EVENTS.c.seq == 6).values(mac="0" * 64))
    assert verdict(sessions, key) == (6, "HMAC mismatch")


def test_a_deleted_event_is_named_as_a_gap(sessions, key, chain, as_admin) -> None:
    as_admin(delete(EVENTS).where(EVENTS.c.seq == 5))
    assert verdict(sessions, key) == (6, "sequence gap after 4")


def test_a_forged_event_at_the_end_fails_the_hmac(sessions, key, chain, as_admin) -> None:
    last = chain[-1]
    forged = replace(last, seq=11, data=encode_data({"n": 11, "forged": True}), prev_hash=last.hash)
    forged = replace(forged, hash=compute_hash(forged))
    forged = replace(forged, mac=compute_mac(ATTACKER_KEY, forged.hash))
    as_admin(insert(EVENTS).values(**row(forged)), set_head(forged))
    assert verdict(sessions, key) == (11, "HMAC mismatch")


def test_a_forged_event_slipped_into_the_middle_fails_the_hmac(sessions, key, chain, as_admin) -> None:
    """prev_hash is unique, so the attacker must relink (and so re-hash) everything after the forgery."""
    forged = seal(replace(chain[4], data=encode_data({"forged": True}), prev_hash=chain[3].hash), ATTACKER_KEY)
    tail = [forged]
    for event in chain[4:]:
        tail.append(seal(replace(event, seq=event.seq + 1, prev_hash=tail[-1].hash), ATTACKER_KEY))
    as_admin(
        delete(EVENTS).where(EVENTS.c.seq >= 5),
        *[insert(EVENTS).values(**row(event)) for event in tail],
        set_head(tail[-1]),
    )
    assert verdict(sessions, key) == (5, "HMAC mismatch")


def test_two_swapped_events_are_named(sessions, key, chain, as_admin) -> None:
    as_admin(
        update(EVENTS).where(EVENTS.c.seq == 4).values(seq=1000),
        update(EVENTS).where(EVENTS.c.seq == 5).values(seq=4),
        update(EVENTS).where(EVENTS.c.seq == 1000).values(seq=5),
    )
    assert verdict(sessions, key) == (4, "hash mismatch: content changed")


def test_a_tail_recomputed_without_the_key_fails_at_the_first_rewritten_event(sessions, key, chain, as_admin) -> None:
    rewritten: list[ChainEvent] = chain[:4]
    for event in chain[4:]:
        data = encode_data({"n": event.seq, "rewritten": True})
        rewritten.append(seal(replace(event, data=data, prev_hash=rewritten[-1].hash), ATTACKER_KEY))
    as_admin(
        delete(EVENTS).where(EVENTS.c.seq >= 5),
        *[insert(EVENTS).values(**row(event)) for event in rewritten[4:]],
        set_head(rewritten[-1]),
    )
    assert verdict(sessions, key) == (5, "HMAC mismatch")


def test_a_cut_tail_is_caught_by_the_head_record(sessions, key, chain, as_admin) -> None:
    as_admin(delete(EVENTS).where(EVENTS.c.seq >= 8))
    seq, reason = verdict(sessions, key)
    assert seq == 10 and reason.startswith(f"the database's head record 10:{chain[-1].hash[:8]}.. is not in the chain")


def test_a_cut_tail_with_the_head_set_back_fails_the_heads_mac(sessions, key, chain, as_admin) -> None:
    """The attack of issue 15: drop the triggers, delete the newest events, point audit_head at an older one."""
    as_admin(delete(EVENTS).where(EVENTS.c.seq >= 8), set_head(chain[6]))
    seq, reason = verdict(sessions, key)
    assert seq == 7 and reason.startswith(f"the database's head record 7:{chain[6].hash[:8]}.. has a wrong MAC")


def test_a_head_set_back_with_an_events_mac_copied_still_fails(sessions, key, chain, as_admin) -> None:
    """The head's MAC is not the event's: copying event 7's mac into the head does not sign it."""
    as_admin(
        delete(EVENTS).where(EVENTS.c.seq >= 8),
        update(HEAD).where(HEAD.c.id == 1).values(seq=7, hash=chain[6].hash, at=chain[6].occurred_at, mac=chain[6].mac),
    )
    assert verdict(sessions, key)[1].startswith("the database's head record 7:")


def test_a_head_set_back_without_cutting_disagrees_with_the_last_event(sessions, key, chain, as_admin) -> None:
    as_admin(set_head(chain[6]))
    seq, reason = verdict(sessions, key)
    assert seq == 7 and reason.startswith(
        f"the database's head record 7:{chain[6].hash[:8]}.. is not the last event (10:{chain[-1].hash[:8]}..)"
    )


def test_an_unsigned_head_fails(sessions, key, chain, as_admin) -> None:
    as_admin(update(HEAD).where(HEAD.c.id == 1).values(mac=None))
    seq, reason = verdict(sessions, key)
    assert seq == 10 and reason.startswith("the database's head record 10:") and "is not signed" in reason


def test_a_replayed_head_and_cut_tail_is_caught_by_an_anchor(sessions, key, chain, as_admin) -> None:
    """An attacker who saved the head row when it was at 7 can put it back: only an anchor outside catches that."""
    with sessions() as session:
        saved = session.execute(select(HEAD).where(HEAD.c.id == 1)).one()  # what a backup held at seq 10
    assert verdict(sessions, key, (10, chain[-1].hash)) == (None, None)
    as_admin(delete(EVENTS).where(EVENTS.c.seq >= 8), set_head(chain[6]))
    with sessions() as session:  # a head row genuinely signed at seq 7, as one taken back then would be
        from reviewer.audit.chain import compute_head_mac

        mac = compute_head_mac(key, 7, chain[6].hash, chain[6].occurred_at)
    as_admin(update(HEAD).where(HEAD.c.id == 1).values(at=chain[6].occurred_at, mac=mac))
    assert saved.seq == 10
    assert verdict(sessions, key) == (None, None)
    assert verdict(sessions, key, (10, chain[-1].hash)) == (
        10,
        f"anchor 10:{chain[-1].hash[:8]}.. not found: the chain was cut or rewritten",
    )


# --- the head is guarded by triggers too -------------------------------------


def test_the_database_refuses_to_set_the_head_back_or_delete_it(sessions, key, chain) -> None:
    with sessions() as session:
        for statement in (
            set_head(chain[6]),  # backwards
            update(HEAD).where(HEAD.c.id == 1).values(seq=11, hash="a" * 64),  # to no event
            update(HEAD).where(HEAD.c.id == 1).values(hash=chain[6].hash),  # a seq with another's hash
            delete(HEAD),
        ):
            with pytest.raises(DBAPIError, match="audit head"):
                session.execute(statement)
            session.rollback()
        if session.get_bind().dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="audit head"):
                session.execute(text("TRUNCATE audit_head"))
            session.rollback()
    assert verdict(sessions, key) == (None, None)


def test_the_head_may_not_skip_past_events_it_does_not_name(sessions, key, chain, as_admin) -> None:
    """Moving the head forward is allowed only onto the last event (record() always does exactly that)."""
    with sessions() as session:
        with pytest.raises(DBAPIError, match="audit head"):
            session.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=9, hash=chain[8].hash))
        session.rollback()


def test_new_events_after_a_cut_do_not_hide_it(sessions, key, chain, as_admin, alice) -> None:
    anchor = (10, chain[-1].hash)
    as_admin(delete(EVENTS).where(EVENTS.c.seq >= 8), set_head(chain[6]))
    with sessions() as session:
        for _ in range(5):
            record(session, alice, "auth.login", None)
        session.commit()
    assert verdict(sessions, key)[0] is None  # the next append signed a new head: an anchor outside is needed
    seq, reason = verdict(sessions, key, anchor)
    assert seq == 10 and reason.startswith("anchor 10:")


def test_the_wrong_key_fails_at_the_first_event(sessions, chain) -> None:
    assert verdict(sessions, b"not the key that signed this chain") == (1, "HMAC mismatch")
