"""The audit browser's queries: every filter, their combinations, keyset pages, time ranges, indexes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from reviewer.audit import browse, record
from reviewer.audit.browse import AuditFilter, FilterError, page, parse_filter

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The audit recorder's clock, set by the test (`clock.now = ...`)."""
    state = SimpleNamespace(now=T0)
    monkeypatch.setattr("reviewer.audit.services.utcnow", lambda: state.now)
    return state


@pytest.fixture
def trail(session: Session, clock: SimpleNamespace, alice) -> Session:
    """A small trail: two drafts on two accounts, a login, an import; one event an hour from T0."""
    bob = SimpleNamespace(id=8, username="bob")
    steps = [
        (alice, "draft.created", "draft:1", {"account_id": 3, "inbound_post_id": 5, "version": 1}),  # 1
        (alice, "draft.checked", "draft:1", {"decision": "review", "rules": ["promise.date", "pii.phone"]}),  # 2
        (None, "auth.login_failed", None, {"username": "mallory"}),  # 3
        (bob, "draft.created", "draft:2", {"account_id": 4, "version": 1}),  # 4
        (bob, "draft.checked", "draft:2", {"decision": "pass", "rules": []}),  # 5
        (alice, "draft.submitted", "draft:1", {"decision": "review", "version": 1}),  # 6
        (bob, "draft.approved", "draft:1", {"version": 1, "group": "comms"}),  # 7
        (alice, "inbound.imported", "account:3", {"created": 2}),  # 8
    ]
    for hours, (actor, action, subject, data) in enumerate(steps):
        clock.now = T0 + timedelta(hours=hours)
        record(session, actor, action, subject, data)
    session.commit()
    return session


def seqs(session: Session, **wanted) -> list[int]:
    return [event.seq for event in page(session, AuditFilter(**wanted)).events]


def test_no_filter_is_every_event_newest_first(trail: Session) -> None:
    assert seqs(trail) == [8, 7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ({"actor": "alice"}, [8, 6, 2, 1]),
        ({"actor": "system"}, [3]),
        ({"actor": "nobody"}, []),
        ({"action": "draft.checked"}, [5, 2]),
        ({"account_id": 3}, [8, 7, 6, 2, 1]),  # draft 1's later events inherit account 3 from draft.created
        ({"account_id": 4}, [5, 4]),
        ({"draft_id": 1}, [7, 6, 2, 1]),
        ({"decision": "review"}, [6, 2]),
        ({"decision": "pass"}, [5]),
        ({"rule": "pii.phone"}, [2]),
        ({"rule": "nothing.here"}, []),
        ({"account_id": 3, "action": "draft.checked"}, [2]),
        ({"account_id": 3, "decision": "review", "actor": "alice"}, [6, 2]),
        ({"draft_id": 1, "rule": "promise.date", "decision": "review"}, [2]),
        ({"since": T0 + timedelta(hours=2), "until": T0 + timedelta(hours=5)}, [5, 4, 3]),
        ({"since": T0 + timedelta(hours=2), "until": T0 + timedelta(hours=5), "actor": "bob"}, [5, 4]),
        ({"since": T0 + timedelta(days=2)}, []),
        ({"until": T0}, []),
        ({"account_id": 3, "since": T0 + timedelta(hours=6)}, [8, 7]),
    ],
)
def test_each_filter_and_their_combinations(trail: Session, wanted: dict, expected: list[int]) -> None:
    assert seqs(trail, **wanted) == expected


def test_pages_are_keyset_pages_both_ways(session: Session, alice) -> None:
    for n in range(1, 121):
        record(session, alice, "test.event", f"draft:{n % 2}", {"n": n})
    session.commit()
    first = page(session, size=50)
    assert [e.seq for e in first.events] == list(range(120, 70, -1))
    assert (first.older, first.newer) == (71, None)
    second = page(session, before=first.older, size=50)
    assert [e.seq for e in second.events] == list(range(70, 20, -1))
    assert (second.older, second.newer) == (21, 70)
    last = page(session, before=second.older, size=50)
    assert [e.seq for e in last.events] == list(range(20, 0, -1))
    assert (last.older, last.newer) == (None, 20)
    back = page(session, after=last.newer, size=50)
    assert [e.seq for e in back.events] == [e.seq for e in second.events]
    assert (back.older, back.newer) == (21, 70)
    top = page(session, after=back.newer, size=50)
    assert [e.seq for e in top.events] == [e.seq for e in first.events] and top.newer is None
    # With a filter the cursors step over the events that do not match.
    even = page(session, AuditFilter(draft_id=0), size=25)
    assert [e.seq for e in even.events] == list(range(120, 70, -2)) and even.older == 72
    assert [e.seq for e in page(session, AuditFilter(draft_id=0), before=even.older, size=25).events][:2] == [70, 68]


def test_time_bounds_are_exact_even_when_the_clock_went_backwards(session: Session, clock, alice) -> None:
    for hours in (0, 1, 5, 2, 3):  # event 3 was stamped by a clock running ahead
        clock.now = T0 + timedelta(hours=hours)
        record(session, alice, "test.event", None)
    session.commit()
    assert seqs(session, since=T0 + timedelta(hours=2)) == [5, 4, 3]
    assert seqs(session, until=T0 + timedelta(hours=3)) == [4, 2, 1]
    assert seqs(session, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)) == [4, 2]


def test_events_about_a_draft_and_its_post(trail: Session, alice) -> None:
    record(trail, alice, "inbound.created", "inbound:5", {"account_id": 3})
    trail.commit()
    about = browse.events_about(trail, [("draft", "1"), ("inbound", "5")])
    assert [e.seq for e in about] == [1, 2, 6, 7, 9]
    assert about[0].details == {"account_id": 3, "inbound_post_id": 5, "version": 1}
    assert about[0].draft_id == 1 and about[0].actor_label == "alice"


def test_known_actions_are_distinct_and_sorted(trail: Session) -> None:
    assert browse.known_actions(trail) == [
        "auth.login_failed", "draft.approved", "draft.checked", "draft.created", "draft.submitted", "inbound.imported",
    ]


def test_parse_filter_reads_query_arguments() -> None:
    wanted = parse_filter(
        {"from": "2026-11-01", "to": "2026-11-02", "actor": " alice ", "action": "draft.checked", "account": "3",
         "draft": "#12", "decision": "block", "rule": "pii.phone"}
    )
    assert wanted == AuditFilter(
        since=datetime(2026, 11, 1, tzinfo=timezone.utc),
        until=datetime(2026, 11, 3, tzinfo=timezone.utc),  # the whole "to" day is included
        actor="alice", action="draft.checked", account_id=3, draft_id=12, decision="block", rule="pii.phone",
    )
    assert wanted.query_args()["to"] == "2026-11-02" and wanted.query_args()["from"] == "2026-11-01"
    assert parse_filter({"from": "2026-11-01T09:30Z"}).since == datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)
    assert parse_filter({}) == AuditFilter() and not AuditFilter().active


@pytest.mark.parametrize(
    ("args", "field", "why"),
    [
        ({"from": "yesterday"}, "from", "is not a date"),
        ({"from": "2026-11-01T09:30"}, "from", "has no time zone"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "to", "must be after from"),
        ({"account": "three"}, "account", "is not an id"),
        ({"draft": "-1"}, "draft", "is not an id"),
        ({"decision": "maybe"}, "decision", "is not one of pass, review, block"),
        ({"action": "DROP TABLE"}, "action", "is not an action name"),
        ({"rule": "a b"}, "rule", "is not a rule id"),
        ({"actor": "x" * 201}, "actor", "longer than"),
    ],
)
def test_bad_filters_name_the_field(args: dict, field: str, why: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(args)
    assert caught.value.field == field and why in caught.value.message


@pytest.mark.parametrize(
    "wanted",
    [AuditFilter(), AuditFilter(actor="alice"), AuditFilter(action="draft.checked"), AuditFilter(account_id=3),
     AuditFilter(draft_id=1), AuditFilter(decision="review"), AuditFilter(rule="pii.phone")],
    ids=["none", "actor", "action", "account", "draft", "decision", "rule"],
)
def test_each_filter_reads_an_index_in_page_order(trail: Session, wanted: AuditFilter) -> None:
    """No full scan of the events and no sort: the page is read straight off an index (SQLite's plan)."""
    if trail.get_bind().dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    query, order = browse._matching(trail, wanted)
    compiled = query.where(order < 1000).order_by(order.desc()).limit(51).compile(
        dialect=trail.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    plan = " | ".join(row[-1] for row in trail.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan  # no sort, no full scan
    assert plan.startswith("SEARCH"), plan
