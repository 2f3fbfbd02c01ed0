"""Reconcile the domain rows with the trail: do drafts, versions and approvals say what the events recorded?

A verifying chain proves the events were not changed; it says nothing of
the rows beside it. Someone with database write access could rewrite an
approved version's text, or insert an `approvals` row, and the chain would
still verify. `reconcile` reads the draft events (`draft.checked`,
`draft.edited`, `draft.approved`, ...) and checks, row by row:

- each version's text against its own `text_sha256` (a purged text must be
  exactly the retention marker naming that hash);
- each version against what the events recorded of it: there is a
  `draft.checked` event for it, with the same decision and, where recorded,
  the same `text_sha256` (`draft.checked` since 0010, `draft.edited`,
  `draft.approved` and `draft.auto_approved` always);
- each approval against its version's `text_sha256`, and against a
  `draft.approved` event of the same draft,
  version, group, approver and text hash, one event per row (and each such
  event against a row: a deleted approval is named too);
- each draft's decision against its current version's recorded one.

Every mismatch names the table and row. Read-only. Reads the drafting and
review models, so only the web edge and the CLI import it (the audit core
stays free of other domains, like `story.py`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer.accounts.models import User
from reviewer.audit.models import AuditEvent
from reviewer.drafting.common import text_sha256
from reviewer.drafting.models import Draft, DraftVersion
from reviewer.numbers import whole_number
from reviewer.retention.markers import text_marker
from reviewer.review.models import Approval

#: The events that say something about a draft's versions, decisions or approvals.
DRAFT_ACTIONS = ("draft.checked", "draft.edited", "draft.approved", "draft.auto_approved")
BATCH = 1000

_events = AuditEvent.__table__
_versions = DraftVersion.__table__
_approvals = Approval.__table__
_drafts = Draft.__table__


@dataclass(frozen=True)
class Mismatch:
    """One row that does not agree with the trail (or with itself)."""

    table: str
    row_id: int | None
    draft_id: int
    what: str

    def describe(self) -> str:
        row = f"{self.table} row {self.row_id}" if self.row_id is not None else self.table
        return f"{row} (draft {self.draft_id}): {self.what}"


@dataclass
class ReconcileResult:
    """What reconciling found: counts of rows checked and every mismatch, in table then row order."""

    drafts: int = 0
    versions: int = 0
    approvals: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def describe(self, limit: int = 50) -> str:
        """The lines a person reads: OK with the counts, or FAILED and each mismatch (up to `limit`)."""
        counted = f"{self.drafts} drafts, {self.versions} versions, {self.approvals} approvals"
        if self.ok:
            return f"Reconciled: {counted} agree with the audit trail"
        lines = [f"RECONCILE FAILED: {len(self.mismatches)} row(s) disagree with the audit trail ({counted} checked)"]
        lines += [f"  {mismatch.describe()}" for mismatch in self.mismatches[:limit]]
        if len(self.mismatches) > limit:
            lines.append(f"  ... and {len(self.mismatches) - limit} more")
        return "\n".join(lines)


@dataclass
class _Recorded:
    """What the events say about one draft."""

    checked: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # version -> (seq, data), the last
    hashes: dict[int, list[tuple[int, str, str]]] = field(default_factory=lambda: defaultdict(list))  # version -> (seq, action, sha)
    approved: list[tuple[int, int | None, dict[str, Any]]] = field(default_factory=list)  # (seq, actor_id, data)


def reconcile(session: Session, upto: int | None = None) -> ReconcileResult:
    """Check every draft, version and approval against the draft events up to seq `upto` (all when None)."""
    recorded = _read_events(session, upto)
    result = ReconcileResult()
    _check_versions(session, recorded, result)
    _check_approvals(session, recorded, result)
    _check_drafts(session, recorded, result)
    return result


def _read_events(session: Session, upto: int | None) -> dict[int, _Recorded]:
    recorded: dict[int, _Recorded] = defaultdict(_Recorded)
    for seq, actor_id, action, subject, data_text in _batched_events(session, upto):
        draft_id = _draft_id(subject)
        if draft_id is None:
            continue
        try:
            data = json.loads(data_text)
        except ValueError:
            continue  # the chain check names a broken event; nothing to compare here
        version = data.get("version") if isinstance(data, dict) else None
        if not isinstance(version, int):
            continue
        about = recorded[draft_id]
        if action == "draft.checked":
            about.checked[version] = (seq, data)
        elif action == "draft.approved" and data.get("by") != "policy":
            about.approved.append((seq, actor_id, data))
        if isinstance(data.get("text_sha256"), str):
            about.hashes[version].append((seq, action, data["text_sha256"]))
    return recorded


def _batched_events(session: Session, upto: int | None) -> Iterator[Any]:
    last = 0
    while True:
        query = (
            select(_events.c.seq, _events.c.actor_id, _events.c.action, _events.c.subject, _events.c.data)
            .where(_events.c.action.in_(DRAFT_ACTIONS), _events.c.seq > last)
            .order_by(_events.c.seq)
            .limit(BATCH)
        )
        if upto is not None:
            query = query.where(_events.c.seq <= upto)
        rows = session.execute(query).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = rows[-1].seq


def _draft_id(subject: str | None) -> int | None:
    kind, _, value = (subject or "").partition(":")
    return whole_number(value) if kind == "draft" else None


def _check_versions(session: Session, recorded: dict[int, _Recorded], result: ReconcileResult) -> None:
    query = select(
        _versions.c.id, _versions.c.draft_id, _versions.c.number, _versions.c.text, _versions.c.text_sha256,
        _versions.c.decision, _versions.c.text_purged_at,
    ).order_by(_versions.c.id)
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        result.versions += 1
        found = result.mismatches.append
        if row.text_purged_at is not None:
            if row.text != text_marker(row.text_purged_at, row.text_sha256):
                found(Mismatch("draft_versions", row.id, row.draft_id,
                               f"version {row.number}: the text is not the retention marker of its sha256"))
        elif text_sha256(row.text) != row.text_sha256:
            found(Mismatch("draft_versions", row.id, row.draft_id,
                           f"version {row.number}: the text does not match its text_sha256 {row.text_sha256[:12]}.. "
                           f"(it hashes to {text_sha256(row.text)[:12]}..): the text was changed"))
        about = recorded.get(row.draft_id) or _Recorded()
        checked = about.checked.get(row.number)
        if checked is None:
            found(Mismatch("draft_versions", row.id, row.draft_id,
                           f"version {row.number}: no draft.checked event records this version"))
        elif checked[1].get("decision") != row.decision:
            found(Mismatch("draft_versions", row.id, row.draft_id,
                           f"version {row.number}: decision {row.decision!r}, but event {checked[0]} "
                           f"(draft.checked) recorded {checked[1].get('decision')!r}"))
        for seq, action, sha in about.hashes.get(row.number, ()):
            if sha != row.text_sha256:
                found(Mismatch("draft_versions", row.id, row.draft_id,
                               f"version {row.number}: text_sha256 {row.text_sha256[:12]}.., but event {seq} "
                               f"({action}) recorded {sha[:12]}.."))


def _check_approvals(session: Session, recorded: dict[int, _Recorded], result: ReconcileResult) -> None:
    query = (
        select(_approvals.c.id, _approvals.c.draft_id, _approvals.c.group, _approvals.c.approver_id,
               _approvals.c.text_sha256, _versions.c.number, _versions.c.text_sha256.label("version_sha256"),
               User.username)
        .join(_versions, _versions.c.id == _approvals.c.version_id)
        .outerjoin(User, User.id == _approvals.c.approver_id)
        .order_by(_approvals.c.id)
    )
    unmatched = {draft_id: list(about.approved) for draft_id, about in recorded.items() if about.approved}
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        result.approvals += 1
        if row.text_sha256 != row.version_sha256:
            result.mismatches.append(Mismatch(
                "approvals", row.id, row.draft_id,
                f"names text_sha256 {row.text_sha256[:12]}.., but version {row.number} now has {row.version_sha256[:12]}..",
            ))
        events = unmatched.get(row.draft_id, [])
        match = next(
            (event for event in events
             if event[1] == row.approver_id and event[2].get("version") == row.number
             and event[2].get("group") == row.group and event[2].get("text_sha256") == row.text_sha256),
            None,
        )
        if match is None:
            result.mismatches.append(Mismatch(
                "approvals", row.id, row.draft_id,
                f"{row.username or f'user {row.approver_id}'} approved version {row.number} for group {row.group!r} "
                f"(text_sha256 {row.text_sha256[:12]}..), but no draft.approved event records it",
            ))
        else:
            events.remove(match)
    for draft_id, events in sorted(unmatched.items()):
        for seq, actor_id, data in events:
            result.mismatches.append(Mismatch(
                "approvals", None, draft_id,
                f"event {seq} (draft.approved) records an approval of version {data.get('version')} for group "
                f"{data.get('group')!r} by user {actor_id} that has no approvals row",
            ))


def _check_drafts(session: Session, recorded: dict[int, _Recorded], result: ReconcileResult) -> None:
    query = select(_drafts.c.id, _drafts.c.decision).order_by(_drafts.c.id)
    latest = _current_versions(session)
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        result.drafts += 1
        number = latest.get(row.id)
        checked = (recorded.get(row.id) or _Recorded()).checked.get(number) if number else None
        if checked is not None and checked[1].get("decision") != row.decision:
            result.mismatches.append(Mismatch(
                "drafts", row.id, row.id,
                f"decision {row.decision!r}, but event {checked[0]} (draft.checked) recorded "
                f"{checked[1].get('decision')!r} for its current version {number}",
            ))


def _current_versions(session: Session) -> dict[int, int]:
    """Each draft's newest version number."""
    query = select(_versions.c.draft_id, func.max(_versions.c.number)).group_by(_versions.c.draft_id)
    return {draft_id: number for draft_id, number in session.execute(query)}
