"""Record audit events in the caller's transaction; read the head; verify the chain.

`record` flushes but never commits: the change and its event commit or fail
together. Appends are serialised by updating the single `audit_head` row
first (`UPDATE ... RETURNING`, a claim that changes nothing but takes the
lock): on PostgreSQL that row lock makes concurrent
appenders queue; on SQLite the statement takes the database write lock (use
`sqlite_begin_immediate` on the engine so a transaction that has already
read does not fail with "database is locked" when it comes to write).
Later appends in the same transaction already hold that lock, so they
continue from the head the transaction wrote last (one `UPDATE` each to
move it) instead of claiming it again; events and references are written
with prebuilt Core statements, not through the unit of work.
`record_many` appends several events by one actor with one claim, one
insert of the events, one of their references and one move of the head.
Moving the head signs it: HMAC over (seq, hash, time), see
`chain.compute_head_mac`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from reviewer.audit import refs as references
from reviewer.audit.chain import (
    MAX_ACTOR_NAME_LENGTH,
    AuditDataError,
    AuditError,
    ChainEvent,
    HeadRecord,
    VerifyResult,
    check_action,
    check_key,
    canonical_json,
    check_subject,
    compute_head_mac,
    plain_json,
    seal,
    verify_events,
)
from reviewer.audit.models import AuditEvent, AuditHead, AuditRef
from reviewer.orm import as_loaded, utcnow

SESSION_KEY = "audit_key"
HEAD_KEY = "audit_head"  # session.info: (transaction, seq, hash) of the head this transaction wrote last
VERIFY_BATCH = 1000

_events = AuditEvent.__table__
_head = AuditHead.__table__
_refs = AuditRef.__table__
_COLUMNS = [
    _events.c.seq,
    _events.c.occurred_at,
    _events.c.actor_id,
    _events.c.actor_name,
    _events.c.action,
    _events.c.subject,
    _events.c.data,
    _events.c.prev_hash,
    _events.c.hash,
    _events.c.mac,
]
# Built once: these run several times per request.
# The claim changes nothing (the head triggers allow only that or a move onto the last event),
# yet it locks the row; on PostgreSQL a waiting claim's RETURNING sees the head the winner committed.
_CLAIM_HEAD = update(_head).where(_head.c.id == 1).values(seq=_head.c.seq).returning(_head.c.seq, _head.c.hash)
_SET_HEAD = (
    update(_head)
    .where(_head.c.id == 1)
    .values(seq=bindparam("seq"), hash=bindparam("hash"), at=bindparam("at"), mac=bindparam("mac"))
)
_INSERT_EVENT = insert(_events)
_INSERT_REF = insert(_refs)


def record(
    session: Session,
    actor: Any,
    action: str,
    subject: str | None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction (flush, no commit).

    `actor` is a user-like object (`.id`, `.username`) or None for the
    system. The HMAC key comes from `session.info["audit_key"]`.
    """
    return record_many(session, actor, [(action, subject, data)])[0]


def record_many(
    session: Session, actor: Any, events: Sequence[tuple[str, str | None, dict[str, Any] | None]]
) -> list[AuditEvent]:
    """Append several events by one actor, in order, as `record` would one by one (flush, no commit).

    Everything that needs no lock (checking, canonical JSON, references) is
    done before the first statement, which on SQLite may be the one that
    takes the write lock; then the events and their references are written
    with one statement each and the head moved once.
    """
    key = session_key(session)
    actor_id, actor_name = _actor_fields(actor)
    prepared = [_prepare(action, subject, data) for action, subject, data in events]
    if not prepared:
        return []
    connection = session.connection()  # the session's own transaction, without the ORM's per-statement work
    seq, prev_hash = _claim_head(session, connection)
    session.flush()  # the caller's pending changes, in the order they always were: after the head
    written: list[AuditEvent] = []
    rows: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    for action, subject, data_text, found, scoped in prepared:
        if scoped is not None:
            _write(connection, rows, refs)  # the first event about `scoped` may be one of these
            account = inherited_account(session, scoped)
            if account is not None:
                found = [*found, ("account", account)]
        sealed = seal(
            ChainEvent(
                seq=seq, occurred_at=utcnow(), actor_id=actor_id, actor_name=actor_name, action=action,
                subject=subject, data=data_text, prev_hash=prev_hash,
            ),
            key,
        )
        rows.append({
            "seq": seq, "occurred_at": sealed.occurred_at, "actor_id": actor_id, "actor_name": actor_name,
            "action": action, "subject": subject, "data": data_text, "prev_hash": prev_hash,
            "hash": sealed.hash, "mac": sealed.mac,
        })  # not dataclasses.asdict: it deep-copies every field
        written.append(as_loaded(AuditEvent, rows[-1]))  # transient: the row is written with Core, not the unit of work
        refs.extend({"seq": seq, "name": name, "value": value} for name, value in found)
        prev_hash, seq = sealed.hash, seq + 1
    _write(connection, rows, refs)
    last = written[-1]
    connection.execute(_SET_HEAD, {
        "seq": last.seq, "hash": last.hash, "at": last.occurred_at,
        "mac": compute_head_mac(key, last.seq, last.hash, last.occurred_at),
    })
    session.info[HEAD_KEY] = (_current_transaction(session), last.seq, last.hash)
    return written


def _prepare(
    action: str, subject: str | None, data: dict[str, Any] | None
) -> tuple[str, str | None, str, list[tuple[str, str]], tuple[str, str] | None]:
    """Check one event's fields and work out its canonical data and references (no database)."""
    action = check_action(action)
    subject = check_subject(subject)
    if data is not None and not isinstance(data, Mapping):
        raise AuditDataError(f"data: expected a dict or None, got a {type(data).__name__}")
    plain = plain_json(data) if data is not None else None
    data_text = canonical_json(plain) if plain is not None else "{}"
    found = references.derive(subject, plain)
    return action, subject, data_text, found, references.needs_account(found, subject)


def _write(connection: Connection, rows: list[dict[str, Any]], refs: list[dict[str, Any]]) -> None:
    """Insert the buffered events, then their references (one statement each), and empty the buffers."""
    if rows:
        connection.execute(_INSERT_EVENT, rows)
        rows.clear()
    if refs:
        connection.execute(_INSERT_REF, refs)
        refs.clear()


def _claim_head(session: Session, connection: Connection) -> tuple[int, str]:
    """The next seq and the previous hash, taking the head row's lock (the serialisation point).

    The first append of a transaction updates the head row (`UPDATE ...
    RETURNING`): on PostgreSQL that row lock makes other appenders queue,
    on SQLite the statement holds the write lock. Later appends in the same
    transaction (not inside a savepoint begun since) already hold that lock,
    so nobody else can have moved the head: they continue from the head
    this session wrote last, without reading it again.
    """
    known = session.info.get(HEAD_KEY)
    if known is not None and known[0] is _current_transaction(session):
        return known[1] + 1, known[2]
    claimed = connection.execute(_CLAIM_HEAD).one_or_none()
    if claimed is None:
        raise AuditError("the audit_head row is missing: the audit tables are not set up; run `reviewer db upgrade`")
    return claimed[0] + 1, claimed[1]


def _current_transaction(session: Session) -> object | None:
    """The innermost transaction (a savepoint when one is open): the scope a remembered head is valid in."""
    return session.get_nested_transaction() or session.get_transaction()


def inherited_account(session: Session, ref: tuple[str, str]) -> str | None:
    """The account named by the first event about `ref` (e.g. the `draft.created` of `draft:12`).

    Two primary-key/index probes: the least seq about `ref`, then that event's account ref.
    """
    return session.execute(_INHERITED_ACCOUNT, {"kind": ref[0], "value": ref[1]}).scalar()


_FIRST_ABOUT = (
    select(func.min(_refs.c.seq))
    .where(_refs.c.name == bindparam("kind"), _refs.c.value == bindparam("value"))
    .scalar_subquery()
)
_INHERITED_ACCOUNT = select(_refs.c.value).where(_refs.c.seq == _FIRST_ABOUT, _refs.c.name == "account").limit(1)


def head(session: Session) -> tuple[int, str] | None:
    """The last event's (seq, hash), or None when the chain is empty."""
    row = session.execute(select(_events.c.seq, _events.c.hash).order_by(_events.c.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else None


def verify(
    session: Session,
    key: bytes,
    anchor: tuple[int, str] | None = None,
    anchors: Sequence[tuple[int, str]] = (),
    *,
    signed_head: bool = True,
) -> VerifyResult:
    """Check the whole chain (see `chain.verify_events`), in batches of VERIFY_BATCH events.

    The head the database recorded on the last append must be the last event
    and carry a good HMAC, so cutting the tail and setting the head back is
    caught without the key; an auditor's `anchor`, or signed `anchors` kept
    outside the database, catch a head row saved earlier and put back.
    The head and the last seq are read in one statement (one snapshot even
    under READ COMMITTED), and only events up to that seq are checked, so
    events appended meanwhile by others are left for the next check.
    `signed_head=False` is for a copy of a schema older than 0010 (its head
    has no time or MAC): the events only, the caller checks where they end.
    """
    check_key(key)
    if not signed_head:
        last = session.execute(select(func.max(_events.c.seq))).scalar() or 0
        return verify_events(_iter_events(session, upto=last), key, anchor=anchor, anchors=anchors)
    row = session.execute(_HEAD_AND_LAST).first()
    if row is None:
        raise AuditError("the audit_head row is missing: the audit tables are not set up; run `reviewer db upgrade`")
    recorded = HeadRecord(row.seq, row.hash, row.at, row.mac)
    return verify_events(
        _iter_events(session, upto=row.last or 0), key, anchor=anchor, recorded_head=recorded, anchors=anchors
    )


def recorded_head(session: Session) -> HeadRecord | None:
    """The head row as stored (seq, hash, time, HMAC), or None when it is missing."""
    row = session.execute(select(_head.c.seq, _head.c.hash, _head.c.at, _head.c.mac).where(_head.c.id == 1)).first()
    return HeadRecord(row.seq, row.hash, row.at, row.mac) if row else None


_HEAD_AND_LAST = select(
    _head.c.seq, _head.c.hash, _head.c.at, _head.c.mac,
    select(func.max(_events.c.seq)).scalar_subquery().label("last"),
).where(_head.c.id == 1)


def session_key(session: Session) -> bytes:
    """The HMAC key the app's sessionmaker put in `session.info`."""
    key = session.info.get(SESSION_KEY)
    if key is None:
        raise AuditError(
            f"session.info[{SESSION_KEY!r}] is not set: the app started without an audit key (in production "
            "instance/audit.key must exist: `reviewer audit init-key` on an empty trail, else restore it from backup)"
        )
    return check_key(key)


def _actor_fields(actor: Any) -> tuple[int | None, str | None]:
    if actor is None:
        return None, None
    try:
        actor_id, actor_name = actor.id, actor.username
    except AttributeError:
        raise AuditDataError(
            f"actor: expected a user (with .id and .username) or None for the system, got {type(actor).__name__}"
        ) from None
    if actor_id is not None and (not isinstance(actor_id, int) or isinstance(actor_id, bool)):
        raise AuditDataError(f"actor.id: expected an integer or None, got {actor_id!r}")
    if not isinstance(actor_name, str) or not actor_name or len(actor_name) > MAX_ACTOR_NAME_LENGTH:
        raise AuditDataError(f"actor.username: expected a non-empty string, got {actor_name!r}")
    return actor_id, actor_name


def _iter_events(session: Session, upto: int) -> Iterator[ChainEvent]:
    """Every event up to seq `upto`, in seq order, fetched in batches (keyset pagination)."""
    last: int | None = None
    while True:
        query = select(*_COLUMNS).where(_events.c.seq <= upto).order_by(_events.c.seq).limit(VERIFY_BATCH)
        if last is not None:
            query = query.where(_events.c.seq > last)
        rows = session.execute(query).all()
        for row in rows:
            yield ChainEvent(*row)
        if len(rows) < VERIFY_BATCH:
            return
        last = rows[-1].seq
