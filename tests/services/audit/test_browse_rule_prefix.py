"""The rule filter matches a prefix (#14 item 8): "pii" finds pii.phone and pii.public, each event once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from reviewer.audit import record
from reviewer.audit.browse import AuditFilter, page, parse_filter

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def trail(session: Session, monkeypatch: pytest.MonkeyPatch, alice) -> Session:
    state = SimpleNamespace(now=T0)
    monkeypatch.setattr("reviewer.audit.services.utcnow", lambda: state.now)
    steps = [
        ("draft.checked", "draft:1", {"account_id": 3, "decision": "block", "rules": ["pii.phone", "pii.public"]}),  # 1
        ("draft.checked", "draft:2", {"account_id": 4, "decision": "review", "rules": ["promise.date"]}),  # 2
        ("draft.checked", "draft:3", {"account_id": 3, "decision": "review", "rules": ["privacy.other", "pii.email"]}),  # 3
        ("draft.blocked", "account:3", {"account_id": 3, "decision": "block", "rules": ["abuse.insults"]}),  # 4
    ]
    for hours, (action, subject, data) in enumerate(steps):
        state.now = T0 + timedelta(hours=hours)
        record(session, alice, action, subject, data)
    session.commit()
    return session


def seqs(session: Session, **wanted) -> list[int]:
    return [event.seq for event in page(session, AuditFilter(**wanted)).events]


@pytest.mark.parametrize(("rule", "expected"), [
    ("pii", [3, 1]),  # pii.*, not privacy.other; each event once though it has two pii rules
    ("abu", [4]),  # what someone starts typing
    ("pii.phone", [1]),  # an exact id still finds exactly it
    ("pii.p", [1]),  # a prefix within the id's last part
    ("promise", [2]),
    ("nothing", []),
])
def test_a_rule_prefix_finds_every_event_with_a_rule_under_it_once(trail: Session, rule: str, expected: list[int]) -> None:
    assert seqs(trail, rule=rule) == expected


def test_a_rule_prefix_combines_with_other_filters(trail: Session) -> None:
    assert seqs(trail, rule="pii", account_id=3) == [3, 1]
    assert seqs(trail, rule="pii", decision="block") == [1]
    assert seqs(trail, rule="pii", account_id=4) == []


def test_the_filter_still_refuses_what_cannot_be_a_rule_id() -> None:
    from reviewer.audit.browse import FilterError

    with pytest.raises(FilterError) as error:
        parse_filter({"rule": "pii%"})
    assert error.value.field == "rule"
