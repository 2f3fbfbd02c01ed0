"""The decision: actions, routes, approvals, periods, escalation, ordering, input checks."""

from __future__ import annotations

import datetime as dt

import pytest
from policy_helpers import ELECTION_DAY, QUIET_DAY, Scorer

from reviewer.policy import Draft


def rules_of(verdict):
    return [f.rule for f in verdict.findings]


def test_a_clean_reply_passes(every_kind) -> None:
    verdict = every_kind.check("Shoot us a DM with your reference and we'll look into it.", date=QUIET_DAY)
    assert (verdict.decision, verdict.routes, verdict.approvals, verdict.findings) == ("pass", (), 1, ())


def test_block_is_the_strictest_action(every_kind) -> None:
    verdict = every_kind.check("Ask about the lawsuit, idiot", date=QUIET_DAY)
    assert verdict.decision == "block"
    assert verdict.routes == ("legal",)  # review and block findings both route
    assert verdict.approvals == 2


def test_notes_never_change_the_decision(every_kind) -> None:
    verdict = every_kind.check("Hello!!! #one #two #three #four", date=QUIET_DAY)
    assert {f.action for f in verdict.findings} == {"note"}
    assert (verdict.decision, verdict.routes) == ("pass", ())


def test_review_without_a_route_goes_to_the_default_route(every_kind) -> None:
    verdict = every_kind.check("You people never listen", date=QUIET_DAY)
    assert (verdict.decision, verdict.routes) == ("review", ("comms",))
    assert verdict.findings[0].route == "comms"


def test_block_without_a_route_adds_no_route(every_kind) -> None:
    verdict = every_kind.check("idiot", date=QUIET_DAY)
    assert (verdict.decision, verdict.routes, verdict.findings[0].route) == ("block", (), None)


def test_routes_are_sorted_and_unique(every_kind) -> None:
    verdict = every_kind.check("You people and the lawsuit, the court case", date=QUIET_DAY,
                               in_reply_to="I think about suicide")
    assert verdict.routes == ("comms", "legal", "safeguarding")


def test_during_limits_a_rule_to_its_period(every_kind) -> None:
    assert every_kind.check("The candidate said", date=QUIET_DAY).decision == "pass"
    verdict = every_kind.check("The candidate said", date=ELECTION_DAY)
    assert (verdict.decision, verdict.routes, verdict.periods) == ("review", ("political",), ("2026 general election",))


def test_escalate_makes_a_rule_stricter_inside_its_period(every_kind) -> None:
    quiet = every_kind.check("We promise a reply", date=QUIET_DAY).findings[0]
    assert (quiet.action, quiet.severity, quiet.route) == ("note", "medium", None)
    verdict = every_kind.check("We promise a reply", date=ELECTION_DAY)
    loud = verdict.findings[0]
    assert (loud.action, loud.severity, loud.route) == ("review", "high", "political")
    assert (verdict.decision, verdict.approvals) == ("review", 2)


def test_period_edges_are_inclusive(every_kind) -> None:
    assert every_kind.check("candidate", date=dt.date(2026, 9, 1)).decision == "review"
    assert every_kind.check("candidate", date=dt.date(2026, 10, 17)).decision == "review"
    assert every_kind.check("candidate", date=dt.date(2026, 10, 18)).decision == "pass"
    assert every_kind.check("candidate", date=dt.date(2026, 8, 31)).decision == "pass"


def test_datetimes_are_read_in_the_policy_timezone(every_kind) -> None:
    # 2026-08-31 13:00 UTC is already 1 September in Auckland (UTC+12).
    utc = dt.datetime(2026, 8, 31, 13, 0, tzinfo=dt.timezone.utc)
    assert every_kind.check("candidate", date=utc).periods == ("2026 general election",)
    assert every_kind.check("candidate", date=utc - dt.timedelta(hours=2)).periods == ()


def test_naive_datetimes_are_refused(every_kind) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        every_kind.check("hi", date=dt.datetime(2026, 9, 1, 12, 0))


def test_findings_are_ordered_by_first_span_then_target(every_kind) -> None:
    verdict = every_kind.check("You people, idiot, INT-1234", date=QUIET_DAY, in_reply_to="mail a@b.co then suicide")
    assert [(f.rule, f.target) for f in verdict.findings] == [
        ("tone.blame", "draft"), ("abuse.insults", "draft"), ("secrets.internal", "draft"),
        ("context.pii", "in_reply_to"), ("context.self_harm", "in_reply_to")]


def test_same_input_gives_the_same_verdict(every_kind) -> None:
    args = dict(platform="x", date=ELECTION_DAY, in_reply_to="end it all", scorer=Scorer(default=0.9))
    text = "WE PROMISE!!! idiot 021 555 0199 bit.ly/x #mentalhealthweek 🎉🎉🎉🎉"
    first = every_kind.check(text, **args)
    assert all(every_kind.check(text, **args) == first for _ in range(3))
    assert first.to_json() == every_kind.check(text, **args).to_json()


def test_check_batch_equals_check(every_kind) -> None:
    drafts = [Draft("idiot"), Draft("hi", platform="x", date=ELECTION_DAY, in_reply_to="suicide"),
              Draft("candidate", date=ELECTION_DAY)]
    assert every_kind.check_batch(drafts) == [every_kind.check(d.text, d.platform, d.date, d.in_reply_to) for d in drafts]
    assert every_kind.check_batch([]) == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"text": None}, "text: expected a string, got NoneType"),
    ({"text": "hi", "platform": "tiktok"}, "platform 'tiktok' is not one of"),
    ({"text": "hi", "date": "2026-01-01"}, "date: expected a date or datetime, got str"),
    ({"text": "hi", "in_reply_to": 5}, "in_reply_to: expected a string, got int"),
])
def test_bad_input_is_a_clear_error(every_kind, kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        every_kind.check(**kwargs)


def test_default_date_is_today_in_the_policy_timezone(every_kind) -> None:
    today = dt.datetime.now(dt.timezone.utc).astimezone(every_kind._compiled.zone).date()
    in_period = any(p.start <= today <= p.end for p in every_kind.periods)
    assert (every_kind.check("candidate").decision == "review") == in_period


def test_a_scorer_returning_the_wrong_count_is_an_error(every_kind) -> None:
    class Broken(Scorer):
        def score(self, texts):
            return []

    with pytest.raises(RuntimeError, match="returned 0 results for 1 texts"):
        every_kind.check("hi", scorer=Broken())
