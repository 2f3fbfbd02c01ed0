"""`reviewer audit verify`: OK with the head, FAILED naming the event, usage errors for bad anchors."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session

from reviewer.audit import AuditEvent, AuditHead, record, triggers
from reviewer.audit.models import AuditRef
from reviewer.cli import main
from reviewer.cli.audit import verify_command
from reviewer.orm import Base


@pytest.fixture
def session(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    Base.metadata.create_all(engine, tables=[AuditEvent.__table__, AuditHead.__table__, AuditRef.__table__])
    with Session(engine, info={"audit_key": secrets.token_bytes(32)}) as session:
        yield session
    engine.dispose()


def tamper(session: Session, seq: int, **values) -> None:
    connection = session.connection()
    triggers.uninstall(connection)
    connection.execute(update(AuditEvent.__table__).where(AuditEvent.seq == seq).values(**values))
    triggers.install(connection)
    session.commit()


def test_verify_command_reports_ok_with_the_head_then_the_bad_event(session: Session) -> None:
    key = session.info["audit_key"]
    assert verify_command(session, key, None) == ("OK: 0 events, head none (the chain is empty)", 0)
    events = [record(session, None, "test.event", f"thing:{n}", {"n": n}) for n in range(1, 6)]
    session.commit()
    assert verify_command(session, key, None) == (f"OK: 5 events, head 5:{events[-1].hash}", 0)
    tamper(session, 3, subject="thing:33")
    assert verify_command(session, key, None) == ("FAILED at event 3: hash mismatch: content changed", 1)
    assert verify_command(session, key, (5, events[-1].hash))[1] == 1


def test_a_wrong_key_gets_a_hint(session: Session) -> None:
    record(session, None, "test.event", None)
    session.commit()
    message, status = verify_command(session, b"x" * 32, None)
    assert status == 1
    assert message.splitlines() == [
        "FAILED at event 1: HMAC mismatch",
        "hint: if every event fails its HMAC, instance/audit.key is not the key that signed this chain",
    ]


@pytest.mark.parametrize(
    ("anchor", "why"),
    [
        ("120", "must look like SEQ:HASH"),
        ("x:" + "a" * 64, "SEQ must be a whole number"),
        ("²:" + "a" * 64, "SEQ must be a whole number"),  # isdigit() but not int(): a ValueError's text before
        ("1²:" + "a" * 64, "SEQ must be a whole number"),
        ("٣:" + "a" * 64, "SEQ must be a whole number"),  # int() took Arabic-Indic digits
        (f"{2**63}:" + "a" * 64, "SEQ must be a whole number"),
        ("120:ab12", "HASH must be the full 64 hex characters"),
    ],
)
def test_a_malformed_anchor_is_a_usage_error(anchor: str, why: str) -> None:
    result = CliRunner().invoke(main, ["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 2
    assert "Invalid value for '--anchor'" in result.output and why in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh instance folder and SQLite database for the real `reviewer` command."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("REVIEWER_DATABASE_URL", f"sqlite:///{tmp_path / 'reviewer.sqlite3'}")
    return instance


def test_the_command_end_to_end(app_env: Path) -> None:
    from reviewer import create_app
    from reviewer.db import app_session, get_database

    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output

    app = create_app()
    with app_session(app) as session:
        events = [record(session, None, "test.event", None, {"n": n}) for n in range(4)]
        head = f"4:{events[-1].hash}"
        session.commit()

    result = runner.invoke(main, ["audit", "verify"])
    assert (result.exit_code, result.output) == (0, f"OK: 4 events, head {head}\n")
    result = runner.invoke(main, ["audit", "verify", "--anchor", head])
    assert (result.exit_code, result.output) == (0, f"OK: 4 events, head {head}\n")

    with app_session(app) as session:
        tamper(session, 2, data='{"n":100}')
    get_database(app).engine.dispose()
    result = runner.invoke(main, ["audit", "verify"])
    assert (result.exit_code, result.output) == (1, "FAILED at event 2: hash mismatch: content changed\n")


def test_a_missing_database_schema_is_a_clear_error(app_env: Path) -> None:
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "reviewer db upgrade" in result.output and "Traceback" not in result.output


# --- anchors: signed heads kept outside the database -------------------------


def _cut_tail_and_put_back(app, keep: int, saved_head) -> None:
    """The attack an anchor is for: triggers dropped, events after `keep` deleted, a head row saved earlier put back."""
    from sqlalchemy import delete

    from reviewer.db import get_database

    with get_database(app).engine.begin() as connection:
        triggers.uninstall(connection)
        connection.execute(delete(AuditEvent.__table__).where(AuditEvent.seq > keep))
        connection.execute(update(AuditHead.__table__).values(**saved_head._asdict()))
        triggers.install(connection)
    get_database(app).engine.dispose()


def test_anchor_writes_signed_heads_and_verify_anchors_catches_a_replayed_head(app_env: Path, tmp_path: Path) -> None:
    import json
    import os

    from sqlalchemy import select

    from reviewer import create_app
    from reviewer.db import app_session

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    app = create_app()
    anchors = tmp_path / "offsite" / "anchors.jsonl"
    anchors.parent.mkdir()
    with app_session(app) as session:
        for n in range(4):
            record(session, None, "test.event", None, {"n": n})
        session.commit()
        saved = session.execute(select(AuditHead.__table__).where(AuditHead.id == 1)).one()  # a copy of the head at 4
    first = runner.invoke(main, ["audit", "anchor", "--out", str(anchors)])
    assert first.exit_code == 0, first.output
    assert (os.stat(anchors).st_mode & 0o777) == 0o600
    with app_session(app) as session:
        last = [record(session, None, "test.event", None, {"n": n}) for n in range(4, 6)][-1]
        session.commit()
    assert runner.invoke(main, ["audit", "anchor", "--out", str(anchors)]).exit_code == 0
    lines = [json.loads(line) for line in anchors.read_text().splitlines()]
    assert [(line["seq"], line["hash"]) for line in lines] == [(4, saved.hash), (6, last.hash)]
    assert json.loads(first.output) == lines[0]  # printed too
    assert runner.invoke(main, ["audit", "verify", "--anchors", str(anchors)]).output == f"OK: 6 events, head 6:{last.hash}\n"

    _cut_tail_and_put_back(app, 4, saved)
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0  # a genuine old head row: only an anchor tells
    result = runner.invoke(main, ["audit", "verify", "--anchors", str(anchors)])
    assert (result.exit_code, result.output) == (
        1, f"FAILED at event 6: anchor 6:{last.hash[:8]}.. not found: the chain was cut or rewritten\n"
    )
    refused = runner.invoke(main, ["audit", "anchor", "--out", str(anchors)])
    assert refused.exit_code == 1 and "FAILED at event 6" in refused.output
    assert len(anchors.read_text().splitlines()) == 2  # nothing written over a failed check


def test_an_edited_anchors_file_is_refused_naming_the_line(app_env: Path, tmp_path: Path) -> None:
    import json

    from reviewer import create_app
    from reviewer.db import app_session

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    with app_session(create_app()) as session:
        events = [record(session, None, "test.event", None, {"n": n}) for n in range(3)]
        session.commit()
    anchors = tmp_path / "anchors.jsonl"
    assert runner.invoke(main, ["audit", "anchor", "--out", str(anchors)]).exit_code == 0
    line = json.loads(anchors.read_text())
    line.update(seq=2, hash=events[1].hash)  # someone moves the anchor back to hide a cut
    anchors.write_text("\n" + json.dumps(line) + "\n")
    result = runner.invoke(main, ["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 1
    assert f"FAILED: {anchors}:2: the anchor 2:{events[1].hash[:8]}.. has a wrong MAC" in result.output
    anchors.write_text("not json\n")
    result = runner.invoke(main, ["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 1 and f"{anchors}:1: not an anchor line" in result.output
    assert "Traceback" not in result.output


def test_anchor_sends_the_signed_head_to_syslog(app_env: Path) -> None:
    import socket

    from reviewer import create_app
    from reviewer.db import app_session

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["audit", "anchor"]).output == "Nothing to anchor: the chain is empty.\n"
    with app_session(create_app()) as session:
        event = record(session, None, "test.event", None)
        session.commit()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(10)
        port = server.getsockname()[1]
        result = runner.invoke(main, ["audit", "anchor", "--syslog", "--syslog-address", f"127.0.0.1:{port}"])
        assert result.exit_code == 0, result.output
        message = server.recv(65536).decode()
    assert message.startswith("<38>reviewer-audit-anchor: ")  # facility auth (4) * 8 + info (6)
    assert f'"hash":"{event.hash}"' in message and '"seq":1' in message
