"""`reviewer retention purge` from the command line, and migration 0007 down and up again."""

from __future__ import annotations

import json

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import inspect, select

from reviewer.cli import main
from reviewer.db import alembic_config, get_database


@pytest.fixture
def cli_env(app, monkeypatch):
    """Point the command's own app at this test's database and instance folder (same audit key)."""
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("REVIEWER_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REVIEWER_POLICY_DIR", app.config["POLICY_DIR"])
    monkeypatch.delenv("REVIEWER_RETENTION_DRAFT_TEXT_DAYS", raising=False)
    return app


def test_without_a_setting_the_command_says_texts_are_kept(cli_env) -> None:
    result = CliRunner().invoke(main, ["retention", "purge"])
    assert result.exit_code == 2 and "is not set, so texts are kept forever" in result.output
    assert "Traceback" not in result.output


def test_bad_days_are_a_usage_error(cli_env, monkeypatch) -> None:
    assert "-3 is not in the range x>=0" in CliRunner().invoke(main, ["retention", "purge", "--days", "-3"]).output
    monkeypatch.setenv("REVIEWER_RETENTION_DRAFT_TEXT_DAYS", "-4")
    result = CliRunner().invoke(main, ["retention", "purge"])
    assert result.exit_code == 2 and "must be a whole number of days (0 or more), got -4" in result.output
    monkeypatch.setenv("REVIEWER_RETENTION_DRAFT_TEXT_DAYS", '"a month"')  # refused at start-up, or by the command
    result = CliRunner().invoke(main, ["retention", "purge"])
    assert result.exit_code in (1, 2) and "RETENTION_DRAFT_TEXT_DAYS" in result.output and "a month" in result.output
    assert "Traceback" not in result.output


def test_the_command_purges_audits_and_dry_runs(cli_env, make_draft, db_session, monkeypatch) -> None:
    from reviewer.audit import AuditEvent
    from reviewer.retention import is_marker

    draft = make_draft("rejected")
    monkeypatch.setenv("REVIEWER_RETENTION_DRAFT_TEXT_DAYS", "30")
    kept = CliRunner().invoke(main, ["retention", "purge"])  # finished just now: 30 days to go
    assert kept.exit_code == 0 and "Removed the texts of 0 drafts" in kept.output
    dry = CliRunner().invoke(main, ["retention", "purge", "--days", "0", "--dry-run"])
    assert dry.exit_code == 0 and "Would remove the texts of 1 drafts (1 versions, 1 comments)" in dry.output
    done = CliRunner().invoke(main, ["retention", "purge", "--days", "0"])
    assert done.exit_code == 0 and "Removed the texts of 1 drafts (1 versions, 1 comments)" in done.output
    db_session.rollback()
    db_session.expire_all()
    assert is_marker(db_session.get(type(draft), draft.id).versions[0].text)
    runs = [json.loads(e.data) for e in db_session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purged"))]
    assert [(run["days"], run["drafts"]) for run in runs] == [(30, 0), (0, 1)]  # the dry run recorded nothing
    verified = CliRunner().invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK: ")


def test_0007_goes_down_and_up_again(app) -> None:
    engine = get_database(app).engine

    def columns(table: str) -> set[str]:
        return {column["name"] for column in inspect(engine).get_columns(table)}

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0006_audit_refs")
    assert "text_purged_at" not in columns("draft_versions") | columns("inbound_posts")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert "text_purged_at" in columns("draft_versions") and "text_purged_at" in columns("inbound_posts")
