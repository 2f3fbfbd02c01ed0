"""The purge: texts of drafts finished more than N days ago become markers, in one audited transaction.

What is purged, for each draft in a finished state (`FINISHED_STATES`:
posted or rejected) whose last change (`updated_at`: the posting or the
rejection; a finished draft never changes again) is before the cut-off:

- every version's text (a marker with the date and the version's
  `text_sha256`) and the excerpts and spans of its verdict's findings;
- the comments of its review steps (return comments, rejection reasons);
  the URL a "posted" step stores is the agency's own post, and stays;
- the inbound post it answered, once that post is finished too: answered
  before the cut-off, and every draft replying to it purged in this run or
  before (a post still in the inbox, or with a draft in progress, keeps its
  text, because drafts are checked against it).

Kept: ids, `text_sha256`, states, times, authors, rule ids, decisions,
routes, approvals and the audit trail. Audit events never held draft or
post texts (they carry `text_sha256`); `draft.rejected` and
`draft.returned` events hold the approver's reason or comment, and stay:
the chain cannot change (see docs/backups-and-retention.md).

`purge` flushes and never commits (the caller commits the texts and the
`retention.purged` event together). It writes with Core statements in
batches, so it does not load drafts into the session; it expires the
session's objects afterwards so none shows a stale text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, not_, select, update
from sqlalchemy.orm import Session

from reviewer.audit import record
from reviewer.orm import utcnow
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.numbers import whole_number
from reviewer.retention.markers import FINISHED_STATES, comment_marker, scrub_verdict, text_marker
from reviewer.review.models import ReviewAction

BATCH = 500
#: Up to this many ids are listed in the audit event; beyond, their sha256 stands in for them.
MAX_LISTED_IDS = 1000
#: Review steps whose comment is not a person's words (the posted step keeps the post's URL).
KEEP_COMMENTS_OF = ("post",)

_drafts = Draft.__table__
_versions = DraftVersion.__table__
_posts = InboundPost.__table__
_actions = ReviewAction.__table__


class RetentionError(ValueError):
    """The retention setting or the days asked for are not usable."""


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed (or, with `dry_run`, would remove)."""

    days: int
    cutoff: datetime
    purged_at: datetime
    dry_run: bool
    draft_ids: list[int] = field(default_factory=list)
    versions: int = 0
    comments: int = 0
    inbound_post_ids: list[int] = field(default_factory=list)
    event_seq: int | None = None

    def describe(self) -> str:
        """One line for people and logs."""
        verb = "Would remove" if self.dry_run else "Removed"
        line = (
            f"{verb} the texts of {len(self.draft_ids)} drafts ({self.versions} versions, "
            f"{self.comments} comments) and {len(self.inbound_post_ids)} inbound posts finished before "
            f"{self.cutoff.isoformat(timespec='seconds')} ({self.days} days)"
        )
        if self.event_seq is not None:
            line += f"; audit event {self.event_seq} (retention.purged)"
        return line


def retention_days(configured: Any, override: int | None = None) -> int:
    """The days to keep texts: `override` (the command's --days) or RETENTION_DRAFT_TEXT_DAYS."""
    value = override if override is not None else configured
    where = "--days" if override is not None else "RETENTION_DRAFT_TEXT_DAYS (REVIEWER_RETENTION_DRAFT_TEXT_DAYS)"
    if value is None:
        raise RetentionError(
            "RETENTION_DRAFT_TEXT_DAYS (REVIEWER_RETENTION_DRAFT_TEXT_DAYS) is not set, so texts are kept "
            "forever: set it to a number of days, or pass --days N"
        )
    if isinstance(value, str) and whole_number(value.strip()) is not None:
        value = whole_number(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RetentionError(f"{where} must be a whole number of days (0 or more), got {value!r}")
    return value


def purge(session: Session, actor: Any, days: int, *, now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Purge the texts of drafts finished more than `days` days before `now`; record `retention.purged`.

    With `dry_run`, count what would go and change nothing (no event either).
    """
    days = retention_days(None, days)
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    session.flush()
    draft_ids = _finished_drafts(session, cutoff)
    post_ids = _finished_posts(session, cutoff)
    if dry_run:
        return PurgeResult(
            days, cutoff, now, True, draft_ids,
            versions=_count_in(session, _versions, draft_ids),
            comments=_count_comments(session, draft_ids),
            inbound_post_ids=post_ids,
        )
    versions = comments = 0
    for batch in _batches(draft_ids):
        versions += _purge_versions(session, batch, now)
        comments += _purge_comments(session, batch, now)
    for batch in _batches(post_ids):
        _purge_posts(session, batch, now)
    result = PurgeResult(days, cutoff, now, False, draft_ids, versions, comments, post_ids)
    event = record(session, actor, "retention.purged", None, event_data(result))
    session.expire_all()  # Core updates: no object in the session may keep showing a purged text
    return PurgeResult(days, cutoff, now, False, draft_ids, versions, comments, post_ids, event.seq)


def event_data(result: PurgeResult) -> dict[str, Any]:
    """The `retention.purged` event's data: counts, the cut-off, and the ids (or their sha256 when many)."""
    data: dict[str, Any] = {
        "days": result.days,
        "cutoff": result.cutoff.isoformat(),
        "purged_at": result.purged_at.isoformat(),
        "drafts": len(result.draft_ids),
        "versions": result.versions,
        "comments": result.comments,
        "inbound_posts": len(result.inbound_post_ids),
    }
    data.update(_ids_field("draft_ids", result.draft_ids))
    data.update(_ids_field("inbound_post_ids", result.inbound_post_ids))
    return data


def ids_sha256(ids: Iterable[int]) -> str:
    """sha256 of the ids sorted, as compact JSON (`[1,2,3]`): recomputable from the database."""
    return hashlib.sha256(json.dumps(sorted(ids), separators=(",", ":")).encode("ascii")).hexdigest()


def _ids_field(name: str, ids: Sequence[int]) -> dict[str, Any]:
    if len(ids) <= MAX_LISTED_IDS:
        return {name: sorted(ids)}
    return {f"{name}_sha256": ids_sha256(ids)}


# --- What is due --------------------------------------------------------------------------------


def _finished_before(cutoff: datetime):
    return and_(_drafts.c.state.in_(FINISHED_STATES), _drafts.c.updated_at < cutoff)


def _finished_drafts(session: Session, cutoff: datetime) -> list[int]:
    """Drafts finished before `cutoff` with a version whose text is still there, by id."""
    unpurged = exists().where(_versions.c.draft_id == _drafts.c.id, _versions.c.text_purged_at.is_(None))
    query = select(_drafts.c.id).where(_finished_before(cutoff), unpurged).order_by(_drafts.c.id)
    return list(session.execute(query).scalars())


def _finished_posts(session: Session, cutoff: datetime) -> list[int]:
    """Inbound posts answered before `cutoff` whose every draft finished before it too, by id."""
    replies = _drafts.c.inbound_post_id == _posts.c.id
    unfinished = exists().where(replies, not_(_finished_before(cutoff)))
    query = (
        select(_posts.c.id)
        .where(
            _posts.c.text_purged_at.is_(None),
            _posts.c.answered_at.is_not(None),
            _posts.c.answered_at < cutoff,
            exists().where(replies),
            not_(unfinished),
        )
        .order_by(_posts.c.id)
    )
    return list(session.execute(query).scalars())


def _comment_filter(draft_ids: Sequence[int]):
    return and_(
        _actions.c.draft_id.in_(draft_ids),
        _actions.c.comment.is_not(None),
        _actions.c.action.not_in(KEEP_COMMENTS_OF),
    )


def _count_in(session: Session, table, draft_ids: Sequence[int]) -> int:
    total = 0
    for batch in _batches(draft_ids):
        total += session.execute(
            select(func.count()).where(table.c.draft_id.in_(batch), table.c.text_purged_at.is_(None))
        ).scalar_one()
    return total


def _count_comments(session: Session, draft_ids: Sequence[int]) -> int:
    return sum(
        session.execute(select(func.count()).where(_comment_filter(batch))).scalar_one() for batch in _batches(draft_ids)
    )


# --- The writes ---------------------------------------------------------------------------------

_SET_VERSION = (
    update(_versions)
    .where(_versions.c.id == bindparam("version_id"))
    .values(text=bindparam("new_text"), verdict=bindparam("new_verdict"), text_purged_at=bindparam("when"))
)
_SET_COMMENT = update(_actions).where(_actions.c.id == bindparam("action_id")).values(comment=bindparam("new_comment"))
_SET_POST = (
    update(_posts)
    .where(_posts.c.id == bindparam("post_id"))
    .values(text=bindparam("new_text"), text_purged_at=bindparam("when"))
)


def _purge_versions(session: Session, draft_ids: Sequence[int], now: datetime) -> int:
    rows = session.execute(
        select(_versions.c.id, _versions.c.text_sha256, _versions.c.verdict).where(
            _versions.c.draft_id.in_(draft_ids), _versions.c.text_purged_at.is_(None)
        )
    ).all()
    if rows:
        session.execute(
            _SET_VERSION,
            [
                {"version_id": row.id, "new_text": text_marker(now, row.text_sha256),
                 "new_verdict": scrub_verdict(_as_mapping(row.verdict)), "when": now}
                for row in rows
            ],
        )
    return len(rows)


def _purge_comments(session: Session, draft_ids: Sequence[int], now: datetime) -> int:
    rows = session.execute(select(_actions.c.id, _actions.c.comment).where(_comment_filter(draft_ids))).all()
    if rows:
        session.execute(
            _SET_COMMENT,
            [{"action_id": row.id, "new_comment": comment_marker(now, _sha256(row.comment))} for row in rows],
        )
    return len(rows)


def _purge_posts(session: Session, post_ids: Sequence[int], now: datetime) -> None:
    rows = session.execute(select(_posts.c.id, _posts.c.text).where(_posts.c.id.in_(post_ids))).all()
    session.execute(
        _SET_POST, [{"post_id": row.id, "new_text": text_marker(now, _sha256(row.text)), "when": now} for row in rows]
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _as_mapping(verdict: Any) -> Mapping[str, Any] | None:
    if isinstance(verdict, str):  # a backend that hands JSON back as text
        return json.loads(verdict)
    return verdict


def _batches(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]
