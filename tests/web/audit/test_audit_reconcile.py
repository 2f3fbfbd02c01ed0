"""Domain rows changed under a verifying chain (issue 15, item 4): `reconcile` names each row, the verify
button and `reviewer audit verify --reconcile` fail, and the story page marks a text whose sha256 differs.

The attacker has database write access (not the audit key): they rewrite `draft_versions` or insert and
delete `approvals` rows, none of which the chain covers.
"""

from __future__ import annotations

import html as htmllib
import json
import re

from fixtures_workflow import REVIEW_TEXT  # type: ignore[import-not-found]
from sqlalchemy import delete, insert, select, update

from reviewer.audit.reconcile import reconcile
from reviewer.audit.services import verify
from reviewer.drafting.common import text_sha256
from reviewer.drafting.models import DraftVersion
from reviewer.review.models import Approval

VERSIONS = DraftVersion.__table__
APPROVALS = Approval.__table__


def as_attacker(app, *statements) -> None:
    """Run statements straight on the database, outside the app, in one transaction."""
    from reviewer.db import get_database

    with get_database(app).engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def fresh(db_session):
    db_session.rollback()  # a new snapshot (SQLite keeps the old one while a transaction is open)
    return reconcile(db_session)


def test_honest_data_reconciles(make_draft, db_session, checker) -> None:
    from reviewer.drafting.services import revise_draft

    approved = make_draft("approved", text=REVIEW_TEXT)  # approved by a person: an approvals row
    make_draft("posted")
    make_draft("rejected")
    returned = make_draft("returned")
    revise_draft(db_session, returned.test_author, checker, returned, REVIEW_TEXT + " Update to follow.")
    db_session.commit()
    result = fresh(db_session)
    assert result.ok, result.describe()
    assert (result.drafts, result.versions, result.approvals) == (4, 5, 1)
    assert result.describe() == "Reconciled: 4 drafts, 5 versions, 1 approvals agree with the audit trail"
    assert approved.state == "approved"


def test_a_rewritten_approved_text_is_named(app, make_draft, db_session) -> None:
    draft = make_draft("approved", text=REVIEW_TEXT)
    version = draft.current_version
    as_attacker(app, update(VERSIONS).where(VERSIONS.c.id == version.id).values(text="We will refund everyone."))
    db_session.rollback()
    assert verify(db_session, db_session.info["audit_key"]).ok  # the chain itself is untouched
    [mismatch] = fresh(db_session).mismatches
    assert (mismatch.table, mismatch.row_id, mismatch.draft_id) == ("draft_versions", version.id, draft.id)
    assert "the text does not match its text_sha256" in mismatch.what


def test_a_rewritten_text_with_its_hash_recomputed_is_caught_by_the_events(app, make_draft, db_session) -> None:
    draft = make_draft("approved", text=REVIEW_TEXT)
    version = draft.current_version
    forged = "We will refund everyone."
    as_attacker(app, update(VERSIONS).where(VERSIONS.c.id == version.id).values(text=forged, text_sha256=text_sha256(forged)))
    described = [m.describe() for m in fresh(db_session).mismatches]
    assert any(
        line.startswith(f"draft_versions row {version.id} (draft {draft.id}): version 1: text_sha256")
        and "(draft.checked) recorded" in line for line in described
    ), described
    assert any("(draft.approved) recorded" in line for line in described)
    assert any(line.startswith("approvals row ") for line in described)  # the approval named the old text


def test_a_rewritten_decision_is_named(app, make_draft, db_session) -> None:
    draft = make_draft("pending", text=REVIEW_TEXT)
    version = draft.current_version
    as_attacker(app, update(VERSIONS).where(VERSIONS.c.id == version.id).values(decision="pass"))
    [mismatch] = fresh(db_session).mismatches
    assert mismatch.describe() == (
        f"draft_versions row {version.id} (draft {draft.id}): version 1: decision 'pass', "
        f"but event {mismatch.what.split('event ')[1].split(' ')[0]} (draft.checked) recorded 'review'"
    )


def test_an_inserted_approval_is_named(app, make_draft, make_user, db_session) -> None:
    draft = make_draft("pending", text=REVIEW_TEXT)
    version = draft.current_version
    kim = make_user("kim", roles=["approver"], groups=list(draft.routes))
    as_attacker(app, insert(APPROVALS).values(
        draft_id=draft.id, version_id=version.id, text_sha256=version.text_sha256, group=draft.routes[0], approver_id=kim.id,
    ))
    db_session.rollback()
    forged = db_session.scalars(select(Approval).where(Approval.draft_id == draft.id)).one()
    [mismatch] = fresh(db_session).mismatches
    assert mismatch.describe() == (
        f"approvals row {forged.id} (draft {draft.id}): kim approved version 1 for group {draft.routes[0]!r} "
        f"(text_sha256 {version.text_sha256[:12]}..), but no draft.approved event records it"
    )


def test_a_deleted_approval_is_named_by_its_event(app, make_draft, db_session) -> None:
    draft = make_draft("approved", text=REVIEW_TEXT)
    as_attacker(app, delete(APPROVALS).where(APPROVALS.c.draft_id == draft.id))
    [mismatch] = fresh(db_session).mismatches
    assert mismatch.table == "approvals" and mismatch.row_id is None and mismatch.draft_id == draft.id
    assert "(draft.approved) records an approval of version 1" in mismatch.what and "has no approvals row" in mismatch.what


def test_a_purged_text_reconciles_but_a_rewritten_marker_does_not(app, make_draft, db_session) -> None:
    from datetime import timedelta

    from reviewer.orm import utcnow
    from reviewer.retention.services import purge

    draft = make_draft("posted")
    purge(db_session, None, 0, now=utcnow() + timedelta(days=1))
    db_session.commit()
    assert fresh(db_session).ok
    version = draft.versions[0]
    as_attacker(app, update(VERSIONS).where(VERSIONS.c.id == version.id).values(text="Anything at all."))
    [mismatch] = fresh(db_session).mismatches
    assert mismatch.row_id == version.id and "is not the retention marker of its sha256" in mismatch.what


def test_the_verify_button_reconciles_and_records_it(app, auditor_client, make_draft, db_session) -> None:
    draft = make_draft("approved", text=REVIEW_TEXT)
    ok = htmllib.unescape(auditor_client.post("/audit/verify").get_data(as_text=True))
    assert "<strong>OK</strong>" in ok and "agree with the audit trail" in ok
    version = draft.current_version
    as_attacker(app, update(VERSIONS).where(VERSIONS.c.id == version.id).values(text="We will refund everyone."))
    page = htmllib.unescape(auditor_client.post("/audit/verify").get_data(as_text=True))
    assert "RECONCILE FAILED" in page and f"draft_versions row {version.id} (draft {draft.id})" in page
    db_session.rollback()
    from reviewer.audit.models import AuditEvent

    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.action == "audit.verified"
    assert json.loads(event.data)["reconcile"] == {"ok": False, "mismatches": 1}


def test_the_story_page_marks_a_text_that_does_not_match_its_hash(app, auditor_client, make_draft) -> None:
    draft = make_draft("approved", text=REVIEW_TEXT)
    clean = auditor_client.get(f"/audit/drafts/{draft.id}").get_data(as_text=True)
    assert "does not match its sha256" not in clean
    version = draft.current_version
    as_attacker(app, update(VERSIONS).where(VERSIONS.c.id == version.id).values(text="We will refund everyone."))
    page = htmllib.unescape(re.sub(r"<[^>]+>", "", auditor_client.get(f"/audit/drafts/{draft.id}").get_data(as_text=True)))
    assert "This text does not match its sha256" in page
    assert f"recorded {version.text_sha256}" in page and f"now hashes to {text_sha256('We will refund everyone.')}" in page


def test_reviewer_audit_verify_reconcile_names_the_forged_approval(app, make_draft, make_user, db_session, monkeypatch) -> None:
    from click.testing import CliRunner

    from reviewer.cli import main

    draft = make_draft("pending", text=REVIEW_TEXT)
    version = draft.current_version
    kim = make_user("kim", roles=["approver"], groups=list(draft.routes))
    as_attacker(app, insert(APPROVALS).values(
        draft_id=draft.id, version_id=version.id, text_sha256=version.text_sha256, group=draft.routes[0], approver_id=kim.id,
    ))
    for name in ("DATABASE_URL", "POLICY_DIR", "PASSWORD_HASH_PARAMS"):
        value = app.config[name]
        monkeypatch.setenv(f"REVIEWER_{name}", json.dumps(value) if isinstance(value, dict) else str(value))
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", app.instance_path)
    runner = CliRunner()
    plain = runner.invoke(main, ["audit", "verify"])
    assert plain.exit_code == 0 and plain.output.startswith("OK: "), plain.output
    result = runner.invoke(main, ["audit", "verify", "--reconcile"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("OK: ") and lines[1].startswith("RECONCILE FAILED: 1 row(s) disagree with the audit trail")
    assert lines[2].startswith("  approvals row ") and f"(draft {draft.id}): kim approved version 1" in lines[2]
