"""The retention purge: what goes, what stays, the audit event, the chain, idempotence, dry runs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fixtures_workflow import REVIEW_TEXT  # type: ignore[import-not-found]
from sqlalchemy import select

from reviewer.audit import AuditEvent, verify
from reviewer.orm import utcnow
from reviewer.drafting.models import DraftVersion, InboundPost
from reviewer.retention import FINISHED_STATES, RetentionError, is_marker, purge, retention_days, text_marker
from reviewer.review.models import ReviewAction

LATER = timedelta(days=3)  # "now" for the purge: every draft made here finished 3 days before it


@pytest.fixture
def mix(make_account, make_inbound, make_draft):
    """Drafts in every state; posts answered by a finished draft, by an unfinished one, and not at all."""
    account = make_account("@HarbourCityNZ", name="Harbour City Council")
    done_post = make_inbound(account, text="The light on Wharf Road is out. I'm at 12 Wharf Road.")
    busy_post = make_inbound(account, text="Is the pool open? My number is 021 555 0199")
    waiting_post = make_inbound(account, text="Nobody has answered me yet.")
    drafts = {
        "posted": make_draft("posted", account=account, inbound=done_post),
        "rejected": make_draft("rejected", text=REVIEW_TEXT, account=account),
        "approved": make_draft("approved", account=account, inbound=busy_post),
        "pending": make_draft("pending", account=account, inbound=busy_post),
        "returned": make_draft("returned", account=account),
        "draft": make_draft("draft", account=account, inbound=waiting_post),
    }
    return drafts, {"done": done_post, "busy": busy_post, "waiting": waiting_post}


def _versions(db_session, draft) -> list[DraftVersion]:
    return list(db_session.scalars(select(DraftVersion).where(DraftVersion.draft_id == draft.id).order_by(DraftVersion.number)))


def _events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_finished_means_posted_or_rejected() -> None:
    assert set(FINISHED_STATES) == {"posted", "rejected"}


def test_purge_removes_finished_texts_keeps_hashes_and_the_chain_verifies(db_session, mix) -> None:
    drafts, posts = mix
    rejected = drafts["rejected"]
    before = {v.id: (v.text, v.text_sha256, v.decision, [f["rule"] for f in v.verdict["findings"]]) for v in _versions(db_session, rejected)}
    assert any(f["excerpt"] for v in _versions(db_session, rejected) for f in v.verdict["findings"])  # something to scrub
    now = utcnow() + LATER

    result = purge(db_session, None, 1, now=now)
    db_session.commit()

    assert sorted(result.draft_ids) == sorted([drafts["posted"].id, rejected.id])
    assert result.inbound_post_ids == [posts["done"].id]
    assert result.comments == 1  # the rejection reason; the posted step's URL is the agency's own and stays
    for version in _versions(db_session, rejected):
        text, sha, decision, rules = before[version.id]
        assert version.text == text_marker(now, sha) and is_marker(version.text)
        assert f"sha256 {sha}" in version.text and now.strftime("%Y-%m-%d") in version.text
        assert version.text_sha256 == sha and version.decision == decision and version.text_purged_at == now
        assert [f["rule"] for f in version.verdict["findings"]] == rules
        assert all(f["excerpt"] == "" and f["spans"] == [] for f in version.verdict["findings"])
    steps = {s.action: s.comment for s in db_session.scalars(select(ReviewAction).where(ReviewAction.draft_id == rejected.id))}
    assert steps["submit"] is None and steps["reject"].startswith("[comment removed on ")
    assert "Not for us to answer." not in steps["reject"]
    posted_steps = db_session.scalars(select(ReviewAction).where(ReviewAction.draft_id == drafts["posted"].id, ReviewAction.action == "post"))
    assert [s.comment for s in posted_steps] == ["https://x.com/HarbourCityNZ/status/1"]

    for state in ("approved", "pending", "returned", "draft"):
        assert all(v.text_purged_at is None and not is_marker(v.text) for v in _versions(db_session, drafts[state])), state
    texts = {p.id: (p.text, p.text_purged_at) for p in db_session.scalars(select(InboundPost))}
    assert is_marker(texts[posts["done"].id][0]) and texts[posts["done"].id][1] == now
    assert texts[posts["busy"].id] == ("Is the pool open? My number is 021 555 0199", None)  # a draft still in progress
    assert texts[posts["waiting"].id] == ("Nobody has answered me yet.", None)  # never answered

    [event] = _events(db_session, "retention.purged")
    data = json.loads(event.data)
    assert event.seq == result.event_seq and event.actor_name is None
    assert data["drafts"] == 2 and data["versions"] == result.versions == 2 and data["comments"] == 1
    assert data["inbound_posts"] == 1 and data["inbound_post_ids"] == [posts["done"].id]
    assert data["draft_ids"] == sorted(result.draft_ids) and data["days"] == 1
    assert data["cutoff"] == (now - timedelta(days=1)).isoformat()
    assert verify(db_session, db_session.info["audit_key"]).ok


def test_purge_is_idempotent(db_session, mix) -> None:
    now = utcnow() + LATER
    purge(db_session, None, 1, now=now)
    db_session.commit()
    texts = {v.id: (v.text, v.verdict) for v in db_session.scalars(select(DraftVersion))}

    again = purge(db_session, None, 1, now=now + timedelta(hours=1))
    db_session.commit()

    assert (again.draft_ids, again.versions, again.comments, again.inbound_post_ids) == ([], 0, 0, [])
    assert {v.id: (v.text, v.verdict) for v in db_session.scalars(select(DraftVersion))} == texts
    assert [json.loads(e.data)["drafts"] for e in _events(db_session, "retention.purged")] == [2, 0]  # every run is audited
    assert verify(db_session, db_session.info["audit_key"]).ok


def test_a_dry_run_counts_and_changes_nothing(db_session, mix) -> None:
    now = utcnow() + LATER
    texts = {v.id: v.text for v in db_session.scalars(select(DraftVersion))}
    head = db_session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first()

    dry = purge(db_session, None, 1, now=now, dry_run=True)
    db_session.commit()

    assert dry.dry_run and dry.event_seq is None and "Would remove the texts of 2 drafts" in dry.describe()
    assert {v.id: v.text for v in db_session.scalars(select(DraftVersion))} == texts
    assert db_session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first() == head
    real = purge(db_session, None, 1, now=now)
    assert (dry.draft_ids, dry.versions, dry.comments, dry.inbound_post_ids) == (
        real.draft_ids, real.versions, real.comments, real.inbound_post_ids
    )


def test_drafts_finished_after_the_cutoff_keep_their_text(db_session, mix) -> None:
    result = purge(db_session, None, 30, now=utcnow() + LATER)  # finished 3 days ago: kept for 27 more
    db_session.commit()
    assert (result.draft_ids, result.inbound_post_ids) == ([], [])
    assert not any(is_marker(v.text) for v in db_session.scalars(select(DraftVersion)))


def test_many_ids_are_recorded_as_a_hash(db_session, mix, monkeypatch) -> None:
    from reviewer.retention import services

    monkeypatch.setattr(services, "MAX_LISTED_IDS", 1)
    result = purge(db_session, None, 1, now=utcnow() + LATER)
    db_session.commit()
    data = json.loads(_events(db_session, "retention.purged")[0].data)
    assert "draft_ids" not in data and data["draft_ids_sha256"] == services.ids_sha256(result.draft_ids)
    assert data["inbound_post_ids"] == result.inbound_post_ids  # one id: still listed


@pytest.mark.parametrize(
    ("configured", "override", "message"),
    [
        (None, None, "is not set, so texts are kept forever"),
        ("soon", None, "RETENTION_DRAFT_TEXT_DAYS (REVIEWER_RETENTION_DRAFT_TEXT_DAYS) must be a whole number"),
        (-1, None, "must be a whole number of days (0 or more), got -1"),
        (30, True, "--days must be a whole number"),
    ],
)
def test_bad_retention_days_are_clear_errors(configured, override, message) -> None:
    with pytest.raises(RetentionError) as caught:
        retention_days(configured, override)
    assert message in str(caught.value)


def test_retention_days_come_from_the_override_then_the_setting() -> None:
    assert retention_days(30) == 30 and retention_days("45") == 45 and retention_days(30, 7) == 7 and retention_days(None, 0) == 0
