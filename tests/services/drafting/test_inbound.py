"""Inbound posts: the form/API service, CSV and JSON Lines import (all or nothing), the inbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from reviewer.drafting.importing import import_inbound
from reviewer.drafting.inbound import create_inbound, inbox
from reviewer.drafting.models import InboundPost
from reviewer.review.workflow import InvalidInput, NotAllowed

NOW = datetime.now(timezone.utc)
HEADER = "platform,author_handle,text,url,received_at,external_id\n"


def count_posts(session) -> int:
    return session.scalar(select(func.count()).select_from(InboundPost))


def test_create_inbound_stores_utc_and_audits(db_session, make_account, make_user, audit_actions) -> None:
    account = make_account(platform="facebook")
    staff = make_user(roles=["staff"])
    post = create_inbound(
        db_session,
        staff,
        account,
        author_handle=" @resident ",
        text="Bins were missed on Tui Street.",
        received_at="2026-11-20T09:30:00+13:00",
        url="https://facebook.com/posts/1",
        external_id="fb-1",
    )
    db_session.commit()
    assert post.platform == "facebook"
    assert post.author_handle == "@resident"
    assert post.received_at == datetime(2026, 11, 19, 20, 30, tzinfo=timezone.utc)
    assert post.created_by_id == staff.id
    assert audit_actions()[-1] == "inbound.created"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"author_handle": "  "}, "author_handle", "required"),
        ({"text": ""}, "text", "required"),
        ({"received_at": "yesterday"}, "received_at", "not an ISO 8601"),
        ({"received_at": "2026-11-20T09:30:00"}, "received_at", "timezone"),
        ({"received_at": datetime(2026, 11, 20)}, "received_at", "timezone"),
        ({"received_at": (NOW + timedelta(days=1)).isoformat()}, "received_at", "future"),
        ({"url": "javascript:alert(1)"}, "url", "not an http(s) link"),
        ({"external_id": "x" * 201}, "external_id", "too long"),
    ],
)
def test_create_inbound_names_the_bad_field(db_session, make_account, fields, field, words) -> None:
    values = {"author_handle": "@a", "text": "Hello", "received_at": NOW - timedelta(hours=1)} | fields
    with pytest.raises(InvalidInput) as bad:
        create_inbound(db_session, None, make_account(), **values)
    assert bad.value.field == field
    assert words in bad.value.message


def test_a_known_external_id_is_refused(db_session, make_account, make_inbound) -> None:
    account = make_account()
    first = make_inbound(account, external_id="tw-9")
    with pytest.raises(InvalidInput, match=f"post {first.id}"):
        create_inbound(db_session, None, account, author_handle="@b", text="Again", received_at=NOW, external_id="tw-9")
    # The same id on another account is another post.
    make_inbound(make_account(), external_id="tw-9")


def test_only_staff_who_draft_for_the_account_add_posts(db_session, make_account, make_user) -> None:
    account = make_account(groups=["safeguarding"])
    with pytest.raises(NotAllowed):
        create_inbound(db_session, make_user(roles=["staff"]), account, author_handle="@a", text="Hi", received_at=NOW)
    with pytest.raises(NotAllowed):
        create_inbound(db_session, make_user(roles=["auditor"]), make_account(), author_handle="@a", text="Hi", received_at=NOW)
    inside = make_user(roles=["staff"], groups=["safeguarding"])
    assert create_inbound(db_session, inside, account, author_handle="@a", text="Hi", received_at=NOW).id


# --- Import -------------------------------------------------------------------------


def test_csv_import_creates_posts_and_skips_duplicates(db_session, make_account, make_inbound, audit_actions) -> None:
    account = make_account(platform="x")
    make_inbound(account, external_id="t1")
    data = HEADER + (
        "x,@ana,\"Bins missed, again\",https://x.com/ana/status/2,2026-11-20T08:00:00Z,t2\n"
        "x,@ben,The library is closed?,,2026-11-20T09:00:00+13:00,t1\n"
        ",@cat,Pothole on Quay St,,2026-11-21T10:00:00Z,\n"
        "x,@dan,Repeat in the file,,2026-11-21T10:00:00Z,t2\n"
    )
    result = import_inbound(db_session, None, account, data.encode("utf-8"), "csv")
    db_session.commit()
    assert result.ok, result.errors
    assert (result.created, result.skipped_duplicates) == (2, 2)
    assert [p.author_handle for p in result.posts] == ["@ana", "@cat"]
    assert result.posts[0].text == "Bins missed, again"
    assert result.posts[1].external_id is None
    assert audit_actions()[-1] == "inbound.imported"


def test_a_bad_row_stores_nothing_and_every_problem_is_listed(db_session, make_account) -> None:
    account = make_account(platform="x")
    before = count_posts(db_session)
    data = HEADER + (
        "x,@ana,Fine,,2026-11-20T08:00:00Z,a\n"
        "x,,No author,,2026-11-20T08:00:00Z,b\n"
        "facebook,@cat,Wrong platform,,2026-11-20T08:00:00Z,c\n"
        "x,@dan,Bad date,,20/11/2026,d\n"
        "x,@eve,Too,many,,2026-11-20T08:00:00Z,e\n"
    )
    result = import_inbound(db_session, None, account, data, "csv")
    assert not result.ok
    assert [(e.line, e.field) for e in result.errors] == [(3, "author_handle"), (4, "platform"), (5, "received_at"), (6, None)]
    assert "expected 6 values, found 7" in str(result.errors[-1])
    assert str(result.errors[0]) == "line 3, author_handle: required: it cannot be empty"
    assert result.created == 0 and result.posts == []
    db_session.commit()
    assert count_posts(db_session) == before


def test_a_csv_header_must_name_the_columns(db_session, make_account) -> None:
    result = import_inbound(db_session, None, make_account(), "who,what\n@a,hi\n", "csv")
    assert len(result.errors) == 1
    assert result.errors[0].line == 1
    assert "missing column(s) author_handle, text, received_at" in result.errors[0].message
    assert "unknown column(s) who, what" in result.errors[0].message


def test_jsonl_import(db_session, make_account) -> None:
    account = make_account(platform="instagram")
    rows = [
        {"platform": "instagram", "author_handle": "@ana", "text": "Love the new park", "received_at": "2026-11-20T08:00:00Z"},
        {"author_handle": "@ben", "text": "When is the pool open?", "received_at": "2026-11-20T09:00:00Z", "external_id": 77},
    ]
    data = "\n".join(json.dumps(r) for r in rows) + "\n\n"
    result = import_inbound(db_session, None, account, data, "jsonl")
    assert result.ok and result.created == 2
    assert result.posts[1].external_id == "77"


def test_jsonl_errors_name_the_line(db_session, make_account) -> None:
    data = ('{"author_handle": "@a", "text": "ok", "received_at": "2026-11-20T08:00:00Z"}\n[1, 2]\n{"bad json\n'
            '{"author_handle": "@a", "text": "x", "received_at": "2026-11-20T08:00:00Z", "colour": "red"}\n')
    result = import_inbound(db_session, None, make_account(), data, "jsonl")
    assert [(e.line, e.field) for e in result.errors] == [(2, None), (3, None), (4, "colour")]
    assert "expected a JSON object" in result.errors[0].message
    assert "not valid JSON" in result.errors[1].message


def test_empty_undecodable_and_unknown_format_files(db_session, make_account) -> None:
    account = make_account()
    assert "no posts" in import_inbound(db_session, None, account, HEADER, "csv").errors[0].message
    assert "not UTF-8" in import_inbound(db_session, None, account, b"\xff\xfe\x00", "csv").errors[0].message
    with pytest.raises(InvalidInput) as bad:
        import_inbound(db_session, None, account, "", "xlsx")
    assert bad.value.field == "format"


# --- Inbox ---------------------------------------------------------------------------------


def test_inbox_is_oldest_first_with_waiting_time(db_session, make_account, make_inbound, make_draft) -> None:
    account = make_account()
    other = make_account()
    now = datetime.now(timezone.utc)
    newer = make_inbound(account, received_at=now - timedelta(hours=1))
    older = make_inbound(account, received_at=now - timedelta(days=2))
    make_inbound(other)
    answered = make_inbound(account, received_at=now - timedelta(hours=5))
    make_draft("approved", inbound=answered)

    items = inbox(db_session, account, now=now)
    assert [i.post.id for i in items] == [older.id, newer.id]
    assert items[0].waiting == timedelta(days=2)
    assert items[0].waiting_minutes == 2880
    assert items[0].overdue(1440) and not items[1].overdue(1440)
    assert items[0].draft_id is None

    everything = inbox(db_session, account, include_answered=True, now=now)
    assert [i.post.id for i in everything] == [older.id, answered.id, newer.id]
    done = everything[1]
    assert done.answered and done.draft_state == "approved"
    assert timedelta(hours=4) < done.waiting < timedelta(hours=6)


def test_inbox_limit(db_session, make_account, make_inbound) -> None:
    account = make_account()
    now = datetime.now(timezone.utc)
    oldest = make_inbound(account, received_at=now - timedelta(hours=3))
    make_inbound(account, received_at=now - timedelta(hours=1))
    assert [i.post.id for i in inbox(db_session, account, limit=1)] == [oldest.id]
