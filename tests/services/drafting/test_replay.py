"""Policy replay: a candidate policy over the stored drafts, compared with what was decided."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fixtures_workflow import BLOCKED_TEXT, CLEAN_TEXT, REVIEW_TEXT
from reviewer.drafting.replay import replay
from reviewer.drafting.services import create_draft
from reviewer.policy import load_policy

STRICT = """\
id: strict
version: "2"
rules:
  - {id: words.light, kind: lexicon, severity: low, action: review, route: comms, message: m, source: s, terms: [light]}
  - {id: words.promise, kind: lexicon, severity: low, action: note, message: m, source: s, terms: [promise]}
"""


def stored_drafts(db_session, make_account, make_user, checker):
    account = make_account()
    staff = make_user(roles=["staff"])
    drafts = [create_draft(db_session, staff, checker, account, text) for text in (CLEAN_TEXT, REVIEW_TEXT, BLOCKED_TEXT)]
    db_session.commit()
    return account, drafts


def test_replay_counts_decisions_and_rules_and_lists_the_changes(db_session, make_account, make_user, checker,
                                                                   tmp_path: Path) -> None:
    account, (clean, review, blocked) = stored_drafts(db_session, make_account, make_user, checker)
    (tmp_path / "strict.yaml").write_text(STRICT, encoding="utf-8")
    result = replay(db_session, load_policy(tmp_path / "strict.yaml"))
    assert result.drafts == 3
    assert dict(result.decisions_before) == {"pass": 1, "review": 1, "block": 1}
    assert dict(result.decisions_after) == {"review": 1, "pass": 2}
    assert result.rules_after["words.light"] == 1 and result.rules_before["pii.public"] == 1
    assert "words.promise" not in result.rules_after  # notes are not counted
    changes = {c.draft_id: (c.before, c.after) for c in result.changes}
    assert changes == {clean.id: ("pass", "review"), review.id: ("review", "pass"), blocked.id: ("block", "pass")}
    data = result.as_dict()
    assert data["decisions"]["block"] == {"before": 1, "after": 0}
    assert {c["draft_id"] for c in data["changed"]} == set(changes)
    assert "Drafts whose decision changes: 3" in result.describe()
    assert replay(db_session, load_policy(tmp_path / "strict.yaml"), account_id=account.id + 1000).drafts == 0


def test_replaying_the_same_policy_changes_nothing(db_session, make_account, make_user, checker) -> None:
    account, _ = stored_drafts(db_session, make_account, make_user, checker)
    same = checker.policy_for(account)
    result = replay(db_session, same)
    assert result.drafts == 3 and result.changes == []


def test_the_command_prints_json_and_refuses_a_bad_date(app, db_session, make_account, make_user, checker,
                                                          tmp_path: Path, monkeypatch) -> None:
    stored_drafts(db_session, make_account, make_user, checker)
    (tmp_path / "strict.yaml").write_text(STRICT, encoding="utf-8")
    for key in ("INSTANCE_PATH", "DATABASE_URL", "SECRET_KEY"):
        monkeypatch.setenv(f"REVIEWER_{key}", str(app.config[key]))
    from reviewer.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["policy", "replay", "--policy", str(tmp_path / "strict.yaml"), "--format", "json",
                                  "--scorer", "none"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["drafts"] == 3 and len(data["changed"]) == 3 and data["policy"]["id"] == "strict"
    bad = runner.invoke(main, ["policy", "replay", "--policy", str(tmp_path / "strict.yaml"), "--since", "yesterday"])
    assert bad.exit_code == 3 and "--since: 'yesterday' is not a date" in bad.output
