"""Search the audit trail: filters and keyset pages, newest first.

Filters: a time range, the actor (username, or `system`), the action, and
the references kept in `audit_refs` (organisation account, draft, verdict
decision, rule). Pages are keyset pages on `seq` (`WHERE seq < :cursor
ORDER BY seq DESC LIMIT 50`), so page 2,000 costs what page 1 does. Each
filter has an index that reads it in page order: `(name, value, seq)` on
the refs, `(action, seq)` and `(actor_name, seq)` on the events; a time
range becomes a seq range first (two indexed look-ups), so the page itself
is a primary-key range.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session

from reviewer import moments, numbers
from reviewer.audit.chain import ACTION_PATTERN, MAX_ACTOR_NAME_LENGTH, ChainEvent
from reviewer.audit.models import AuditEvent, AuditRef
from reviewer.audit.refs import MAX_VALUE_LENGTH
from reviewer.audit.wording import detail_pairs, event_summary
from reviewer.orm import MAX_ID
from reviewer.vocabulary import DECISIONS

PAGE_SIZE = 50
SYSTEM_ACTOR = "system"

_events = AuditEvent.__table__
_refs = AuditRef.__table__
_RULE = re.compile(r"^[A-Za-z0-9_.:-]+$")


class FilterError(ValueError):
    """A filter value that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; every field is optional and they combine with AND."""

    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    actor: str | None = None
    action: str | None = None
    account_id: int | None = None
    draft_id: int | None = None
    decision: str | None = None
    rule: str | None = None

    @property
    def refs(self) -> list[tuple[str, str]]:
        found = [
            ("draft", self.draft_id),
            ("account", self.account_id),
            ("rule", self.rule),
            ("decision", self.decision),
        ]
        return [(name, str(value)) for name, value in found if value is not None]

    @property
    def active(self) -> bool:
        return any(value is not None for value in self.__dict__.values())

    def query_args(self) -> dict[str, str]:
        """The filter as the browser's query string (for links to other pages)."""
        args = {
            "from": format_bound(self.since),
            "to": format_bound(self.until, end=True),
            "actor": self.actor,
            "action": self.action,
            "account": self.account_id,
            "draft": self.draft_id,
            "decision": self.decision,
            "rule": self.rule,
        }
        return {name: str(value) for name, value in args.items() if value not in (None, "")}


@dataclass(frozen=True)
class EventRow(ChainEvent):
    """One event as the browser, the story page and the exports show it: the stored fields, plain data."""

    @property
    def actor_label(self) -> str:
        return self.actor_name if self.actor_name is not None else SYSTEM_ACTOR

    @property
    def details(self) -> dict[str, Any]:
        try:
            value = json.loads(self.data)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def detail_pairs(self) -> list[tuple[str, str]]:
        """The data as (label, value) pairs a person reads (the stored JSON stays available beside them)."""
        return detail_pairs(self.details)

    @property
    def summary(self) -> str:
        """What happened in plain words, where the action name alone would mislead ('' otherwise)."""
        return event_summary(self.action, self.details, self.actor_label)

    @property
    def draft_id(self) -> int | None:
        kind, _, value = (self.subject or "").partition(":")
        return numbers.whole_number(value, MAX_ID) if kind == "draft" else None


@dataclass(frozen=True)
class Page:
    """One page of events, newest first, with the cursors for the pages either side."""

    events: list[EventRow] = field(default_factory=list)
    older: int | None = None  # pass as `before` for the next (older) page
    newer: int | None = None  # pass as `after` for the previous (newer) page


# --- Parsing what a person typed ------------------------------------------------------------


def parse_bound(text: str | None, field_name: str, *, end: bool = False) -> datetime | None:
    """`2026-11-23` (a whole UTC day: `end` means up to the end of it) or an ISO 8601 time with a zone."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), tzinfo=timezone.utc)
            return moments.shift(moment, timedelta(days=1)) if end else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise FilterError(field_name, f"{text!r} has no time zone: add Z for UTC (2026-11-23T09:30Z)")
        return moments.as_utc(moment)
    except FilterError:
        raise
    except moments.OutOfRange:
        raise FilterError(field_name, f"{text!r} is out of range: {moments.RANGE_HINT}") from None
    except ValueError:
        raise FilterError(field_name, f"{text!r} is not a date: use YYYY-MM-DD or an ISO 8601 time such as 2026-11-23T09:30Z") from None


def format_bound(moment: datetime | None, *, end: bool = False) -> str | None:
    """The inverse of `parse_bound`: a whole UTC day as `YYYY-MM-DD` (the day before an `end`), else ISO 8601."""
    if moment is None:
        return None
    if moment.time() == time() and moment.tzinfo is not None:
        day = (moment - timedelta(days=1)) if end else moment
        return day.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")


def whole_number(text: str | None, field_name: str) -> int | None:
    text = (text or "").strip().removeprefix("#")
    if not text:
        return None
    number = numbers.whole_number(text, MAX_ID)
    if not number:
        raise FilterError(field_name, f"{text!r} is not an id: use a whole number such as 12")
    return number


def parse_filter(args: Mapping[str, str]) -> AuditFilter:
    """An AuditFilter from query arguments (from, to, actor, action, account, draft, decision, rule).

    FilterError names the first argument that cannot be used and why.
    """
    since = parse_bound(args.get("from"), "from")
    until = parse_bound(args.get("to"), "to", end=True)
    if since and until and since >= until:
        raise FilterError("to", "must be after from")
    actor = (args.get("actor") or "").strip() or None
    if actor is not None and len(actor) > MAX_ACTOR_NAME_LENGTH:
        raise FilterError("actor", f"is longer than {MAX_ACTOR_NAME_LENGTH} characters")
    action = (args.get("action") or "").strip() or None
    if action is not None and not ACTION_PATTERN.match(action):
        raise FilterError("action", f"{action!r} is not an action name such as draft.approved")
    decision = (args.get("decision") or "").strip() or None
    if decision is not None and decision not in DECISIONS:
        raise FilterError("decision", f"{decision!r} is not one of {', '.join(DECISIONS)}")
    rule = (args.get("rule") or "").strip() or None
    if rule is not None and (len(rule) > MAX_VALUE_LENGTH or not _RULE.match(rule)):
        raise FilterError("rule", f"{rule!r} is not a rule id such as pii.phone")
    return AuditFilter(
        since=since,
        until=until,
        actor=actor,
        action=action,
        account_id=whole_number(args.get("account"), "account"),
        draft_id=whole_number(args.get("draft"), "draft"),
        decision=decision,
        rule=rule,
    )


# --- Queries ----------------------------------------------------------------------------------


def seq_bounds(session: Session, since: datetime | None, until: datetime | None) -> tuple[int, int] | None:
    """The (lowest, highest) seq that can hold an event in [since, until); None when none can.

    Exact even if clocks went backwards: every event at or after `since`
    has seq >= the least such seq, and likewise for `until`.
    """
    low, high = 1, None
    if since is not None:
        low = session.execute(select(func.min(_events.c.seq)).where(_events.c.occurred_at >= since)).scalar()
        if low is None:
            return None
    if until is not None:
        high = session.execute(select(func.max(_events.c.seq)).where(_events.c.occurred_at < until)).scalar()
        if high is None:
            return None
    else:
        high = session.execute(select(func.max(_events.c.seq))).scalar()
        if high is None:
            return None
    return (low, high) if low <= high else None


def _matching(session: Session, wanted: AuditFilter) -> tuple[Select, Any] | None:
    """A SELECT of the matching events and the seq column that orders them (the index to read)."""
    bounds = seq_bounds(session, wanted.since, wanted.until) if (wanted.since or wanted.until) else None
    if (wanted.since or wanted.until) and bounds is None:
        return None
    refs = [(name, value) for name, value in wanted.refs if name != "rule"]  # the rule is a prefix: below
    if refs:
        # Drive from the most selective reference's index, in seq order; the others are checked per row.
        first = _refs.alias("first_ref")
        order = first.c.seq
        query = (
            select(*_events.c)
            .select_from(first.join(_events, _events.c.seq == first.c.seq))
            .where(first.c.name == refs[0][0], first.c.value == refs[0][1])
        )
        for name, value in refs[1:]:
            other = _refs.alias(f"ref_{name}")
            query = query.where(
                exists().where(other.c.seq == first.c.seq, other.c.name == name, other.c.value == value)
            )
    else:
        order = _events.c.seq
        query = select(*_events.c)
    if wanted.rule is not None:
        # A prefix ("pii" finds pii.phone and pii.public), as EXISTS so an event with two such rules shows once.
        rule = _refs.alias("ref_rule")
        pattern = wanted.rule.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(exists().where(
            rule.c.seq == order, rule.c.name == "rule", rule.c.value.like(pattern, escape="\\")
        ))
    if wanted.actor is not None:
        if wanted.actor == SYSTEM_ACTOR:
            query = query.where(_events.c.actor_name.is_(None))
        else:
            query = query.where(_events.c.actor_name == wanted.actor)
    if wanted.action is not None:
        query = query.where(_events.c.action == wanted.action)
    if bounds is not None:
        query = query.where(order >= bounds[0], order <= bounds[1])
        if wanted.since is not None:
            query = query.where(_events.c.occurred_at >= wanted.since)
        if wanted.until is not None:
            query = query.where(_events.c.occurred_at < wanted.until)
    return query, order


def page(
    session: Session,
    wanted: AuditFilter | None = None,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """The `size` newest matching events older than `before` (or the oldest newer than `after`)."""
    matching = _matching(session, wanted or AuditFilter())
    if matching is None:
        return Page()
    query, order = matching
    if after is not None:
        rows = session.execute(query.where(order > after).order_by(order.asc()).limit(size + 1)).all()
        more_newer = len(rows) > size
        events = [EventRow(*row) for row in rows[:size]][::-1]
        older = events[-1].seq if events and _any(session, query.where(order < events[-1].seq)) else None
        return Page(events, older=older, newer=events[0].seq if events and more_newer else None)
    if before is not None:
        query_page = query.where(order < before)
    else:
        query_page = query
    rows = session.execute(query_page.order_by(order.desc()).limit(size + 1)).all()
    events = [EventRow(*row) for row in rows[:size]]
    older = events[-1].seq if len(rows) > size else None
    newer = events[0].seq if events and before is not None and _any(session, query.where(order > events[0].seq)) else None
    return Page(events, older=older, newer=newer)


def _any(session: Session, query: Select) -> bool:
    return session.execute(query.with_only_columns(literal_column("1")).limit(1)).first() is not None


def events_about(session: Session, refs: list[tuple[str, str]]) -> list[EventRow]:
    """Every event carrying any of `refs` (e.g. a draft and its inbound post), oldest first."""
    if not refs:
        return []
    seqs = select(_refs.c.seq).where(or_(*[and_(_refs.c.name == name, _refs.c.value == value) for name, value in refs]))
    rows = session.execute(select(*_events.c).where(_events.c.seq.in_(seqs)).order_by(_events.c.seq)).all()
    return [EventRow(*row) for row in rows]


def known_actions(session: Session) -> list[str]:
    """Every distinct action in the trail, sorted; one index probe per action (a skip scan)."""
    actions: list[str] = []
    last = session.execute(select(func.min(_events.c.action))).scalar()
    while last is not None:
        actions.append(last)
        last = session.execute(select(func.min(_events.c.action)).where(_events.c.action > last)).scalar()
    return actions


def iter_range(session: Session, low: int, high: int, batch: int = 1000) -> Iterator[EventRow]:
    """Every event with low <= seq <= high, oldest first, fetched in keyset batches."""
    last = low - 1
    while last < high:
        rows = session.execute(
            select(*_events.c).where(_events.c.seq > last, _events.c.seq <= high).order_by(_events.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield EventRow(*row)
        last = rows[-1].seq
