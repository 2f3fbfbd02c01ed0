"""Create, check and restore a backup folder: the database, audit.key, and manifest.json.

`create_backup` snapshots the database (consistent while the app runs),
copies the audit key, notes the chain's head as an anchor and writes the
manifest last; then it records `backup.created` in the live trail. After
the snapshot, on purpose: the event names the finished backup (its
manifest's sha256 and anchor), so the trail never claims a backup that
failed half-way, and a restored trail proves which backup it came from by
the anchor it ends at.

`restore_backup` checks every sha256, refuses to overwrite a database that
has data unless forced, puts the database and the key back, verifies the
restored chain with that key up to the manifest's anchor, compares the row
counts, and records `backup.restored` in the restored trail.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.orm import Session

from reviewer.audit import record, verify
from reviewer.audit.chain import AuditError, VerifyResult, parse_anchor
from reviewer.audit.keys import KEY_FILENAME, load_key, read_key_file
from reviewer.backup import manifest as manifests
from reviewer.backup import postgres_store, sqlite_store
from reviewer.backup.facts import Facts, has_data, read_facts
from reviewer.backup.manifest import KEY_FILE, BackupError, Manifest
from reviewer.db import alembic_config, display_url, get_database


@dataclass
class Outcome:
    """What a command did, as lines to print, plus the facts a caller (or test) checks."""

    lines: list[str] = field(default_factory=list)
    manifest: Manifest | None = None
    manifest_sha256: str | None = None
    event_seq: int | None = None


# --- create ---------------------------------------------------------------------------------------


def create_backup(app: Any, destination: Path, *, pg_bin: Path | None = None, actor: Any = None) -> Outcome:
    """Back up the app's database and audit key into the new (or empty) folder `destination`."""
    database = get_database(app)
    try:
        key_text = _key_file_bytes(Path(app.instance_path) / KEY_FILENAME)
        key = load_key(app.instance_path)
    except AuditError as exc:
        raise BackupError(str(exc)) from None
    folder = _new_folder(destination)
    try:
        facts, database_facts = _snapshot(app, database.engine, folder, pg_bin)
        _write_private(folder / KEY_FILE, key_text)
        names = (database_facts["file"], KEY_FILE)
        made = Manifest(
            created_at=_now_text(),
            app_version=_app_version(),
            database={**database_facts, "source": display_url(app)},
            schema_revision=facts.revision,
            anchor=facts.anchor,
            counts=facts.counts,
            files={name: manifests.describe_file(folder / name) for name in names},
        )
        sha = manifests.write(folder, made)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # never leave a half-made backup that looks usable
        raise
    outcome = Outcome(manifest=made, manifest_sha256=sha)
    outcome.lines.append(f"Backed up {display_url(app)} ({made.kind}, schema {facts.revision}) to {folder}")
    outcome.lines.append(_counts_line(facts.counts))
    outcome.lines.append(f"Audit anchor {facts.anchor or 'none (no events yet)'}; manifest sha256 {sha}")
    data = {
        "database": made.kind, "folder": str(folder), "schema_revision": facts.revision, "anchor": facts.anchor,
        "events": facts.counts.get("audit_events", 0), "manifest_sha256": sha,
    }
    outcome.event_seq = _record(database.engine, key, actor, "backup.created", data)
    if outcome.event_seq is None:
        outcome.lines.append("Not recorded in the audit trail: the schema is older than 0010; run `reviewer db upgrade`")
    outcome.lines.append(f"Keep {folder / KEY_FILE} secret (mode 0600); see key_storage in manifest.json")
    return outcome


def _snapshot(app: Any, engine: Engine, folder: Path, pg_bin: Path | None) -> tuple[Facts, dict[str, Any]]:
    url = engine.url
    kind = url.get_backend_name()
    if kind == "sqlite":
        name = manifests.DATABASE_FILES["sqlite"]
        busy = float(app.config.get("SQLITE_BUSY_TIMEOUT_SECONDS") or 10)
        sqlite_store.snapshot(sqlite_store.database_path(url), folder / name, busy)
        return _facts_of_copy(folder / name), {"kind": "sqlite", "file": name}
    if kind == "postgresql":
        name = manifests.DATABASE_FILES["postgresql"]
        with engine.connect() as connection:
            major, server = postgres_store.server_version(connection)
        pg_dump = postgres_store.find_tool("pg_dump", major, pg_bin)
        dump_major, dump_version = postgres_store.tool_version(pg_dump)
        if dump_major < major:
            raise BackupError(
                f"{pg_dump} is version {dump_version} but the server is PostgreSQL {server}: pg_dump cannot dump "
                f"a newer server; pass --pg-bin with PostgreSQL {major}'s client tools"
            )
        with postgres_store.exported_snapshot(engine) as (connection, snapshot):
            facts = read_facts(connection)
            postgres_store.dump(pg_dump, url, snapshot, folder / name)
        return facts, {"kind": "postgresql", "file": name, "server_version": server, "pg_dump_version": dump_version}
    raise BackupError(f"DATABASE_URL uses {kind!r}: backups support SQLite and PostgreSQL")


def _new_folder(destination: Path) -> Path:
    folder = Path(destination).resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder}: exists and is not an empty folder: give a new folder (a backup never overwrites another)")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise BackupError(f"{folder}: cannot create the backup folder ({exc.strerror})") from None
    return folder


# --- verify ---------------------------------------------------------------------------------------


def verify_backup(folder: Path, *, key_file: Path | None = None, pg_bin: Path | None = None) -> Outcome:
    """Check a backup without restoring it: every sha256; for SQLite also integrity, counts and the chain."""
    folder = Path(folder).resolve()
    made, sha = manifests.read(folder)
    manifests.check_files(folder, made, skip=(KEY_FILE,) if key_file else ())
    key = _backup_key(folder, key_file)
    outcome = Outcome(manifest=made, manifest_sha256=sha)
    outcome.lines.append(f"Files OK: {len(made.files)} files match manifest.json (sha256 {sha})")
    database_file = folder / made.database_file
    if made.kind == "sqlite":
        sqlite_store.check_integrity(database_file)
        facts = _facts_of_copy(database_file)
        _check_facts(facts, made, "the backup")
        outcome.lines.append(_verified_chain_line(_verify_copy(database_file, key, made)))
        outcome.lines.append(_counts_line(facts.counts))
    else:
        dump_major = int(str(made.database.get("pg_dump_version", "0")).split(".")[0])
        pg_restore = postgres_store.find_tool("pg_restore", dump_major or 15, pg_bin)
        _check_restore_tool(pg_restore, made)
        entries = postgres_store.check_archive(pg_restore, database_file)
        outcome.lines.append(f"Archive OK: pg_restore reads {entries} entries; the chain is verified when it is restored")
        outcome.lines.append(_counts_line(made.counts) + " (as the manifest records)")
    return outcome


# --- restore --------------------------------------------------------------------------------------


def restore_backup(
    app: Any, folder: Path, *, force: bool = False, key_file: Path | None = None, pg_bin: Path | None = None
) -> Outcome:
    """Restore `folder` into the app's database and instance folder (stop the app first)."""
    folder = Path(folder).resolve()
    made, sha = manifests.read(folder)
    manifests.check_files(folder, made, skip=(KEY_FILE,) if key_file else ())
    key = _backup_key(folder, key_file)
    heads, known = _revisions()
    if made.schema_revision is not None and made.schema_revision not in known:
        raise BackupError(
            f"the backup's schema revision {made.schema_revision!r} is unknown to this version of reviewer: "
            "it was made by a newer version; restore it with that version"
        )
    database = get_database(app)
    engine = database.engine
    kind = engine.url.get_backend_name()
    if kind != made.kind:
        raise BackupError(f"the backup holds a {made.kind} database but DATABASE_URL is {kind}: restore into a {made.kind} database")
    _refuse_to_overwrite(engine, force, display_url(app))
    outcome = Outcome(manifest=made, manifest_sha256=sha)
    database_file = folder / made.database_file
    if kind == "sqlite":
        sqlite_store.check_integrity(database_file)
        _verify_copy(database_file, key, made)  # before touching the target: a wrong key changes nothing
        engine.dispose()
        busy = float(app.config.get("SQLITE_BUSY_TIMEOUT_SECONDS") or 10)
        sqlite_store.restore(database_file, sqlite_store.database_path(engine.url), busy)
    else:
        with engine.connect() as connection:
            major, _ = postgres_store.server_version(connection)
        pg_restore = postgres_store.find_tool("pg_restore", major, pg_bin)
        _check_restore_tool(pg_restore, made)
        engine.dispose()
        postgres_store.restore(pg_restore, engine.url, database_file)
    result = _verify_restored(engine, key, made)
    with engine.connect() as connection:
        facts = read_facts(connection)
    _check_facts(facts, made, "the restored database")
    replaced = _install_key(Path(app.instance_path), key)
    outcome.lines.append(f"Restored {folder} ({made.kind}, made {made.created_at}) into {display_url(app)}")
    outcome.lines.append(_counts_line(facts.counts))
    outcome.lines.append(_verified_chain_line(result))
    outcome.lines.append(f"Audit key put back at {Path(app.instance_path) / KEY_FILENAME}")
    if replaced:
        outcome.lines.append(f"The key that was there is kept as {replaced}")
    data = {"folder": str(folder), "manifest_sha256": sha, "backup_created_at": made.created_at, "anchor": made.anchor}
    outcome.event_seq = _record(engine, key, None, "backup.restored", data)
    if outcome.event_seq is None:
        outcome.lines.append("Not recorded in the audit trail: the schema is older than 0010")
    if made.schema_revision not in heads:
        outcome.lines.append(f"The schema is at {made.schema_revision}, older than this version's: run `reviewer db upgrade`")
    return outcome


def _refuse_to_overwrite(engine: Engine, force: bool, where: str) -> None:
    if engine.url.get_backend_name() == "sqlite" and not sqlite_store.database_path(engine.url).exists():
        return
    with engine.connect() as connection:
        occupied = has_data(connection)
        counts = read_facts(connection).counts if occupied else {}
    if occupied and not force:
        raise BackupError(
            f"{where} already holds data ({_counts_line(counts)}): restore refuses to overwrite it. "
            "Back it up first, then pass --force to replace it"
        )


def _install_key(instance: Path, key: bytes) -> Path | None:
    """Write the restored key to instance/audit.key (0600); keep a different key that was there beside it."""
    path = instance / KEY_FILENAME
    replaced = None
    if path.exists():
        try:
            same = read_key_file(path) == key
        except AuditError:
            same = False
        if same:
            return None
        replaced = path.with_name(f"{KEY_FILENAME}.replaced-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
        os.replace(path, replaced)
    instance.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{KEY_FILENAME}.restoring")
    temporary.unlink(missing_ok=True)
    _write_private(temporary, (key.hex() + "\n").encode("ascii"))
    os.replace(temporary, path)
    return replaced


# --- shared -----------------------------------------------------------------------------------------


def _backup_key(folder: Path, key_file: Path | None) -> bytes:
    path = Path(key_file) if key_file else folder / KEY_FILE
    try:
        return read_key_file(path)
    except AuditError as exc:
        raise BackupError(str(exc)) from None


def _facts_of_copy(path: Path) -> Facts:
    engine = create_engine(sqlite_store.read_only_uri(path))
    try:
        with engine.connect() as connection:
            return read_facts(connection)
    except Exception as exc:  # noqa: BLE001 -- any driver error means the copy is unreadable
        raise BackupError(f"{path}: cannot read the database copy ({exc.__class__.__name__}: {exc})") from None
    finally:
        engine.dispose()


def _verify_copy(path: Path, key: bytes, made: Manifest) -> VerifyResult:
    engine = create_engine(sqlite_store.read_only_uri(path))
    try:
        return _verify_restored(engine, key, made)
    finally:
        engine.dispose()


def _verify_restored(engine: Engine, key: bytes, made: Manifest) -> VerifyResult:
    """The chain verifies with `key`, holds the manifest's anchor, and ends exactly there."""
    anchor = parse_anchor(made.anchor) if made.anchor else None
    signed_head = "mac" in {column["name"] for column in inspect(engine).get_columns("audit_head")}  # 0010 on
    with Session(engine) as session:
        result = verify(session, key, anchor, signed_head=signed_head)
    if not result.ok:
        bad = result.first_bad
        if bad is not None and bad.seq == 1 and bad.reason == "HMAC mismatch":
            raise BackupError(
                "the audit chain does not verify with this key (HMAC mismatch at event 1): "
                "use the audit.key from the same backup"
            )
        raise BackupError(f"the audit chain in the backup does not verify: FAILED at event {bad.seq}: {bad.reason}")
    ends = f"{result.head[0]}:{result.head[1]}" if result.head else None
    if ends != made.anchor:
        raise BackupError(f"the restored audit chain ends at {ends}, but the manifest's anchor is {made.anchor}")
    return result


def _check_facts(facts: Facts, made: Manifest, what: str) -> None:
    if facts.revision != made.schema_revision:
        raise BackupError(f"{what} is at schema {facts.revision}, the manifest says {made.schema_revision}")
    if facts.counts != made.counts:
        differ = [f"{name} {facts.counts.get(name)} (manifest {made.counts.get(name)})"
                  for name in sorted(set(facts.counts) | set(made.counts)) if facts.counts.get(name) != made.counts.get(name)]
        raise BackupError(f"{what} does not hold what the manifest counted: {', '.join(differ)}")


def _check_restore_tool(pg_restore: Path, made: Manifest) -> None:
    major, version = postgres_store.tool_version(pg_restore)
    dumped = str(made.database.get("pg_dump_version", "0"))
    if major < int(dumped.split(".")[0]):
        raise BackupError(
            f"{pg_restore} is version {version} but the archive was made by pg_dump {dumped}: "
            "pass --pg-bin with client tools at least as new"
        )


def _record(engine: Engine, key: bytes, actor: Any, action: str, data: dict[str, Any]) -> int | None:
    """Append `action` to the chain of `engine`'s database; None when its schema predates the signed head (0010)."""
    inspector = inspect(engine)
    if "audit_refs" not in inspector.get_table_names():
        return None
    if "mac" not in {column["name"] for column in inspector.get_columns("audit_head")}:
        return None
    with Session(engine, info={"audit_key": key}) as session:
        event = record(session, actor, action, None, data)
        session.commit()
        return event.seq


def _revisions() -> tuple[set[str], set[str]]:
    script = ScriptDirectory.from_config(alembic_config())
    return set(script.get_heads()), {revision.revision for revision in script.walk_revisions()}


def _verified_chain_line(result: VerifyResult) -> str:
    head = f"{result.head[0]}:{result.head[1]}" if result.head else "none"
    return f"Audit chain OK: {result.count} events, head {head} (the manifest's anchor)"


def _counts_line(counts: dict[str, int]) -> str:
    return "Rows: " + ", ".join(f"{name} {number}" for name, number in counts.items())


def _key_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BackupError(f"{path}: audit key not found: there is nothing to back up the trail's key from") from None


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _app_version() -> str:
    try:
        return importlib.metadata.version("reviewer")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
