"""The approver queue: one per group, oldest first, counts per group, filters by account, age, decision and rule."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from reviewer.orm import utcnow
from reviewer.web.highlight import finding_title

from fixtures_workflow import LEGAL_TEXT, REVIEW_TEXT  # type: ignore[import-not-found]

PROMISE_ONLY = "We promise the pool will reopen soon, and we'll confirm the date here."  # commitments.promises only


def listed(page: str) -> list[int]:
    """Draft ids in the queue table, in the order shown."""
    return [int(n) for n in re.findall(r'<a href="/review/drafts/(\d+)">Draft', page)]


def age(db_session, draft, hours: float) -> None:
    """Pretend the draft was submitted `hours` ago."""
    db_session.rollback()
    draft = db_session.merge(draft)
    draft.submitted_at = utcnow() - timedelta(hours=hours)
    db_session.commit()


def test_the_queue_lists_the_groups_drafts_oldest_first_with_counts_per_group(make_user, client_for, pending, db_session) -> None:
    both = make_user("kiri", roles=["approver"], groups=["comms", "legal"], display_name="Kiri Moana")
    newer, older = pending(), pending()
    legal = pending(LEGAL_TEXT)
    age(db_session, newer, 1)
    age(db_session, older, 5)
    client = client_for(both)
    page = client.get("/review/").get_data(as_text=True)
    assert "<h1>Review queue: comms</h1>" in page
    assert listed(page) == [older.id, newer.id]
    assert re.search(r'comms <span class="tag tag-warn">2 waiting</span>', page)
    assert re.search(r'legal <span class="tag tag-warn">1 waiting</span>', page)
    assert "5 h" in page and "Needs approval by comms" in page
    assert '<span class="hl-text">We promise</span>' in page  # findings highlighted in the list too
    rule = older.versions[-1].verdict["findings"][0]
    title = finding_title(rule)
    assert re.search(rf'<li>{re.escape(html.escape(title))} <code class="rule-id">{re.escape(rule["rule"])}</code></li>', page)

    page = client.get("/review/?group=legal").get_data(as_text=True)
    assert listed(page) == [legal.id]


def test_a_draft_leaves_the_queue_once_decided(client_for, mere, pending) -> None:
    draft = pending()
    client = client_for(mere)
    assert listed(client.get("/review/").get_data(as_text=True)) == [draft.id]
    client.post(f"/review/drafts/{draft.id}/approve", data={"expected_version": str(draft.lock_version)})
    page = client.get("/review/").get_data(as_text=True)
    assert listed(page) == []
    assert "Nothing waiting for comms" in page


def test_filters_by_account_age_decision_and_rule(make_account, client_for, mere, pending, make_inbound, db_session) -> None:
    other = make_account("@HarbourLibraries", name="Harbour Libraries")
    old = pending()
    promise_only = pending(PROMISE_ONLY)
    elsewhere = pending(REVIEW_TEXT, inbound=make_inbound(other))
    age(db_session, old, 30)
    client = client_for(mere)

    def shown(query: str) -> list[int]:
        response = client.get(f"/review/?group=comms&{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return listed(response.get_data(as_text=True))

    assert shown(f"account={other.id}") == [elsewhere.id]
    assert shown("age=1440") == [old.id]
    assert shown("rule=commitments.deadlines") == [old.id, elsewhere.id]
    assert shown("rule=commitments.promises") == [old.id, promise_only.id, elsewhere.id]
    assert shown("decision=review") == [old.id, promise_only.id, elsewhere.id]
    assert shown("decision=pass") == []
    assert shown(f"account={other.id}&rule=commitments.deadlines") == [elsewhere.id]
    page = client.get("/review/?group=comms&decision=pass").get_data(as_text=True)
    assert "No drafts waiting for comms match these filters." in page and "Clear filters" in page
    # The rule list offers the rules found in the group's queue.
    assert '<option value="commitments.deadlines">' in page


def test_bad_filters_are_clear_errors_not_failures(client_for, mere, pending) -> None:
    pending()
    client = client_for(mere)
    for query, message in (
        ("decision=maybe", "Decision: Not a valid choice."),
        ("age=soon", "Age: Not a valid choice."),
        ("account=abc", "Account: Not a valid choice."),
        ("rule=<script>", "Rule: Not a valid choice."),
    ):
        response = client.get(f"/review/?group=comms&{query}")
        assert response.status_code == 422, query
        page = html.unescape(response.get_data(as_text=True))
        assert message in page, query
        assert "Fix the filters above to see the queue." in page


def test_a_well_formed_rule_with_no_drafts_is_an_empty_result(client_for, mere, pending) -> None:
    pending()
    response = client_for(mere).get("/review/?group=comms&rule=pii.phone")
    assert response.status_code == 200
    assert listed(response.get_data(as_text=True)) == []


def test_a_group_the_approver_is_not_in_sends_them_to_their_own(client_for, mere) -> None:
    client = client_for(mere)
    response = client.get("/review/?group=legal")
    assert response.status_code == 302 and response.location == "/review/?group=comms"
    page = html.unescape(client.get(response.location).get_data(as_text=True))
    assert "You are not in the approver group 'legal': showing comms instead." in page


def test_an_approver_in_no_group_is_told_so(make_user, client_for) -> None:
    loner = make_user("solo", roles=["approver"])
    page = client_for(loner).get("/review/").get_data(as_text=True)
    assert "You are not in any approver group yet" in page


def test_the_queue_is_for_approvers_only(client_for, staff) -> None:
    assert client_for(staff).get("/review/").status_code == 403


def test_a_long_queue_is_shown_a_page_at_a_time_oldest_first(client_for, mere, pending, db_session, monkeypatch) -> None:
    from reviewer.review import views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    drafts = [pending() for _ in range(5)]
    for hours, draft in zip((9, 8, 7, 6, 5), drafts):
        age(db_session, draft, hours)
    client = client_for(mere)

    first = client.get("/review/?group=comms&decision=review").get_data(as_text=True)
    assert listed(first) == [drafts[0].id, drafts[1].id]
    assert "5 drafts match the filters, oldest first; showing 1 to 2." in first
    assert 'comms <span class="tag tag-warn">5 waiting</span>' in first  # the count is the whole queue's
    assert html.escape('href="/review/?page=2&group=comms&decision=review"', quote=False) in first
    assert 'rel="prev"' not in first

    last = client.get("/review/?group=comms&decision=review&page=3").get_data(as_text=True)
    assert listed(last) == [drafts[4].id] and "showing 5 to 5" in last
    assert 'rel="next"' not in last and "Previous: drafts 3 to 4" in last

    beyond = client.get("/review/?group=comms&page=9").get_data(as_text=True)
    assert listed(beyond) == [] and "There is no page 9: the list has 5 drafts now." in beyond
    assert listed(client.get("/review/?group=comms&page=nonsense").get_data(as_text=True))[:1] == [drafts[0].id]


def test_the_queue_opens_on_a_group_that_has_work(make_user, client_for, pending) -> None:
    """#14 item 7: comms (the first group) is empty, legal has a draft: the queue opens on legal."""
    both = make_user("kiri", roles=["approver"], groups=["comms", "legal"], display_name="Kiri Moana")
    legal = pending(LEGAL_TEXT)
    page = client_for(both).get("/review/").get_data(as_text=True)
    assert "<h1>Review queue: legal</h1>" in page
    assert listed(page) == [legal.id]
    page = client_for(both).get("/review/?group=comms").get_data(as_text=True)  # asked for by name: still shown
    assert "<h1>Review queue: comms</h1>" in page and listed(page) == []
