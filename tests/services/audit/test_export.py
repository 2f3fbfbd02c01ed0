"""Evidence exports: JSON Lines verifiable offline (with and without the key), CSV safe for spreadsheets,
streamed in batches, audited; and the `reviewer audit export` / `verify --file` commands."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.audit import AuditEvent, record, verify
from reviewer.audit import export as exports
from reviewer.audit.browse import iter_range
from reviewer.audit.chain import GENESIS_HASH
from reviewer.audit.offline import EXPORT_FIELDS, check_export
from reviewer.cli import main

TRICKY = 'Kia ora, Māori macrons, "quotes", a \\ backslash, </script>, a tab\t, 😀 and \u2028'


@pytest.fixture
def trail(session: Session, alice) -> Session:
    mallory = SimpleNamespace(id=9, username="=HYPERLINK(\"http://evil\")")
    record(session, alice, "draft.created", "draft:1", {"account_id": 3, "text": TRICKY})
    record(session, mallory, "draft.checked", "-2+3", {"decision": "block", "rules": ["pii.phone"]})
    for n in range(3, 8):
        record(session, alice, "test.event", f"@thing:{n}", {"n": n})
    session.commit()
    return session


def export_text(session: Session, fmt: str = "jsonl", since=None, until=None) -> str:
    span = exports.resolve_range(session, since, until)
    return "".join(exports.lines(fmt, iter_range(session, span.low, span.high)))


def test_jsonl_holds_every_field_exactly_as_stored_and_hashed(trail: Session, key: bytes) -> None:
    lines = export_text(trail).splitlines()
    assert len(lines) == 7
    rows = trail.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    for line, row in zip(lines, rows, strict=True):
        event = json.loads(line)
        assert list(event) == list(EXPORT_FIELDS)
        assert (event["seq"], event["hash"], event["mac"], event["prev_hash"]) == (row.seq, row.hash, row.mac, row.prev_hash)
        assert event["data"] == row.data  # the canonical JSON text, as hashed
    assert json.loads(json.loads(lines[0])["data"])["text"] == TRICKY
    result = check_export(lines, key)
    assert (result.ok, result.count, result.keyed, result.head) == (True, 7, True, (7, rows[-1].hash))
    assert result.first == (1, GENESIS_HASH)
    assert verify(trail, key).head == result.head


def test_without_the_key_only_hashes_and_links_are_checked_and_it_says_so(trail: Session) -> None:
    result = check_export(export_text(trail).splitlines(), None)
    assert result.ok and not result.keyed
    assert "HMACs were NOT checked" in result.describe()


def _tamper(lines: list[str], index: int, **changes) -> list[str]:
    event = json.loads(lines[index])
    event.update(changes)
    return [*lines[:index], json.dumps(event, ensure_ascii=False, separators=(",", ":")), *lines[index + 1:]]


def test_any_change_is_caught_at_its_line(trail: Session, key: bytes) -> None:
    lines = export_text(trail).splitlines()
    cases = {
        "content": (_tamper(lines, 2, data='{"n":4}'), 3, "hash mismatch"),
        "a line removed": ([*lines[:3], *lines[4:]], 4, "does not follow event 3"),
        "reordered": ([lines[1], lines[0], *lines[2:]], 2, "does not follow"),
        "rehashed by a forger": (_rehash(lines, 4, actor_name="bob"), 5, "HMAC mismatch"),
        "not JSON": ([*lines[:1], "{oops", *lines[2:]], 2, "not JSON"),
        "a field dropped": ([*lines[:5], json.dumps({k: v for k, v in json.loads(lines[5]).items() if k != "mac"})], 6, "fields missing"),
    }
    for name, (changed, line, why) in cases.items():
        result = check_export(changed, key)
        assert not result.ok and result.bad_line == line and why in result.reason, (name, result)
    assert not check_export(lines, b"w" * 32).ok  # another trail's key
    # Without the key a forger's rehash passes the hash check, but the broken link still shows.
    assert "prev_hash does not match" in check_export(_rehash(lines, 4, actor_name="bob"), None).reason


def _rehash(lines: list[str], index: int, **changes) -> list[str]:
    from reviewer.audit.chain import CONTENT_FIELDS, hash_content

    changed = _tamper(lines, index, **changes)
    event = json.loads(changed[index])
    event["hash"] = hash_content({name: event[name] for name in CONTENT_FIELDS})
    return [*changed[:index], json.dumps(event, ensure_ascii=False), *changed[index + 1:]]


def test_an_export_of_a_period_links_to_the_event_before_it_and_holds_an_anchor(trail: Session, key: bytes) -> None:
    span = exports.ExportRange(None, None, 3, 6)
    lines = "".join(exports.lines("jsonl", iter_range(trail, 3, 6))).splitlines()
    second = trail.get(AuditEvent, 2)
    result = check_export(lines, key, anchor=(6, trail.get(AuditEvent, 6).hash))
    assert result.ok and result.first == (3, second.hash) and span.count == 4
    assert f"links to the hash of event 2: {second.hash}" in result.describe()
    missing = check_export(lines, key, anchor=(7, trail.get(AuditEvent, 7).hash))
    assert not missing.ok and "is not in this file" in missing.reason


def test_csv_defuses_formulas_and_reads_back(trail: Session) -> None:
    text = export_text(trail, "csv")
    assert text.startswith("\ufeffseq,occurred_at,")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 7
    assert rows[1]["actor_name"] == "'=HYPERLINK(\"http://evil\")" and rows[1]["subject"] == "'-2+3"
    assert rows[2]["subject"] == "'@thing:3"
    assert json.loads(rows[0]["data"])["text"] == TRICKY
    assert rows[0]["actor_id"] == "7" and rows[0]["subject"] == "draft:1"
    for cell in ("=1", "+1", "-1", "@x", "\tx", "\rx"):
        assert exports.safe_cell(cell) == "'" + cell
    assert exports.safe_cell("plain") == "plain" and exports.safe_cell(None) == "" and exports.safe_cell(-1) == -1


def test_the_stream_reads_in_batches_through_its_own_session(trail: Session, sessions, engine) -> None:
    span = exports.resolve_range(trail, None, None)
    trail.commit()
    opened = []

    def open_session() -> Session:  # read-only, like the app's (no SQLite write lock)
        opened.append(sessions(bind=engine.execution_options(sqlite_begin="DEFERRED")))
        return opened[-1]

    chunks = exports.stream(open_session, "jsonl", span, batch=2)
    assert opened == []  # nothing read until the response is sent
    first = next(chunks)
    assert isinstance(first, bytes) and json.loads(first)["seq"] == 1
    rest = list(chunks)
    assert len(rest) == 6 and not opened[0].in_transaction()  # closed at the end


def test_an_export_is_audited_with_its_range(trail: Session) -> None:
    span = exports.resolve_range(trail, None, None)
    exports.record_export(trail, None, "csv", span, via="cli")
    trail.commit()
    last = trail.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    assert last.action == "audit.exported"
    assert json.loads(last.data) == {"count": 7, "first_seq": 1, "format": "csv", "from": None, "last_seq": 7, "to": None, "via": "cli"}
    with pytest.raises(exports.ExportError, match="no audit events fall in that period"):
        exports.resolve_range(trail, last.occurred_at.replace(year=2099), None)
    with pytest.raises(exports.ExportError, match="not one of jsonl, csv"):
        exports.check_format("xlsx")


# --- The commands ---------------------------------------------------------------------------


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("REVIEWER_DATABASE_URL", f"sqlite:///{tmp_path / 'reviewer.sqlite3'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_export_then_verify_the_file_offline(app_env: Path) -> None:
    from reviewer import create_app
    from reviewer.db import app_session, get_database

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    app = create_app()
    with app_session(app) as session:
        for n in range(4):
            record(session, None, "test.event", f"draft:{n}", {"text": TRICKY})
        session.commit()
    get_database(app).engine.dispose()

    result = runner.invoke(main, ["audit", "export", "--from", "2020-01-01", "--to", "2099-12-31", "--out", "trail.jsonl"])
    assert result.exit_code == 0, result.output
    assert "Wrote 4 events (seq 1..4) to trail.jsonl" in result.output
    key_file = str(app_env / "instance" / "audit.key")
    checked = runner.invoke(main, ["audit", "verify", "--file", "trail.jsonl", "--key-file", key_file])
    assert checked.exit_code == 0 and checked.output.startswith("OK: 4 events, seq 1..4, head 4:"), checked.output
    assert "HMACs checked with the key" in checked.output
    unkeyed = runner.invoke(main, ["audit", "verify", "--file", "trail.jsonl"])
    assert unkeyed.exit_code == 0 and "HMACs were NOT checked" in unkeyed.output

    lines = Path("trail.jsonl").read_text(encoding="utf-8").splitlines()
    Path("cut.jsonl").write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    cut = runner.invoke(main, ["audit", "verify", "--file", "cut.jsonl", "--key-file", key_file])
    assert cut.exit_code == 1 and cut.output.startswith("FAILED at line 2: event 3 does not follow event 1")

    csv_result = runner.invoke(main, ["audit", "export", "--format", "csv", "--out", "trail.csv"])
    assert csv_result.exit_code == 0 and "Wrote 5 events (seq 1..5)" in csv_result.output  # + the first export's event
    with app_session(create_app()) as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-2:] == ["audit.exported", "audit.exported"]


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["audit", "export", "--from", "soon", "--out", "x"], "Invalid value for '--from'"),
        (["audit", "export", "--from", "0001-01-01T00:00:00+14:00", "--out", "x"], "out of range"),
        (["audit", "export", "--to", "9999-12-31", "--out", "x"], "out of range"),
        (["audit", "export", "--from", "2026-11-05", "--to", "2026-11-01", "--out", "x"], "must be after --from"),
        (["audit", "export", "--format", "xml", "--out", "x"], "Invalid value for '--format'"),
        (["audit", "verify", "--file", "missing.jsonl"], "does not exist"),
        (["audit", "verify", "--key-file", "missing.key"], "does not exist"),
    ],
)
def test_usage_errors_say_what_is_wrong(app_env: Path, args: list[str], why: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and why in result.output and "Traceback" not in result.output


def test_verify_file_errors_are_clear(app_env: Path) -> None:
    runner = CliRunner()
    Path("bin.jsonl").write_bytes(b"\xff\xfe{}\n")
    result = runner.invoke(main, ["audit", "verify", "--file", "bin.jsonl"])
    assert result.exit_code == 1 and "not UTF-8 text" in result.output
    Path("e.jsonl").write_text("", encoding="utf-8")
    Path("bad.key").write_text("short\n", encoding="ascii")
    result = runner.invoke(main, ["audit", "verify", "--file", "e.jsonl", "--key-file", "bad.key"])
    assert result.exit_code == 1 and "malformed audit key" in result.output and "Traceback" not in result.output
    Path("k.key").write_text("ab" * 32, encoding="ascii")
    result = runner.invoke(main, ["audit", "verify", "--key-file", "k.key"])
    assert result.exit_code == 2 and "--key-file goes with --file" in result.output
