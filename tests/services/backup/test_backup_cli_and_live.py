"""`reviewer backup create|verify|restore` from the command line, and a backup taken while the app writes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer.backup import create_backup, restore_backup, verify_backup
from reviewer.cli import main
from reviewer.db import app_session

from backup_kit import fill  # type: ignore[import-not-found]


def _point_at(monkeypatch, app) -> None:
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("REVIEWER_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REVIEWER_POLICY_DIR", app.config["POLICY_DIR"])
    monkeypatch.setenv("REVIEWER_TOXICITY", "none")  # `audit verify` would load the model: seconds, unused here


def test_the_commands_back_up_check_and_restore(fresh_url, build_app, tmp_path, monkeypatch, kind) -> None:
    source = build_app(fresh_url("source"), "source")
    fill(source)
    folder = tmp_path / "backup"
    _point_at(monkeypatch, source)
    made = CliRunner().invoke(main, ["backup", "create", str(folder)])
    assert made.exit_code == 0, made.output
    assert f"to {folder}" in made.output and "Audit anchor " in made.output
    checked = CliRunner().invoke(main, ["backup", "verify", str(folder)])
    assert checked.exit_code == 0 and "Files OK" in checked.output

    refused = CliRunner().invoke(main, ["backup", "restore", str(folder)])  # the source still holds its data
    assert refused.exit_code == 1 and "restore refuses to overwrite it" in refused.output

    target = build_app(fresh_url("target"), "target", migrate=kind == "postgres")
    _point_at(monkeypatch, target)
    restored = CliRunner().invoke(main, ["backup", "restore", str(folder)])
    assert restored.exit_code == 0, restored.output
    assert "Rows: users 2" in restored.output and "Audit chain OK" in restored.output
    verified = CliRunner().invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backup", "restore", "{tmp}/nowhere"], "nowhere: no such folder"),
        (["backup", "verify", "{tmp}/empty"], "manifest.json: not found"),
        (["backup", "verify", "{tmp}/empty", "--key-file", "{tmp}/no.key"], "manifest.json: not found"),
        (["backup", "create", "{tmp}/full"], "exists and is not an empty folder"),
    ],
)
def test_bad_input_is_a_clear_error(app, tmp_path, monkeypatch, args, message) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    _point_at(monkeypatch, app)
    result = CliRunner().invoke(main, [arg.format(tmp=tmp_path) for arg in args])
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_a_backup_taken_while_the_app_writes_is_consistent(fresh_url, build_app, tmp_path, kind) -> None:
    from reviewer.audit import record

    source = build_app(fresh_url("source"), "source")
    fill(source)
    written = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            count = 0
            while not stop.is_set():
                with app_session(source) as session:
                    record(session, None, "test.tick", None, {"n": count})
                    session.commit()
                count += 1
                if count == 20:
                    written.set()
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)
            written.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert written.wait(60)
        folder = tmp_path / "live"
        create_backup(source, folder)
    finally:
        stop.set()
        writer.join(60)
    assert errors == []
    if kind == "sqlite":
        assert any(line.startswith("Audit chain OK") for line in verify_backup(folder).lines)
    target = build_app(fresh_url("target"), "target", migrate=kind == "postgres")
    outcome = restore_backup(target, folder)  # verifies the chain up to the anchor and compares every count
    assert outcome.manifest is not None and outcome.manifest.counts["audit_events"] >= 20
    assert Path(target.instance_path, "audit.key").exists()
