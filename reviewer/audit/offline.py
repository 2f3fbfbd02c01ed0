"""Verify a JSON Lines export of the trail with nothing but the file (and, ideally, the key).

Pure: standard library only, so an auditor can read exactly what is
checked. Each line is one event with the fields the hash covers
(`chain.CONTENT_FIELDS`) plus `hash` and `mac`. Per line, in order: the
line is a JSON object with exactly those fields; `seq` follows the line
before; the hash of the content fields (the same canonical JSON the trail
is hashed with) equals `hash`; with the key, HMAC-SHA256(key, hash) equals
`mac`; `prev_hash` is the line before's `hash` (the first line's must be
the genesis value when it is event 1; otherwise it is reported, to check
against the trail or an earlier export).

Without the key only hashes and links are checked: anyone can recompute
those, so the result says plainly that the HMACs were not checked.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass

from reviewer.audit.chain import CONTENT_FIELDS, GENESIS_HASH, check_key, compute_mac, hash_content, short

EXPORT_FIELDS = (*CONTENT_FIELDS, "hash", "mac")


@dataclass(frozen=True)
class ExportCheck:
    """What checking an export found: ok, how much, the range, and the first problem (line and why)."""

    ok: bool
    count: int
    keyed: bool
    first: tuple[int, str] | None = None  # (seq, prev_hash) of the first event in the file
    head: tuple[int, str] | None = None  # (seq, hash) of the last good event
    bad_line: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        """The lines a person reads (the first says OK or FAILED)."""
        how = "hashes, links and HMACs checked with the key" if self.keyed else (
            "hashes and links only: no key given, so the HMACs were NOT checked "
            "(anyone can recompute hashes; pass --key-file to prove the events were signed by this trail)"
        )
        if not self.ok:
            return f"FAILED at line {self.bad_line}: {self.reason}\n({how})"
        if self.count == 0:
            return f"OK: the file holds no events ({how})"
        lines = [
            f"OK: {self.count} events, seq {self.first[0]}..{self.head[0]}, head {self.head[0]}:{self.head[1]}",
            f"({how})",
        ]
        if self.first[0] > 1:
            lines.append(
                f"The first event links to the hash of event {self.first[0] - 1}: {self.first[1]} "
                "(check it against the trail, an anchor or the export before this one)"
            )
        return "\n".join(lines)


def check_export(lines: Iterable[str], key: bytes | None = None, anchor: tuple[int, str] | None = None) -> ExportCheck:
    """Check an export's lines (text, one event each); stop at the first bad line."""
    if key is not None:
        check_key(key)
    count = 0
    first: tuple[int, str] | None = None
    previous: tuple[int, str] | None = None
    anchor_seen = False

    def failed(number: int, reason: str) -> ExportCheck:
        return ExportCheck(False, count, key is not None, first, previous, number, reason)

    number = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if line.strip("\r\n"):
                return failed(number, "a line of blanks: every line must be one event")
            continue
        try:
            event = json.loads(line)
        except ValueError as exc:
            return failed(number, f"not JSON ({exc})")
        if not isinstance(event, dict):
            return failed(number, "not a JSON object")
        missing = [name for name in EXPORT_FIELDS if name not in event]
        extra = sorted(set(event) - set(EXPORT_FIELDS))
        if missing or extra:
            return failed(number, f"fields missing: {missing or 'none'}, unexpected: {extra or 'none'}")
        seq, event_hash = event["seq"], event["hash"]
        if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(event_hash, str):
            return failed(number, "seq must be a whole number and hash a string")
        if previous is not None and seq != previous[0] + 1:
            return failed(number, f"event {seq} does not follow event {previous[0]}: events are missing or out of order")
        if hash_content({name: event[name] for name in CONTENT_FIELDS}) != event_hash:
            return failed(number, f"event {seq}: hash mismatch: the content was changed")
        if key is not None and not (
            isinstance(event["mac"], str) and hmac.compare_digest(compute_mac(key, event_hash), event["mac"])
        ):
            return failed(number, f"event {seq}: HMAC mismatch (a forged event, or not the key that signed this trail)")
        if previous is None:
            if seq == 1 and event["prev_hash"] != GENESIS_HASH:
                return failed(number, "event 1: prev_hash is not the genesis value")
            first = (seq, str(event["prev_hash"]))
        elif event["prev_hash"] != previous[1]:
            return failed(number, f"event {seq}: prev_hash does not match the hash of event {previous[0]}")
        if anchor is not None and seq == anchor[0]:
            if event_hash != anchor[1]:
                return failed(number, f"event {seq} is not the anchor {anchor[0]}:{short(anchor[1])}")
            anchor_seen = True
        previous = (seq, event_hash)
        count += 1
    if anchor is not None and not anchor_seen:
        return failed(number + 1, f"anchor {anchor[0]}:{short(anchor[1])} is not in this file")
    return ExportCheck(True, count, key is not None, first, previous)
