"""The inbox pages: accounts, unanswered posts oldest first with their waiting time, adding and uploading posts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from reviewer.drafting.models import InboundPost
from reviewer.web.filters import waited

from drafting_pages import page_text  # type: ignore[import-not-found]


def count_posts(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(InboundPost))


def test_waited_reads_like_a_person_would_say_it() -> None:
    assert waited(timedelta(seconds=30)) == "under 1 min"
    assert waited(timedelta(minutes=42)) == "42 min"
    assert waited(timedelta(hours=3, minutes=12, seconds=59)) == "3 h 12 min"
    assert waited(timedelta(hours=5)) == "5 h"
    assert waited(timedelta(days=2, hours=4, minutes=10)) == "2 d 4 h"
    assert waited(1440) == "1 d"
    assert waited(None) == ""


def test_index_lists_only_the_accounts_i_draft_for(staff_client, make_account, make_inbound, account) -> None:
    make_inbound(account, received_at=datetime.now(timezone.utc) - timedelta(hours=30))
    other_team = make_account("@LegalOnly", name="Legal team account", groups=["legal"])
    page = page_text(staff_client.get("/inbox/"))
    assert "Harbour City Council" in page
    assert "Legal team account" not in page
    assert "1 overdue" in page  # 30 h against the one-day target
    assert other_team.id  # made, but hidden


def test_inbox_shows_unanswered_posts_oldest_first_with_how_long_they_waited(staff_client, make_inbound, make_draft, account) -> None:
    now = datetime.now(timezone.utc)
    newer = make_inbound(account, text="Newer: bins not collected", received_at=now - timedelta(minutes=42, seconds=20))
    older = make_inbound(account, text="Older: pothole on Quay St", received_at=now - timedelta(hours=3, minutes=12, seconds=20))
    answered = make_inbound(account, text="Answered: library hours?", received_at=now - timedelta(hours=5))
    make_draft("approved", inbound=answered)

    page = page_text(staff_client.get(f"/inbox/{account.id}"))
    assert page.index("Older: pothole") < page.index("Newer: bins")
    assert "3 h 12 min" in page and "42 min" in page
    assert "Answered: library hours?" not in page
    assert f'/posts/{older.id}"' in page and f'/posts/{newer.id}"' in page

    page = page_text(staff_client.get(f"/inbox/{account.id}?answered=1"))
    assert "Answered: library hours?" in page
    assert "answered</span>" in page
    assert "Draft: approved" in page


def test_a_long_inbox_is_shown_a_page_at_a_time_and_summed_up_in_the_database(
    staff_client, make_inbound, make_draft, account, monkeypatch
) -> None:
    from reviewer.drafting import views

    monkeypatch.setattr(views, "INBOX_PAGE_SIZE", 2)
    now = datetime.now(timezone.utc)
    posts = [make_inbound(account, text=f"Post number {n}", received_at=now - timedelta(hours=30 - 5 * n)) for n in range(5)]
    make_draft("approved", inbound=make_inbound(account, text="Answered long ago", received_at=now - timedelta(days=9)))

    first = page_text(staff_client.get(f"/inbox/{account.id}"))
    assert "Post number 0" in first and "Post number 1" in first and "Post number 2" not in first
    assert "5 posts waiting for a reply, oldest first; showing 1 to 2." in first
    assert f'href="/inbox/{account.id}?page=2" rel="next">Next: posts 3 to 4' in first
    last = page_text(staff_client.get(f"/inbox/{account.id}?page=3"))
    assert "Post number 4" in last and "Post number 3" not in last and "Previous: posts 3 to 4" in last
    with_answered = page_text(staff_client.get(f"/inbox/{account.id}?answered=1"))
    assert "6 posts, oldest first; showing 1 to 2." in with_answered and "Answered long ago" in with_answered
    assert "page=2&amp;answered=1" in with_answered
    beyond = page_text(staff_client.get(f"/inbox/{account.id}?page=7"))
    assert "There is no page 7: the list has 5 posts now." in beyond

    index = page_text(staff_client.get("/inbox/"))
    assert "5 <span" in index and "2 overdue" in index  # 30 and 25 h old against the one-day target
    assert "1 d 6 h" in index  # the longest wait
    assert posts[0].id


def test_another_teams_staff_cannot_open_the_inbox_posts_or_drafts(shipped_app, make_account, make_user, make_inbound, make_draft, login) -> None:
    legal_account = make_account("@LegalOnly", groups=["legal"])
    post = make_inbound(legal_account)
    insider = make_user("lee", roles=["staff"], groups=["legal"])
    draft = make_draft("draft", account=legal_account, author=insider)
    outsider = make_user("kim", roles=["staff"], groups=["comms"])
    client = shipped_app.test_client()
    login(client, outsider)
    for url in (
        f"/inbox/{legal_account.id}",
        f"/inbox/{legal_account.id}/posts/new",
        f"/inbox/{legal_account.id}/upload",
        f"/inbox/{legal_account.id}/compose",
        f"/posts/{post.id}",
        f"/drafts/{draft.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/drafts/{draft.id}", data={"text": "mine now", "save": "1"}).status_code == 404
    assert client.post(f"/drafts/{draft.id}/posted", data={}).status_code == 404


def test_approvers_and_anonymous_visitors_are_turned_away(shipped_app, make_user, login, account) -> None:
    anonymous = shipped_app.test_client()
    response = anonymous.get(f"/inbox/{account.id}")
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    client = shipped_app.test_client()
    login(client, make_user("mere", roles=["approver"], groups=["comms"]))
    assert client.get(f"/inbox/{account.id}").status_code == 403


def test_add_a_post_by_form(staff_client, account, audit_actions, db_session) -> None:
    response = staff_client.post(
        f"/inbox/{account.id}/posts/new",
        data={"author_handle": "@resident", "text": "When is the pool open?", "received_at": "2026-01-05T09:30:00+13:00",
              "url": "https://x.com/resident/status/9", "external_id": "9"},
    )
    assert response.status_code == 302
    db_session.rollback()
    post = db_session.scalar(select(InboundPost))
    assert response.location == f"/posts/{post.id}"
    assert post.received_at == datetime(2026, 1, 4, 20, 30, tzinfo=timezone.utc)
    assert audit_actions()[-1] == "inbound.created"


def test_a_bad_post_names_the_field_and_stores_nothing(staff_client, account, db_session) -> None:
    response = staff_client.post(
        f"/inbox/{account.id}/posts/new",
        data={"author_handle": "@resident", "text": "Hello", "received_at": "2026-01-05 09:30"},
    )
    assert response.status_code == 422  # invalid input (issue 18; was 200)
    page = page_text(response)
    assert "give a timezone" in page
    assert 'id="received_at-error"' in page
    assert count_posts(db_session) == 0


GOOD_CSV = (
    "platform,author_handle,text,url,received_at,external_id\n"
    'x,@one,"First, with a comma",,2026-01-05T09:30:00Z,a1\n'
    "x,@two,Second,https://x.com/two/status/2,2026-01-05T10:00:00+13:00,a2\n"
)


def test_upload_a_csv_file_adds_every_post(staff_client, account, db_session, audit_actions) -> None:
    response = staff_client.post(
        f"/inbox/{account.id}/upload",
        data={"file": (__import__("io").BytesIO(GOOD_CSV.encode()), "posts.csv"), "format": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.location == f"/inbox/{account.id}"
    assert count_posts(db_session) == 2
    assert audit_actions()[-1] == "inbound.imported"
    assert "2 posts added" in page_text(staff_client.get(response.location))


def test_upload_json_lines_skips_known_posts(staff_client, account, db_session, make_inbound) -> None:
    import io

    make_inbound(account, external_id="k1")
    lines = (
        '{"author_handle": "@a", "text": "one", "received_at": "2026-01-05T09:30:00Z", "external_id": "k1"}\n'
        '{"author_handle": "@b", "text": "two", "received_at": "2026-01-05T09:31:00Z", "external_id": "k2"}\n'
    )
    response = staff_client.post(
        f"/inbox/{account.id}/upload",
        data={"file": (io.BytesIO(lines.encode()), "posts.txt"), "format": "jsonl"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "1 post added; 1 already known, skipped." in page_text(response)
    assert count_posts(db_session) == 2


def test_a_bad_upload_lists_every_problem_by_line_and_stores_nothing(staff_client, account, db_session) -> None:
    import io

    bad = (
        "platform,author_handle,text,url,received_at,external_id\n"
        "x,@ok,Fine,,2026-01-05T09:30:00Z,\n"
        "x,,No author,,2026-01-05T09:30:00Z,\n"
        "facebook,@c,Wrong platform,,2026-01-05T09:30:00Z,\n"
        "x,@d,<b>No zone</b>,,2026-01-05 09:30,\n"
    )
    response = staff_client.post(
        f"/inbox/{account.id}/upload",
        data={"file": (io.BytesIO(bad.encode()), "posts.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Nothing was stored: the file has 3 problems." in page
    assert "<tr><td>3</td><td><code>author_handle</code></td><td>required: it cannot be empty</td></tr>" in page
    assert "<tr><td>4</td><td><code>platform</code></td>" in page and "does not match the account" in page
    assert "<tr><td>5</td><td><code>received_at</code></td>" in page
    assert count_posts(db_session) == 0


def test_an_upload_with_no_file_or_unknown_format_says_what_to_do(staff_client, account) -> None:
    import io

    response = staff_client.post(f"/inbox/{account.id}/upload", data={"format": "auto"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a file to upload." in page_text(response)
    response = staff_client.post(
        f"/inbox/{account.id}/upload",
        data={"file": (io.BytesIO(b"x"), "posts.xlsx"), "format": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "choose CSV or JSON Lines" in page_text(response)


def test_index_lists_my_open_drafts(staff_client, make_draft, staff, account) -> None:
    make_draft("pending", author=staff, account=account)
    make_draft("posted", author=staff, account=account, text="Posted already, thanks for waiting.")
    page = page_text(staff_client.get("/inbox/"))
    assert "We promise the pool will reopen by Friday." in page
    assert "waiting for approval" in page and "Needs approval by comms" in page
    assert "Posted already" not in page
