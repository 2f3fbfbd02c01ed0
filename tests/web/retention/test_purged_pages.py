"""After a retention purge, every page, the API, the audit story and export, and the PDF report show
the marker ("text removed on DATE under the retention policy (sha256 ...)") and never the text or a 500."""

from __future__ import annotations

import html as htmllib
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from fixtures_workflow import REVIEW_TEXT  # type: ignore[import-not-found]
from pypdf import PdfReader

from reviewer.audit import verify
from reviewer.orm import utcnow
from reviewer.retention import purge

POST_TEXT = "Is the pool open on Sunday? I'm at 12 Wharf Road."


@pytest.fixture
def purged(db_session, account, staff, make_inbound, make_draft, make_user):
    """A posted reply (to a post) and a rejected draft, both purged; the approver who rejected it."""
    post = make_inbound(account, text=POST_TEXT, author_handle="@swimmer")
    posted = make_draft("posted", account=account, author=staff, inbound=post)
    approver = make_user("rawiri", roles=["approver"], groups=["comms"], display_name="Rawiri Approver")
    rejected = make_draft("rejected", text=REVIEW_TEXT, account=account, author=staff, approver=approver)
    originals = {posted.id: posted.text, rejected.id: rejected.text}
    result = purge(db_session, None, 1, now=utcnow() + timedelta(days=3))
    db_session.commit()
    assert sorted(result.draft_ids) == sorted(originals) and result.inbound_post_ids == [post.id]
    return {"post": post, "posted": posted, "rejected": rejected, "approver": approver, "originals": originals}


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return htmllib.unescape(response.get_data(as_text=True))


def test_staff_pages_show_the_marker(client_for, staff, account, purged) -> None:
    client = client_for(staff)
    for draft in (purged["posted"], purged["rejected"]):
        text = _page(client, f"/drafts/{draft.id}")
        assert "text removed on" in text and draft.versions[0].text_sha256 in text
        assert purged["originals"][draft.id] not in text
    rejected = _page(client, f"/drafts/{purged['rejected'].id}")
    assert "Not for us to answer." not in rejected and "comment removed on" in rejected
    post_page = _page(client, f"/posts/{purged['post'].id}")
    assert POST_TEXT not in post_page and "text removed on" in post_page
    for listing in ("/inbox/", f"/inbox/{account.id}"):
        assert client.get(listing).status_code == 200


def test_the_approver_and_auditor_pages_show_the_marker(client_for, purged, make_user) -> None:
    rejected = purged["rejected"]
    review = _page(client_for(purged["approver"]), f"/review/drafts/{rejected.id}")
    assert "text removed on" in review and purged["originals"][rejected.id] not in review
    auditor = make_user("ana", roles=["auditor"])
    story = _page(client_for(auditor), f"/audit/drafts/{purged['posted'].id}")
    assert "text removed on" in story and POST_TEXT not in story and "draft.posted" in story


def test_the_api_answers_with_the_marker_in_the_same_shape(app, purged, db_session) -> None:
    from reviewer.api.services import create_token

    token = create_token(db_session, None, purged["posted"].test_author, "tests").secret
    db_session.commit()
    response = app.test_client().get(f"/api/v1/drafts/{purged['rejected'].id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    current = response.get_json()["current"]
    assert current["text"].startswith("[text removed on ") and current["text_sha256"] in current["text"]
    assert current["verdict"]["findings"] and all(f["excerpt"] == "" and f["spans"] == [] for f in current["verdict"]["findings"])


@pytest.mark.slow  # WeasyPrint renders a report: about 5 s here
def test_the_pdf_report_and_the_audit_trail_still_work(db_session, purged) -> None:
    from reviewer.audit import export
    from reviewer.reports.data import build_report, period_of
    from reviewer.reports.pdf import render_pdf

    today = datetime.now(timezone.utc).date()
    since, until = period_of(today, today)
    db_session.rollback()
    data = build_report(db_session, since=since, until=until, account_id=None, agency="Test Agency", generated_by="tests")
    pdf = render_pdf(data)
    text = " ".join("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "text removed on" in text and "Not for us to answer." not in text
    assert REVIEW_TEXT not in text

    assert verify(db_session, db_session.info["audit_key"]).ok
    span = export.resolve_range(db_session, None, None)
    out = io.StringIO()
    written = export.write(db_session, "jsonl", span, out)
    actions = [json.loads(line)["action"] for line in out.getvalue().splitlines()]
    assert written == len(actions) and actions[-1] == "retention.purged"
