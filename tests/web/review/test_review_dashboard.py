"""The response-time dashboard: medians and 90th percentiles per account and group, targets, breaches, the period."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from reviewer.orm import utcnow


def row(page: str, css_class: str, label: str) -> list[str]:
    """The cells of the row headed `label` in the table with `css_class`, as text."""
    table = re.search(rf'<table class="{css_class}(?: [^"]*)?".*?</table>', page, re.S).group(0)
    for found in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found, re.S)]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in {css_class}")


def set_target(db_session, account, minutes: int) -> None:
    db_session.rollback()
    db_session.merge(account).response_target_minutes = minutes
    db_session.commit()


def test_the_dashboard_shows_the_last_30_days_per_account_and_group_with_breaches(
    client_for, mere, account, make_inbound, make_draft, db_session
) -> None:
    set_target(db_session, account, 180)
    now = utcnow()
    answered = make_inbound(account, author_handle="@quick", received_at=now - timedelta(hours=2))
    make_draft("approved", account=account, inbound=answered, approver=mere)  # a clean reply: approved at once
    late = make_inbound(account, author_handle="@late", received_at=now - timedelta(hours=5))
    make_draft("approved", text="We promise the pool will reopen by Friday.", account=account, inbound=late, approver=mere)
    make_inbound(account, author_handle="@waiting", text="Is anyone reading these?", received_at=now - timedelta(days=2))
    make_inbound(account, author_handle="@ancient", received_at=now - timedelta(days=45))  # outside the period

    response = client_for(mere).get("/review/response-times")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The last 30 days:" in page
    cells = row(page, "response-accounts", account.label)
    # Target, posts, answered, within target, past target, median, p90, longest.
    assert cells[1:6] == ["3 h", "3", "2 (1 not yet)", "1", "2"]
    assert cells[6] == "3 h 30 min"  # the median of 2 h and 5 h
    assert cells[7] == cells[8] == "5 h"
    comms = row(page, "response-groups", "comms")
    assert comms[1:4] == ["1", "1", "0"]

    breaches = re.search(r'<table class="breaches[ "].*?</table>', page, re.S).group(0)
    assert breaches.index("@waiting") < breaches.index("@late")  # longest first
    assert "not answered yet" in breaches and "2 d so far" in breaches
    assert "@quick" not in breaches and "@ancient" not in breaches


def test_a_chosen_period_and_account(client_for, mere, account, make_account, make_inbound) -> None:
    other = make_account("@HarbourLibraries", name="Harbour Libraries")
    now = utcnow()
    make_inbound(account, received_at=now - timedelta(days=45))
    make_inbound(other, received_at=now - timedelta(days=45))
    since = (now - timedelta(days=50)).date().isoformat()
    until = (now - timedelta(days=40)).date().isoformat()
    page = client_for(mere).get(f"/review/response-times?since={since}&until={until}&account={account.id}").get_data(as_text=True)
    assert "The last 30 days" not in page
    assert f"from {since} 00:00 UTC" in page
    assert row(page, "response-accounts", account.label)[2] == "1"
    assert "Harbour Libraries" not in re.search(r'<table class="response-accounts[ "].*?</table>', page, re.S).group(0)


def test_a_bad_period_is_a_clear_error(client_for, mere) -> None:
    client = client_for(mere)
    for query, message in (
        ("since=yesterday", "From: Not a valid date value."),
        ("since=2026-11-20&until=2026-11-01", "To (inclusive): The end (2026-11-01) is before the start (2026-11-20)."),
        ("since=2001-01-01&until=2026-01-01", "To (inclusive): The period is longer than 3660 days"),
        ("since=2999-01-01", "From: The start (2999-01-01) is not before the end of the period."),
        ("until=9999-12-31", "To (inclusive): 9999-12-31 is out of range: use a date from 0001-01-02 to 9999-12-30"),
        ("account=7x", "Account: Not a valid choice."),
    ):
        response = client.get(f"/review/response-times?{query}")
        assert response.status_code == 422, query
        assert message in html.unescape(response.get_data(as_text=True)), query


def test_auditors_and_admins_see_the_dashboard_and_staff_do_not(make_user, client_for, staff) -> None:
    assert client_for(make_user("audrey", roles=["auditor"])).get("/review/response-times").status_code == 200
    assert client_for(make_user("ada", roles=["admin"])).get("/review/response-times").status_code == 200
    assert client_for(staff).get("/review/response-times").status_code == 403


def main_nav(page: str) -> str:
    return re.search(r'<nav aria-label="Main">.*?</nav>', page, re.S).group(0)


def test_auditors_and_admins_reach_the_dashboard_from_the_main_nav(client_for, make_user, mere, staff) -> None:
    link = '<a href="/review/response-times">Response times</a>'
    for user in (make_user("ana", roles=["auditor"]), make_user("ada", roles=["admin"])):
        client = client_for(user)
        assert link in main_nav(client.get("/").get_data(as_text=True)), user.username
        here = main_nav(client.get("/review/response-times").get_data(as_text=True))
        assert '<a href="/review/response-times" aria-current="page">Response times</a>' in here
    # Approvers find it on their queue page; staff may not see it at all.
    assert '<a href="/review/response-times">Response times</a>' in client_for(mere).get("/review/").get_data(as_text=True)
    assert "/review/response-times" not in client_for(staff).get("/").get_data(as_text=True)
