"""Backup and restore on SQLite and PostgreSQL: the round trip, refusals, wrong keys, damaged backups."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from reviewer.audit import AuditEvent, load_key, verify
from reviewer.audit.chain import parse_anchor
from reviewer.backup import BackupError, create_backup, restore_backup, verify_backup
from reviewer.db import alembic_config, app_session
from reviewer.drafting.models import InboundPost

from backup_kit import fill  # type: ignore[import-not-found]

HEAD_REVISION = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _events(app) -> list[AuditEvent]:
    with app_session(app) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _texts(app) -> list[str]:
    with app_session(app) as session:
        return list(session.scalars(select(InboundPost.text).order_by(InboundPost.id)))


@pytest.fixture
def source(fresh_url, build_app):
    app = build_app(fresh_url("source"), "source")
    fill(app)
    return app


def test_round_trip_restores_everything_and_the_chain_verifies(source, fresh_url, build_app, tmp_path, kind) -> None:
    folder = tmp_path / "backups" / "nightly"
    made = create_backup(source, folder)

    manifest = json.loads((folder / "manifest.json").read_text())
    database_file = "database.sqlite3" if kind == "sqlite" else "database.pgdump"
    assert sorted(p.name for p in folder.iterdir()) == sorted(["audit.key", database_file, "manifest.json"])
    assert _mode(folder) == 0o700 and all(_mode(p) == 0o600 for p in folder.iterdir())
    assert manifest["schema_revision"] == HEAD_REVISION and manifest["app_version"]
    assert manifest["counts"]["users"] == 2 and manifest["counts"]["inbound_posts"] == 2
    assert "separate" in manifest["key_storage"] or "apart" in manifest["key_storage"]
    events = _events(source)
    anchor = manifest["audit"]["anchor"]
    # backup.created comes after the snapshot: the backup ends just before it, and it names the backup.
    assert events[-1].action == "backup.created" and anchor == f"{events[-2].seq}:{events[-2].hash}"
    data = json.loads(events[-1].data)
    assert data["anchor"] == anchor and data["manifest_sha256"] == made.manifest_sha256

    target = build_app(fresh_url("target"), "target", migrate=kind == "postgres")  # an empty PostgreSQL is migrated
    restored = restore_backup(target, folder)

    assert _texts(target) == _texts(source)
    assert (Path(target.instance_path) / "audit.key").read_bytes().strip() == (Path(source.instance_path) / "audit.key").read_bytes().strip()
    assert _mode(Path(target.instance_path) / "audit.key") == 0o600
    text = "\n".join(restored.lines)
    assert "Rows: users 2, org_accounts 1, inbound_posts 2" in text and f"Audit chain OK: {anchor.split(':')[0]} events" in text
    with app_session(target) as session:
        assert verify(session, load_key(target.instance_path), parse_anchor(anchor)).ok
    last = _events(target)[-1]
    assert last.action == "backup.restored" and last.seq == restored.event_seq
    assert json.loads(last.data)["manifest_sha256"] == made.manifest_sha256


def test_restore_refuses_a_database_with_data_unless_forced(source, tmp_path) -> None:
    folder = tmp_path / "b"
    create_backup(source, folder)
    with pytest.raises(BackupError, match=r"already holds data \(Rows: users 2.*pass --force"):
        restore_backup(source, folder)
    restore_backup(source, folder, force=True)
    events = _events(source)
    assert events[-1].action == "backup.restored"
    assert events[-2].action != "backup.created"  # the restored trail ends at the anchor, before backup.created
    with app_session(source) as session:
        assert verify(session, load_key(source.instance_path)).ok


def test_a_wrong_key_fails_verification_and_changes_nothing(source, fresh_url, build_app, tmp_path, kind) -> None:
    folder = tmp_path / "b"
    create_backup(source, folder)
    target = build_app(fresh_url("target"), "target")
    other_key = Path(target.instance_path) / "audit.key"  # the target's own key: not the one that signed the trail
    before = other_key.read_bytes()
    with pytest.raises(BackupError, match="the audit chain does not verify with this key"):
        restore_backup(target, folder, key_file=other_key)
    assert other_key.read_bytes() == before  # the key was not replaced
    if kind == "sqlite":
        assert _events(target) == []  # SQLite is checked before the target is touched


def test_damaged_backups_are_detected(source, tmp_path) -> None:
    folder = tmp_path / "b"
    create_backup(source, folder)
    verify_backup(folder)
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    database = next(p for p in damaged.iterdir() if p.name.startswith("database."))
    raw = bytearray(database.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    database.write_bytes(bytes(raw))
    for action in (lambda: verify_backup(damaged), lambda: restore_backup(source, damaged, force=True)):
        with pytest.raises(BackupError, match=r"database\.\w+: sha256 does not match the manifest"):
            action()

    (damaged / "manifest.json").write_text('{"format": "reviewer-backup", ')
    with pytest.raises(BackupError, match=r"manifest.json:1:\d+: not valid JSON"):
        verify_backup(damaged)
    (damaged / "manifest.json").unlink()
    with pytest.raises(BackupError, match="manifest.json: not found"):
        verify_backup(damaged)
    with pytest.raises(BackupError, match="no such folder"):
        verify_backup(tmp_path / "nowhere")
    with pytest.raises(BackupError, match="exists and is not an empty folder"):
        create_backup(source, folder)


def test_a_key_kept_apart_is_given_back_with_key_file(source, tmp_path, fresh_url, build_app, kind) -> None:
    folder = tmp_path / "b"
    create_backup(source, folder)
    vault = tmp_path / "vault.key"
    shutil.move(folder / "audit.key", vault)
    with pytest.raises(BackupError, match=r"audit.key: missing: the manifest lists it \(keep the key apart\? pass --key-file"):
        verify_backup(folder)
    assert any(line.startswith("Files OK") for line in verify_backup(folder, key_file=vault).lines)
    target = build_app(fresh_url("target"), "target", migrate=kind == "postgres")
    restore_backup(target, folder, key_file=vault)
    assert load_key(target.instance_path) == load_key(source.instance_path)


def test_verify_reports_what_it_checked(source, tmp_path, kind) -> None:
    folder = tmp_path / "b"
    create_backup(source, folder)
    text = "\n".join(verify_backup(folder).lines)
    assert "Files OK: 2 files match manifest.json" in text
    if kind == "sqlite":
        assert "Audit chain OK" in text
    else:
        assert "Archive OK: pg_restore reads" in text


def test_a_backup_from_an_older_schema_restores_and_asks_for_an_upgrade(source, fresh_url, build_app, tmp_path, kind) -> None:
    from alembic import command

    from reviewer.db import alembic_config, get_database, upgrade

    with get_database(source).engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007_retention")
    folder = tmp_path / "old"
    made = create_backup(source, folder)
    assert made.manifest.schema_revision == "0007_retention" and made.event_seq is None  # no signed head before 0010
    assert any("Not recorded in the audit trail: the schema is older than 0010" in line for line in made.lines)
    target = build_app(fresh_url("target"), "target", migrate=False)
    restored = restore_backup(target, folder)
    assert "The schema is at 0007_retention, older than this version's: run `reviewer db upgrade`" in restored.lines
    assert restored.event_seq is None
    upgrade(target)
    with app_session(target) as session:
        assert verify(session, load_key(target.instance_path), parse_anchor(made.manifest.anchor)).ok

