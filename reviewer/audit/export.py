"""Evidence exports of the trail for a time range: JSON Lines (verifiable offline) and CSV.

JSON Lines: one event a line with every stored field and both hashes,
`occurred_at` and `data` exactly as hashed (`data` is the canonical JSON
text, a string), so `offline.check_export` (or the procedure in
docs/audit.md) re-derives each hash from the line alone. CSV: the same
columns for spreadsheets, with formula injection defused (a cell starting
with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`), so it is for
reading, not for verifying.

An export covers a contiguous seq range (every event from the first at or
after FROM to the last before TO), fixed when it starts: events appended
while it streams are not in it. Rows are fetched in keyset batches and
written as they come, never held whole in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session

from reviewer.audit.browse import EventRow, format_bound, iter_range, seq_bounds
from reviewer.audit.chain import content_of
from reviewer.audit.offline import EXPORT_FIELDS
from reviewer.audit.services import record

FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """An export that cannot be made as asked (bad format, nothing in the range)."""


@dataclass(frozen=True)
class ExportRange:
    """The events an export holds: seq low..high (both included) for [since, until)."""

    since: datetime | None
    until: datetime | None
    low: int
    high: int

    @property
    def count(self) -> int:
        return self.high - self.low + 1

    def filename(self, fmt: str) -> str:
        start = format_bound(self.since) or "start"
        end = format_bound(self.until, end=True) or "now"
        return f"audit-{start}-to-{end}-seq{self.low}-{self.high}.{fmt}".replace(":", "")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


def resolve_range(session: Session, since: datetime | None, until: datetime | None) -> ExportRange:
    """The seq range to export; ExportError when no event falls in [since, until)."""
    bounds = seq_bounds(session, since, until)
    if bounds is None:
        raise ExportError("no audit events fall in that period: nothing to export")
    return ExportRange(since, until, *bounds)


def event_fields(row: EventRow) -> dict[str, Any]:
    """The exported fields of one event, in EXPORT_FIELDS order, exactly as hashed."""
    values = {**content_of(row), "hash": row.hash, "mac": row.mac}
    return {name: values[name] for name in EXPORT_FIELDS}


#: Characters some tools read as line breaks, which JSON leaves raw: written escaped, so one event stays one line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def jsonl_lines(rows: Iterable[EventRow]) -> Iterator[str]:
    """One JSON object a line; UTF-8 text kept readable, odd line breaks escaped (the values are unchanged)."""
    for row in rows:
        text = json.dumps(event_fields(row), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        yield text.translate(_LINE_BREAKS) + "\n"


def safe_cell(value: Any) -> Any:
    """A spreadsheet cannot read this cell as a formula (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_lines(rows: Iterable[EventRow]) -> Iterator[str]:
    """A UTF-8 byte-order mark (so spreadsheets read non-ASCII text right), the header, then a line per event."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_FIELDS)
    yield "\ufeff" + take()
    for row in rows:
        writer.writerow([safe_cell(value) for value in event_fields(row).values()])
        yield take()


def lines(fmt: str, rows: Iterable[EventRow]) -> Iterator[str]:
    return jsonl_lines(rows) if check_format(fmt) == "jsonl" else csv_lines(rows)


def stream(open_session: Callable[[], Session], fmt: str, span: ExportRange, batch: int = 1000) -> Iterator[bytes]:
    """The export as UTF-8 chunks, read through its own short-lived session (for a streamed response)."""
    check_format(fmt)
    session = open_session()
    try:
        for text in lines(fmt, iter_range(session, span.low, span.high, batch)):
            yield text.encode("utf-8")
    finally:
        session.close()


def write(session: Session, fmt: str, span: ExportRange, out: IO[str]) -> int:
    """Write the export to a text file; returns the number of events written."""
    written = 0
    for text in lines(fmt, iter_range(session, span.low, span.high)):
        out.write(text)
        written += 1
    return written - (1 if fmt == "csv" else 0)


def record_export(session: Session, actor: Any, fmt: str, span: ExportRange, via: str) -> None:
    """Audit the export (`audit.exported`): who, which format, which period and seq range."""
    record(
        session,
        actor,
        "audit.exported",
        None,
        {
            "format": fmt,
            "from": format_bound(span.since),
            "to": format_bound(span.until, end=True),
            "first_seq": span.low,
            "last_seq": span.high,
            "count": span.count,
            "via": via,
        },
    )
