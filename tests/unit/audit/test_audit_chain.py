"""The pure chain: canonical form, hashing, HMAC, anchors, and what verification names."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviewer.audit.chain import (
    GENESIS_HASH,
    AuditDataError,
    AuditError,
    ChainEvent,
    HeadRecord,
    check_action,
    check_subject,
    compute_hash,
    compute_head_mac,
    encode_data,
    format_timestamp,
    head_message,
    parse_anchor,
    seal,
    serialise,
    verify_events,
)

KEY = bytes(range(32))
T0 = datetime(2026, 11, 23, 6, 30, 0, 123456, tzinfo=timezone.utc)


def build_chain(n: int, key: bytes = KEY) -> list[ChainEvent]:
    events: list[ChainEvent] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        event = seal(
            ChainEvent(
                seq=seq,
                occurred_at=T0 + timedelta(seconds=seq),
                actor_id=seq % 3 or None,
                actor_name=f"user{seq % 3}" if seq % 3 else None,
                action="draft.submitted",
                subject=f"draft:{seq}",
                data=encode_data({"n": seq, "text": "Kia ora, café"}),
                prev_hash=prev,
            ),
            key,
        )
        events.append(event)
        prev = event.hash
    return events


def reseal_from(events: list[ChainEvent], start: int, key: bytes) -> list[ChainEvent]:
    """Recompute hashes (and MACs with `key`) from index `start` on, keeping the links intact."""
    out = events[:start]
    for event in events[start:]:
        prev = out[-1].hash if out else GENESIS_HASH
        out.append(seal(replace(event, seq=len(out) + 1, prev_hash=prev), key))
    return out


def test_serialisation_is_canonical_sorted_compact_utf8() -> None:
    event = build_chain(1)[0]
    text = serialise(event).decode("utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert '"occurred_at":"2026-11-23T06:30:01.123456Z"' in text
    assert '"prev_hash":"' + GENESIS_HASH + '"' in text
    assert "café" in text
    assert event.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert event.mac == hmac.new(KEY, event.hash.encode(), hashlib.sha256).hexdigest()


def test_timestamps_have_one_form_whatever_the_zone() -> None:
    auckland = timezone(timedelta(hours=13))
    assert format_timestamp(T0.astimezone(auckland)) == "2026-11-23T06:30:00.123456Z"
    assert format_timestamp(T0.replace(microsecond=0)) == "2026-11-23T06:30:00.000000Z"
    with pytest.raises(AuditDataError, match="naive"):
        format_timestamp(T0.replace(tzinfo=None))


def test_data_is_stored_as_canonical_json() -> None:
    assert encode_data({"b": 1, "a": [1, 2.5, None, True], "é": "ü"}) == '{"a":[1,2.5,null,true],"b":1,"é":"ü"}'
    assert encode_data(MappingProxyType({"t": (1, MappingProxyType({"x": "y"}))})) == '{"t":[1,{"x":"y"}]}'
    assert encode_data(None) == "{}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"when": T0}, r"data\['when'\]: a datetime is not JSON-serialisable"),
        ({"ids": {1, 2}}, r"data\['ids'\]: a set is not JSON-serialisable"),
        ({"x": [1, object()]}, r"data\['x'\]\[1\]: a object is not JSON-serialisable"),
        ({"score": float("nan")}, r"data\['score'\]: nan is not allowed"),
        ({"score": float("inf")}, r"data\['score'\]: inf is not allowed"),
        ({1: "one"}, r"data: key 1 is a int; audit data keys must be strings"),
        (["not", "a", "dict"], r"data: expected a dict or None, got a list"),
    ],
)
def test_data_that_is_not_plain_json_is_refused_with_where(data, message: str) -> None:
    with pytest.raises(AuditDataError, match=message):
        encode_data(data)


@pytest.mark.parametrize("action", ["auth.login", "auth.login_failed", "user.created", "draft.submitted", "a.b.c2"])
def test_good_action_names(action: str) -> None:
    assert check_action(action) == action


@pytest.mark.parametrize("action", ["login", "Auth.login", "auth.", ".login", "auth..login", "auth.log-in", "a" * 99 + ".b", 3, None])
def test_bad_action_names_are_refused(action) -> None:
    with pytest.raises(AuditDataError, match="not a valid audit action"):
        check_action(action)


def test_subjects() -> None:
    assert check_subject(None) is None
    assert check_subject("user:42") == "user:42"
    for bad in ("", "x" * 201, 42):
        with pytest.raises(AuditDataError, match="subject"):
            check_subject(bad)


def test_a_good_chain_verifies() -> None:
    events = build_chain(12)
    result = verify_events(events, KEY)
    assert result.ok and result.count == 12 and result.first_bad is None
    assert result.head == (12, events[-1].hash)


def test_an_empty_chain_verifies_with_no_head() -> None:
    result = verify_events([], KEY)
    assert result.ok and result.count == 0 and result.head is None


@pytest.mark.parametrize(
    "change",
    [
        {"data": encode_data({"n": 5, "text": "edited"})},
        {"action": "draft.approved"},
        {"actor_name": "mallory"},
        {"actor_id": 99},
        {"subject": "draft:999"},
        {"occurred_at": T0 + timedelta(seconds=5, microseconds=1)},
        {"prev_hash": "f" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
def test_editing_any_field_names_that_event(change: dict) -> None:
    events = build_chain(8)
    events[4] = replace(events[4], **change)
    result = verify_events(events, KEY)
    assert not result.ok
    assert (result.first_bad.seq, result.first_bad.reason) == (5, "hash mismatch: content changed")
    assert result.count == 4 and result.head == (4, events[3].hash)


def test_a_deleted_event_is_named_as_a_gap() -> None:
    events = build_chain(8)
    del events[4]
    result = verify_events(events, KEY)
    assert (result.first_bad.seq, result.first_bad.reason) == (6, "sequence gap after 4")


def test_a_missing_first_event_is_a_gap_after_zero() -> None:
    result = verify_events(build_chain(3)[1:], KEY)
    assert (result.first_bad.seq, result.first_bad.reason) == (2, "sequence gap after 0")


def test_a_tail_rewritten_without_the_key_fails_the_hmac_at_the_first_rewrite() -> None:
    events = build_chain(8)
    events[4] = replace(events[4], data=encode_data({"n": 5, "text": "rewritten"}))
    forged = reseal_from(events, 4, key=b"attacker's own key, not ours!!!!")
    result = verify_events(forged, KEY)
    assert (result.first_bad.seq, result.first_bad.reason) == (5, "HMAC mismatch")


def test_a_genuine_event_moved_to_another_chain_fails_the_link() -> None:
    events = build_chain(6)
    other = build_chain(6)  # same key, different content from event 1 on
    other = [replace(e, data=encode_data({"other": e.seq})) for e in other]
    other = reseal_from(other, 0, KEY)
    spliced = events[:3] + [other[3]]
    result = verify_events(spliced, KEY)
    assert (result.first_bad.seq, result.first_bad.reason) == (4, "prev_hash does not match event 3")


def test_a_wrong_key_fails_at_the_first_event() -> None:
    result = verify_events(build_chain(3), b"k" * 32)
    assert (result.first_bad.seq, result.first_bad.reason) == (1, "HMAC mismatch")


def test_an_anchor_catches_a_cut_tail() -> None:
    events = build_chain(10)
    anchor = (10, events[-1].hash)
    assert verify_events(events, KEY, anchor=anchor).ok
    cut = events[:7]
    assert verify_events(cut, KEY).ok
    result = verify_events(cut, KEY, anchor=anchor)
    assert not result.ok
    assert result.first_bad.seq == 10
    assert result.first_bad.reason == f"anchor 10:{anchor[1][:8]}.. not found: the chain was cut or rewritten"
    assert result.count == 7 and result.head == (7, events[6].hash)


def test_an_anchor_whose_hash_differs_fails() -> None:
    events = build_chain(5)
    result = verify_events(events, KEY, anchor=(3, "a" * 64))
    assert not result.ok and result.first_bad.seq == 3 and "anchor 3:aaaaaaaa.. not found" in result.first_bad.reason


def signed_head(event: ChainEvent, key: bytes = KEY) -> HeadRecord:
    return HeadRecord(event.seq, event.hash, event.occurred_at, compute_head_mac(key, event.seq, event.hash, event.occurred_at))


def test_the_databases_recorded_head_must_be_the_last_event_and_signed() -> None:
    events = build_chain(6)
    assert verify_events(events, KEY, recorded_head=signed_head(events[-1])).ok
    result = verify_events(events[:4], KEY, recorded_head=signed_head(events[-1]))
    assert result.first_bad.seq == 6 and "head record 6:" in result.first_bad.reason
    assert "is not in the chain" in result.first_bad.reason
    behind = verify_events(events, KEY, recorded_head=signed_head(events[3]))
    assert behind.first_bad.seq == 4 and "is not the last event (6:" in behind.first_bad.reason
    forged = verify_events(events[:4], KEY, recorded_head=signed_head(events[3], key=b"attacker's own key, not ours!!!!"))
    assert forged.first_bad.seq == 4 and "has a wrong MAC" in forged.first_bad.reason
    unsigned = verify_events(events, KEY, recorded_head=HeadRecord(6, events[-1].hash))
    assert "is not signed" in unsigned.first_bad.reason
    assert verify_events([], KEY, recorded_head=HeadRecord(0, GENESIS_HASH)).ok
    emptied = verify_events(events, KEY, recorded_head=HeadRecord(0, GENESIS_HASH))
    assert "says the chain is empty" in emptied.first_bad.reason


def test_a_heads_mac_is_not_any_events_mac() -> None:
    """Domain separation: the head message is JSON naming a head, never the 64 hex characters an event's mac covers."""
    event = build_chain(1)[0]
    assert compute_head_mac(KEY, 1, event.hash, event.occurred_at) != event.mac
    assert head_message(1, event.hash, event.occurred_at).startswith(b'{"audit_head":')
    moved = compute_head_mac(KEY, 1, event.hash, event.occurred_at + timedelta(microseconds=1))
    assert moved != compute_head_mac(KEY, 1, event.hash, event.occurred_at)  # the time is covered


def test_anchors_parse_and_bad_ones_say_why() -> None:
    digest = "AB" * 32
    assert parse_anchor(f" 120:{digest} ") == (120, digest.lower())
    for text, message in [
        ("120", "must look like SEQ:HASH"),
        ("x:" + "a" * 64, "SEQ must be a whole number"),
        ("0:" + "a" * 64, "SEQ must be a whole number of at least 1"),
        ("12:abc", "HASH must be the full 64 hex characters"),
        ("12:" + "g" * 64, "HASH must be the full 64 hex characters"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_anchor(text)


def test_keys_must_be_bytes() -> None:
    with pytest.raises(AuditError, match="audit key must be bytes"):
        verify_events([], "not bytes")  # type: ignore[arg-type]
    with pytest.raises(AuditError, match="at least 16"):
        seal(build_chain(1)[0], b"short")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@given(data=st.dictionaries(st.text(max_size=8), json_values, max_size=5), actor=st.none() | st.text(min_size=1))
def test_any_json_data_round_trips_and_verifies(data: dict, actor: str | None) -> None:
    text = encode_data(data)
    assert json.loads(text) == data
    event = seal(
        ChainEvent(1, T0, 1 if actor else None, actor, "test.event", None, text, GENESIS_HASH),
        KEY,
    )
    assert compute_hash(event) == event.hash
    assert verify_events([event], KEY).ok
