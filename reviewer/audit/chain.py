"""The hash chain itself: canonical serialisation, hashing, HMAC, verification.

Pure: standard library only, no Flask, no SQLAlchemy. The database side
(`services.py`) feeds plain `ChainEvent` values in and gets hashes out, so the
rules that make the trail tamper-evident live in one small, testable place.

An event's `hash` is SHA-256 over the canonical JSON of its content fields
(including `seq` and `prev_hash`), and its `mac` is HMAC-SHA256(key, hash).
Without the key nobody can forge a `mac`, so rewriting the chain is detected.
The database's head record (`audit_head`: seq, hash, time) carries its own
HMAC (`compute_head_mac`, over a message no event's `mac` covers), so a
head set back to an older event after cutting the tail is detected too;
a head row saved earlier and put back is caught by an anchor (a signed head
kept outside the database, see `reviewer audit anchor`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from reviewer.numbers import whole_number

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first event."""

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MAX_ACTION_LENGTH = 100
MAX_SUBJECT_LENGTH = 200
MAX_ACTOR_NAME_LENGTH = 200
MAX_SEQ = 2**63 - 1  # a 64-bit column
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class AuditError(Exception):
    """Base class for audit errors a caller can act on."""


class AuditDataError(AuditError, ValueError):
    """An event's action, subject or data is not acceptable."""


@dataclass(frozen=True)
class ChainEvent:
    """The fields of one event, as stored."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    subject: str | None
    data: str
    prev_hash: str
    hash: str = ""
    mac: str = ""


@dataclass(frozen=True)
class HeadRecord:
    """The head as the database recorded it on the last append: seq, hash, time and its HMAC."""

    seq: int
    hash: str
    at: datetime | None = None
    mac: str | None = None


@dataclass(frozen=True)
class BadEvent:
    """Where verification failed first, and why."""

    seq: int
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking a chain: `ok`, how many events, the head, the first bad event."""

    ok: bool
    count: int
    head: tuple[int, str] | None
    first_bad: BadEvent | None = None


# --- canonical forms -------------------------------------------------------


def format_timestamp(value: datetime) -> str:
    """One ISO form for every timestamp: UTC, microseconds, `Z`."""
    if value.tzinfo is None:
        raise AuditDataError("naive datetime: audit timestamps must be timezone-aware UTC")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, non-ASCII kept as is (hashed as UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def plain_json(value: Any, where: str = "data") -> Any:
    """`value` as plain dicts and lists; AuditDataError names the first part that is not JSON."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditDataError(f"{where}: {value!r} is not allowed in audit data (JSON has no NaN or infinity)")
        return value
    if isinstance(value, Mapping):
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditDataError(
                    f"{where}: key {key!r} is a {type(key).__name__}; audit data keys must be strings"
                )
            plain[key] = plain_json(item, f"{where}[{key!r}]")
        return plain
    if isinstance(value, (list, tuple)):
        return [plain_json(item, f"{where}[{index}]") for index, item in enumerate(value)]
    raise AuditDataError(
        f"{where}: a {type(value).__name__} is not JSON-serialisable; "
        "pass strings, numbers, booleans, None, lists and dicts only"
    )


def encode_data(data: Mapping[str, Any] | None) -> str:
    """The canonical JSON text stored in `data` (an empty object when None)."""
    if data is None:
        return "{}"
    if not isinstance(data, Mapping):
        raise AuditDataError(f"data: expected a dict or None, got a {type(data).__name__}")
    return canonical_json(plain_json(data))


def check_action(action: Any) -> str:
    """Action names are dotted and lower case: `auth.login`, `draft.submitted`."""
    if not isinstance(action, str) or not ACTION_PATTERN.match(action) or len(action) > MAX_ACTION_LENGTH:
        raise AuditDataError(
            f"action {action!r} is not a valid audit action: use dotted lower-case words "
            f"such as 'auth.login' or 'draft.submitted' (at most {MAX_ACTION_LENGTH} characters)"
        )
    return action


def check_subject(subject: Any) -> str | None:
    """A subject names what the event is about (`user:42`), or is None."""
    if subject is None:
        return None
    if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_LENGTH:
        raise AuditDataError(
            f"subject {subject!r} is not valid: pass None or a non-empty string of at most "
            f"{MAX_SUBJECT_LENGTH} characters, such as 'user:42'"
        )
    return subject


def content_of(event: ChainEvent) -> dict[str, Any]:
    """The fields covered by the hash (everything but `hash` and `mac`)."""
    return {
        "seq": event.seq,
        "occurred_at": format_timestamp(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "subject": event.subject,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }


CONTENT_FIELDS = ("seq", "occurred_at", "actor_id", "actor_name", "action", "subject", "data", "prev_hash")
"""The fields the hash covers, in the order exports write them."""


def serialise(event: ChainEvent) -> bytes:
    """The exact bytes that are hashed."""
    return canonical_json(content_of(event)).encode("utf-8")


def compute_hash(event: ChainEvent) -> str:
    return hash_content(content_of(event))


def hash_content(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an event's content fields, as given.

    Offline verification of an export hashes each line's fields through this
    very function, so the file is checked in exactly the form the trail is.
    """
    return hashlib.sha256(canonical_json(dict(content)).encode("utf-8")).hexdigest()


def compute_mac(key: bytes, event_hash: str) -> str:
    return hmac.new(key, event_hash.encode("ascii"), hashlib.sha256).hexdigest()


def head_message(seq: int, event_hash: str, at: datetime) -> bytes:
    """What a head's HMAC covers: canonical JSON naming it a head, so no event's `mac` can stand in for it."""
    return canonical_json({"audit_head": {"at": format_timestamp(at), "hash": event_hash, "seq": seq}}).encode("utf-8")


def compute_head_mac(key: bytes, seq: int, event_hash: str, at: datetime) -> str:
    """HMAC-SHA256 of the head (seq, hash, time) under the trail's key."""
    return hmac.new(check_key(key), head_message(seq, event_hash, at), hashlib.sha256).hexdigest()


def head_mac_ok(key: bytes, head: HeadRecord) -> bool:
    if head.mac is None or head.at is None:
        return False
    return hmac.compare_digest(compute_head_mac(key, head.seq, head.hash, head.at), head.mac)


def check_key(key: Any) -> bytes:
    if not isinstance(key, bytes) or len(key) < 16:
        raise AuditError("the audit key must be bytes, at least 16 of them (see reviewer.audit.load_or_create_key)")
    return key


def seal(event: ChainEvent, key: bytes) -> ChainEvent:
    """Return `event` with its `hash` and `mac` filled in."""
    event_hash = compute_hash(event)
    return replace(event, hash=event_hash, mac=compute_mac(check_key(key), event_hash))


# --- anchors -------------------------------------------------------------


def parse_anchor(text: str) -> tuple[int, str]:
    """Parse `SEQ:HASH` (as printed by `reviewer audit verify`); ValueError says what is wrong."""
    seq_text, sep, hash_text = text.strip().partition(":")
    if not sep:
        raise ValueError(f"anchor {text!r} must look like SEQ:HASH, e.g. 120:<64 hex characters>")
    seq = whole_number(seq_text, MAX_SEQ)
    if not seq:
        raise ValueError(f"anchor {text!r}: SEQ must be a whole number of at least 1, got {seq_text!r}")
    hash_text = hash_text.lower()
    if not _HEX64.match(hash_text):
        raise ValueError(f"anchor {text!r}: HASH must be the full 64 hex characters of the event's hash")
    return seq, hash_text


def short(event_hash: str) -> str:
    return f"{event_hash[:8]}.."


# --- verification ----------------------------------------------------------


def verify_events(
    events: Iterable[ChainEvent],
    key: bytes,
    anchor: tuple[int, str] | None = None,
    recorded_head: HeadRecord | None = None,
    anchors: Iterable[tuple[int, str]] = (),
) -> VerifyResult:
    """Check a chain given in `seq` order; stop at the first bad event.

    Per event, in this order: the sequence has no gap, the content matches
    its hash, the HMAC matches, and `prev_hash` is the previous event's hash.
    Then the chain must still hold the `anchor` (a head noted earlier, e.g.
    by an auditor) and every one of `anchors` (signed heads kept outside the
    database), each with exactly that seq and hash. Last, `recorded_head`
    (the head the database noted on the last append) must be the last event
    and carry a good HMAC (see `head_problem`).
    """
    check_key(key)
    count = 0
    previous: ChainEvent | None = None
    points = [*([anchor] if anchor else []), *anchors]
    wanted = {point[0] for point in points}
    if recorded_head is not None:
        wanted.add(recorded_head.seq)
    seen: dict[int, str] = {}

    def failed(seq: int, reason: str) -> VerifyResult:
        head = (previous.seq, previous.hash) if previous else None
        return VerifyResult(ok=False, count=count, head=head, first_bad=BadEvent(seq, reason))

    for event in events:
        expected_seq = previous.seq + 1 if previous else 1
        if event.seq != expected_seq:
            return failed(event.seq, f"sequence gap after {expected_seq - 1}")
        if compute_hash(event) != event.hash:
            return failed(event.seq, "hash mismatch: content changed")
        if not hmac.compare_digest(compute_mac(key, event.hash), event.mac):
            return failed(event.seq, "HMAC mismatch")
        expected_prev = previous.hash if previous else GENESIS_HASH
        if event.prev_hash != expected_prev:
            if previous is None:
                return failed(event.seq, "prev_hash of the first event is not the genesis value")
            return failed(event.seq, f"prev_hash does not match event {previous.seq}")
        if event.seq in wanted:
            seen[event.seq] = event.hash
        previous = event
        count += 1

    for seq, event_hash in points:
        if seen.get(seq) != event_hash:
            return failed(seq, f"anchor {seq}:{short(event_hash)} not found: the chain was cut or rewritten")
    if recorded_head is not None:
        problem = head_problem(recorded_head, previous, seen, key)
        if problem:
            return failed(recorded_head.seq, problem)
    head = (previous.seq, previous.hash) if previous else None
    return VerifyResult(ok=True, count=count, head=head)


def head_problem(head: HeadRecord, last: ChainEvent | None, seen: Mapping[int, str], key: bytes) -> str | None:
    """Why the database's head record does not match the chain, or None when it does.

    It must name an event of the chain, that event must be the last, and its
    HMAC over (seq, hash, time) must be good. The one unsigned head accepted
    is the genesis head of an empty chain (nothing to cut; an anchor kept
    outside catches a trail emptied wholesale).
    """
    named = f"the database's head record {head.seq}:{short(head.hash)}"
    if head.seq == 0 and last is None:
        return None
    if head.seq == 0:
        return f"{named} says the chain is empty, but it holds events up to {last.seq}: the head record was edited"
    if seen.get(head.seq) != head.hash:
        return f"{named} is not in the chain: events were cut or the head record was edited"
    if last is not None and last.seq != head.seq:
        return (
            f"{named} is not the last event ({last.seq}:{short(last.hash)}): "
            "the head was set back, or events were appended without moving it"
        )
    if head.mac is None:
        return (
            f"{named} is not signed: it was edited, or it dates from before migration 0010 and no event "
            "has been recorded since (`reviewer db upgrade` signs it)"
        )
    if not head_mac_ok(key, head):
        return (
            f"{named} has a wrong MAC: it was set by someone without the audit key "
            "(events cut and the head set back?), or instance/audit.key is not the key that signed this chain"
        )
    return None
