"""The audit browser: filters, keyset pages, the verify-chain button, exports; bad input and CSRF."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select, update

from reviewer.audit import AuditEvent, record, triggers
from reviewer.audit.offline import check_export


def last_event(db_session) -> AuditEvent:
    db_session.rollback()
    return db_session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()


def seqs_on(html: str) -> list[int]:
    return [int(seq) for seq in re.findall(r'<tr id="event-(\d+)">', html)]


def test_the_trail_newest_first_with_filters(auditor_client, make_draft, make_account, db_session) -> None:
    harbour = make_account("@HarbourCityNZ", name="Harbour City Council")
    other = make_account("@OtherNZ", name="Other Council")
    pending = make_draft("pending", account=harbour)
    make_draft("approved", account=other)
    page = auditor_client.get("/audit/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = seqs_on(html)
    assert shown == sorted(shown, reverse=True) and shown[0] == last_event(db_session).seq
    assert "Harbour City Council" in html and "Verify chain" in html and "Export evidence" in html

    by_account = auditor_client.get(f"/audit/?account={harbour.id}").get_data(as_text=True)
    by_draft = auditor_client.get(f"/audit/?draft={pending.id}").get_data(as_text=True)
    assert set(seqs_on(by_draft)) <= set(seqs_on(by_account))  # every event of the draft is findable by its account
    assert f"draft:{pending.id}" in by_draft and "draft.routed" in by_draft
    routed = auditor_client.get(f"/audit/?draft={pending.id}&action=draft.routed").get_data(as_text=True)
    assert len(seqs_on(routed)) == 1
    review = auditor_client.get("/audit/?decision=review&action=draft.checked").get_data(as_text=True)
    assert f"draft:{pending.id}" in review
    rules = json.loads(db_session.get(AuditEvent, seqs_on(review)[0]).data)["rules"]
    assert f"draft:{pending.id}" in auditor_client.get(f"/audit/?rule={rules[0]}").get_data(as_text=True)
    assert seqs_on(auditor_client.get("/audit/?rule=no.such.rule").get_data(as_text=True)) == []
    mine = auditor_client.get(f"/audit/?actor={pending.test_author.username}").get_data(as_text=True)
    assert seqs_on(mine) and f'<a href="/audit/drafts/{pending.id}">draft:{pending.id}</a>' in mine


def test_pages_step_through_a_long_trail(auditor_client, shipped_app, db_session) -> None:
    from reviewer.db import app_session

    with app_session(shipped_app) as session:
        for n in range(120):
            record(session, None, "test.event", None, {"n": n})
        session.commit()
    head = last_event(db_session).seq
    first = auditor_client.get("/audit/?action=test.event").get_data(as_text=True)
    assert len(seqs_on(first)) == 50 and seqs_on(first)[0] == head
    older = re.search(r'href="(/audit/\?before=\d+[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = auditor_client.get(older).get_data(as_text=True)
    assert seqs_on(second) == list(range(head - 50, head - 100, -1))
    assert 'rel="prev"' in second and "action=test.event" in older


def test_a_bad_filter_is_named_not_a_crash(auditor_client) -> None:
    response = auditor_client.get("/audit/?from=yesterday&draft=7")
    assert response.status_code == 422
    assert "Filter from: &#39;yesterday&#39; is not a date" in response.get_data(as_text=True)
    assert auditor_client.get("/audit/?before=abc").status_code == 422


def test_verify_chain_shows_ok_and_the_head_and_is_audited(auditor_client, db_session, auditor) -> None:
    before = last_event(db_session)
    response = auditor_client.post("/audit/verify")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>OK</strong>" in html
    assert f"{before.seq}:{before.hash}" in html and f"{before.seq} events verified" in html
    event = last_event(db_session)
    assert (event.action, event.actor_name) == ("audit.verified", auditor.username)
    assert json.loads(event.data)["head"] == f"{before.seq}:{before.hash}"
    anchored = auditor_client.post("/audit/verify", data={"anchor": f"{before.seq}:{before.hash}"})
    assert "<strong>OK</strong>" in anchored.get_data(as_text=True)
    wrong = auditor_client.post("/audit/verify", data={"anchor": f"{before.seq}:{'0' * 64}"})
    assert "<strong>FAILED</strong>" in wrong.get_data(as_text=True)
    db_session.rollback()  # see the verifications above
    count = db_session.scalar(select(func.count()).select_from(AuditEvent))
    bad = auditor_client.post("/audit/verify", data={"anchor": "12"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422  # the trail page again, the typed anchor kept and its error beside it
    assert 'id="anchor-error"' in page and "Anchor &#39;12&#39; must look like SEQ:HASH" in page
    assert 'value="12"' in page and 'aria-invalid="true"' in page
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == count  # nothing verified, nothing recorded


def test_a_tampered_trail_fails_the_check(auditor_client, shipped_app, db_session) -> None:
    from reviewer.db import get_database

    with get_database(shipped_app).engine.begin() as connection:
        triggers.uninstall(connection)
        connection.execute(update(AuditEvent.__table__).where(AuditEvent.seq == 2).values(subject="user:999"))
        triggers.install(connection)
    html = auditor_client.post("/audit/verify").get_data(as_text=True)
    assert "<strong>FAILED</strong> at event 2: hash mismatch: content changed" in html
    assert json.loads(last_event(db_session).data)["first_bad"] == {"seq": 2, "reason": "hash mismatch: content changed"}


def test_jsonl_export_streams_verifies_and_is_audited(auditor_client, shipped_app, db_session) -> None:
    from reviewer.audit import load_key

    head = last_event(db_session)
    response = auditor_client.post("/audit/export", data={"format": "jsonl", "from": "", "to": ""})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/x-ndjson"
    assert f'seq1-{head.seq}.jsonl"' in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    result = check_export(lines, load_key(shipped_app.instance_path))
    assert result.ok and result.head == (head.seq, head.hash)
    exported = last_event(db_session)
    assert exported.action == "audit.exported"
    assert json.loads(exported.data) | {} == {
        "count": head.seq, "first_seq": 1, "format": "jsonl", "from": None, "last_seq": head.seq, "to": None, "via": "web",
    }


def test_csv_export_and_bad_export_requests(auditor_client) -> None:
    response = auditor_client.post("/audit/export", data={"format": "csv"})
    assert response.mimetype == "text/csv" and response.get_data(as_text=True).startswith("\ufeffseq,occurred_at,")
    for data, message in (
        ({"format": "xlsx"}, "format &#39;xlsx&#39; is not one of jsonl, csv"),
        ({"format": "jsonl", "from": "2099-01-01"}, "no audit events fall in that period"),
        ({"format": "jsonl", "to": "31/12/2026"}, "is not a date"),
    ):
        refused = auditor_client.post("/audit/export", data=data)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), data  # the trail again (was a redirect)


def test_verify_and_export_need_the_csrf_token(csrf_app, login, auditor) -> None:
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post("/login", data={"username": auditor.username, "password": auditor.test_password, "csrf_token": token})
    assert signed_in.status_code == 302
    assert client.post("/audit/verify").status_code == 400
    assert client.post("/audit/export", data={"format": "jsonl"}).status_code == 400
    index = client.get("/audit/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', index).group(1)
    assert "<strong>OK</strong>" in client.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)


def test_only_auditors_and_admins(shipped_app, make_user, login) -> None:
    for roles, status in ((["staff"], 403), (["approver"], 403), (["admin"], 200), (["auditor"], 200)):
        client = shipped_app.test_client()
        login(client, make_user(roles=roles))
        assert client.get("/audit/").status_code == status, roles
