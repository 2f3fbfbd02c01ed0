"""Anchors kept outside the database: signed heads, one JSON object a line, appended by `reviewer audit anchor`.

A line is the head the database recorded (seq, hash, time) with its HMAC
(`chain.compute_head_mac`) and the time it was noted:
`{"at": ..., "hash": ..., "mac": ..., "noted_at": ..., "seq": N}`. An
auditor's `reviewer audit verify --anchors FILE` checks every line's HMAC
(a line nobody with the key wrote is refused) and then that the chain still
holds each anchored event with exactly that hash: a tail cut after the line
was written is caught even when the head row in the database was put back
to a copy saved earlier. Pure: standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from reviewer.audit.chain import AuditError, HeadRecord, canonical_json, format_timestamp, head_mac_ok

FIELDS = ("at", "hash", "mac", "noted_at", "seq")


class AnchorFileError(AuditError):
    """An anchors file line is malformed or not signed with the trail's key."""


def anchor_line(head: HeadRecord, noted_at: datetime) -> str:
    """The line `reviewer audit anchor` appends (no newline): the signed head and when it was noted."""
    if head.at is None or head.mac is None:
        raise AuditError(f"the head {head.seq} is not signed: record an event (or run `reviewer db upgrade`) first")
    return canonical_json({
        "seq": head.seq, "hash": head.hash, "at": format_timestamp(head.at), "mac": head.mac,
        "noted_at": format_timestamp(noted_at),
    })


def read_anchors(lines: Iterable[str], key: bytes, where: str = "anchors") -> list[tuple[int, str]]:
    """(seq, hash) of every line, each checked against its HMAC; AnchorFileError names `where:line` and why."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or sorted(item) != sorted(FIELDS):
                raise ValueError(f"expected an object with exactly {', '.join(FIELDS)}")
            seq, event_hash = item["seq"], item["hash"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or not isinstance(event_hash, str):
                raise ValueError("seq must be a whole number of at least 1 and hash a string")
            at = datetime.fromisoformat(str(item["at"]).replace("Z", "+00:00"))
            if at.tzinfo is None:
                raise ValueError("at must carry its zone (Z)")
        except (ValueError, OverflowError) as error:
            raise AnchorFileError(f"{where}:{number}: not an anchor line ({error})") from None
        if not head_mac_ok(key, HeadRecord(seq, event_hash, at, item["mac"] if isinstance(item["mac"], str) else None)):
            raise AnchorFileError(
                f"{where}:{number}: the anchor {seq}:{event_hash[:8]}.. has a wrong MAC: it was not written with "
                "this trail's key (an edited anchors file, or the wrong instance/audit.key)"
            )
        found.append((seq, event_hash))
    return found
