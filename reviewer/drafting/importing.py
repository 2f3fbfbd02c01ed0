"""Import inbound posts from CSV or JSON Lines, all or nothing per file.

Both formats carry the keys `platform, author_handle, text, url,
received_at, external_id` (received_at in ISO 8601 with a timezone or Z).
A file with any bad row stores nothing: the result lists every problem by
line and field, so a person fixes the file and uploads it again. Posts
whose external_id the account already has (or that repeat within the file)
are skipped and counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer import jsontext
from reviewer.accounts.principal import AnyUser
from reviewer.audit import record
from reviewer.orm import utcnow
from reviewer.drafting.models import InboundPost
from reviewer.drafting.common import conflicts_as_errors, require_drafter
from reviewer.drafting.inbound import CleanInbound, add_inbound, clean_inbound
from reviewer.orgs.models import OrgAccount
from reviewer.review.workflow import InvalidInput
from reviewer.vocabulary import PLATFORMS

FORMATS = ("csv", "jsonl")
COLUMNS = ("platform", "author_handle", "text", "url", "received_at", "external_id")
REQUIRED = ("author_handle", "text", "received_at")
MAX_ROWS = 10_000
MAX_ERRORS = 100


@dataclass(frozen=True)
class RowError:
    """One problem in the file: line number (1 is the first line, the CSV header), field, message."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    """What an import did: posts created, duplicates skipped, or the errors that stopped it."""

    created: int = 0
    skipped_duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    posts: list[InboundPost] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_inbound(session: Session, actor: AnyUser | None, account: OrgAccount, stream: IO[Any] | bytes | str, fmt: str) -> ImportResult:
    """Read every row of `stream` (bytes or text, CSV or JSON Lines), then store all of them or none.

    Flushes, never commits; one `inbound.imported` audit event for the file.
    """
    require_drafter(account, actor)
    if fmt not in FORMATS:
        raise InvalidInput("format", f"{fmt!r} is not one of: {', '.join(FORMATS)}")
    result = ImportResult()
    try:
        text = _read_text(stream)
    except UnicodeDecodeError as error:
        result.errors.append(RowError(1, None, f"the file is not UTF-8 text (byte {error.start}); save it as UTF-8"))
        return result
    rows = _csv_rows(text, result) if fmt == "csv" else _jsonl_rows(text, result)
    cleaned: list[tuple[int, CleanInbound]] = []
    now = utcnow()
    for line, row in rows:
        if len(cleaned) + len(result.errors) >= MAX_ROWS:
            result.errors.append(RowError(line, None, f"too many rows: at most {MAX_ROWS} per file; split the file"))
            break
        clean = _clean_row(line, row, account, result, now)
        if clean is not None:
            cleaned.append((line, clean))
        if len(result.errors) >= MAX_ERRORS:
            result.errors.append(RowError(line, None, f"stopped after {MAX_ERRORS} problems; fix these first"))
            break
    if not result.errors and not cleaned:
        result.errors.append(RowError(1, None, "the file has no posts"))
    if result.errors:
        return result
    known = _known_external_ids(session, account, {c.external_id for _, c in cleaned if c.external_id})
    seen: set[str] = set()
    with conflicts_as_errors(session):
        for _, clean in cleaned:
            if clean.external_id is not None:
                if clean.external_id in known or clean.external_id in seen:
                    result.skipped_duplicates += 1
                    continue
                seen.add(clean.external_id)
            result.posts.append(add_inbound(session, actor, account, clean))
        session.flush()
    result.created = len(result.posts)
    record(
        session,
        actor,
        "inbound.imported",
        f"account:{account.id}",
        {"format": fmt, "created": result.created, "skipped_duplicates": result.skipped_duplicates},
    )
    return result


def _read_text(stream: IO[Any] | bytes | str) -> str:
    data = stream if isinstance(stream, (bytes, str)) else stream.read()
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    return data.removeprefix("\ufeff")


def _csv_rows(text: str, result: ImportResult) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        result.errors.append(RowError(1, None, f"cannot read the CSV header: {error}"))
        return
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    unknown = [name for name in names if name not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        result.errors.append(
            RowError(1, None, f"{'; '.join(problems)}; the header must be: {','.join(COLUMNS)}")
        )
        return
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            result.errors.append(RowError(reader.line_num, None, f"cannot read this CSV row: {error}"))
            return
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(names):
            result.errors.append(RowError(line, None, f"expected {len(names)} values, found {len(values)}"))
            continue
        yield line, dict(zip(names, values))


def _jsonl_rows(text: str, result: ImportResult) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = jsontext.loads(raw)
        except jsontext.JsonTextError as error:
            result.errors.append(RowError(line, error.where, error.message))
            continue
        if not isinstance(row, dict):
            result.errors.append(RowError(line, None, f"expected a JSON object, got {type(row).__name__}"))
            continue
        unknown = sorted(set(row) - set(COLUMNS))
        if unknown:
            result.errors.append(RowError(line, unknown[0], f"unknown key; the keys are: {', '.join(COLUMNS)}"))
            continue
        yield line, row


def _clean_row(line: int, row: dict[str, Any], account: OrgAccount, result: ImportResult, now) -> CleanInbound | None:
    platform = row.get("platform")
    if platform not in (None, ""):
        value = str(platform).strip().lower()
        if value not in PLATFORMS:
            result.errors.append(RowError(line, "platform", f"{platform!r} is not one of: {', '.join(PLATFORMS)}"))
            return None
        if value != account.platform:
            result.errors.append(
                RowError(line, "platform", f"{value} does not match the account's platform ({account.platform})")
            )
            return None
    for name in REQUIRED:
        if row.get(name) in (None, ""):
            result.errors.append(RowError(line, name, "required: it cannot be empty"))
            return None
    try:
        return clean_inbound(
            author_handle=row.get("author_handle"),
            text=row.get("text"),
            received_at=row.get("received_at"),
            url=row.get("url"),
            external_id=row.get("external_id"),
            now=now,
        )
    except InvalidInput as error:
        result.errors.append(RowError(line, error.field, error.detail))
        return None


def _known_external_ids(session: Session, account: OrgAccount, ids: set[str]) -> set[str]:
    known: set[str] = set()
    batch = sorted(ids)
    for start in range(0, len(batch), 500):
        chunk = batch[start : start + 500]
        known.update(
            session.scalars(
                select(InboundPost.external_id).where(
                    InboundPost.account_id == account.id, InboundPost.external_id.in_(chunk)
                )
            )
        )
    return known
