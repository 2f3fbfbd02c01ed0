"""manifest.json: what a backup folder holds, and the sha256 of every file in it.

Written last (after every file it lists), so a folder without one is an
unfinished backup. Reading it checks its shape and names the first field
that is wrong; `check_files` recomputes every sha256 and names the first
file that is missing or changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
FORMAT = "reviewer-backup"
FORMAT_VERSION = 1
KEY_FILE = "audit.key"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KEY_NOTE = (
    "audit.key is the secret that signs the audit trail: whoever holds it can sign forged events, and "
    "without it the restored trail cannot be verified. It is here (mode 0600) so that this folder restores "
    "on its own. If your policy requires the key to be kept apart from the database backup, move audit.key "
    "to separate storage and give it back with `reviewer backup restore --key-file PATH`."
)
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup cannot be made, checked or restored; the message says what and where."""


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest.json of a backup folder."""

    created_at: str
    app_version: str
    database: dict[str, Any]
    schema_revision: str | None
    anchor: str | None
    counts: dict[str, int]
    files: dict[str, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.database["kind"]

    @property
    def database_file(self) -> str:
        return self.database["file"]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "app_version": self.app_version,
            "database": self.database,
            "schema_revision": self.schema_revision,
            "audit": {"anchor": self.anchor, "events": self.counts.get("audit_events", 0), "key_file": KEY_FILE},
            "counts": self.counts,
            "files": self.files,
            "key_storage": KEY_NOTE,
            **self.extra,
        }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def describe_file(path: Path) -> dict[str, Any]:
    return {"sha256": sha256_of(path), "bytes": path.stat().st_size}


def write(folder: Path, manifest: Manifest) -> str:
    """Write manifest.json (mode 0600); return its sha256 (what the `backup.created` event names)."""
    text = json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n"
    path = folder / MANIFEST
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read(folder: Path) -> tuple[Manifest, str]:
    """Parse `folder`/manifest.json; BackupError names what is missing or malformed. Returns (manifest, its sha256)."""
    if not folder.exists():
        raise BackupError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise BackupError(f"{folder}: not a folder (give the backup folder that holds manifest.json)")
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BackupError(
            f"{path}: not found: {folder} is not a reviewer backup, or the backup did not finish "
            "(the manifest is written last)"
        ) from None
    except OSError as exc:
        raise BackupError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BackupError(f"{path}: not UTF-8 text: the manifest is damaged") from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}): the manifest is damaged") from None
    return _parse(data, path), hashlib.sha256(raw).hexdigest()


def _parse(data: Any, path: Path) -> Manifest:
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise BackupError(f"{path}: not a reviewer backup manifest (\"format\" is not {FORMAT!r})")
    if data.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path}: format_version {data.get('format_version')!r} is not {FORMAT_VERSION}: "
            "made by another version of reviewer; restore it with that version"
        )
    database = _field(data, "database", Mapping, path)
    kind = _field(database, "kind", str, path, "database.kind")
    if kind not in DATABASE_FILES:
        raise BackupError(f"{path}: database.kind {kind!r} is not one of {', '.join(DATABASE_FILES)}")
    _field(database, "file", str, path, "database.file")
    files = _field(data, "files", Mapping, path)
    for name, facts in files.items():
        if not _PLAIN_NAME.match(name) or not isinstance(facts, Mapping) or not isinstance(facts.get("sha256"), str):
            raise BackupError(f"{path}: files[{name!r}] must be a plain file name with a sha256")
    if database["file"] not in files:
        raise BackupError(f"{path}: database.file {database['file']!r} is not listed in files")
    audit = _field(data, "audit", Mapping, path)
    counts = _field(data, "counts", Mapping, path)
    return Manifest(
        created_at=_field(data, "created_at", str, path),
        app_version=str(data.get("app_version") or "unknown"),
        database=dict(database),
        schema_revision=data.get("schema_revision"),
        anchor=audit.get("anchor"),
        counts={str(k): int(v) for k, v in counts.items()},
        files={name: dict(facts) for name, facts in files.items()},
    )


def _field(data: Mapping[str, Any], name: str, kind: type, path: Path, label: str | None = None) -> Any:
    value = data.get(name)
    if not isinstance(value, kind):
        raise BackupError(f"{path}: {label or name} is missing or not a {getattr(kind, '__name__', 'value')}")
    return value


def check_files(folder: Path, manifest: Manifest, *, skip: tuple[str, ...] = ()) -> None:
    """Recompute the sha256 of every listed file (but `skip`); BackupError names the first bad one."""
    for name, facts in sorted(manifest.files.items()):
        if name in skip:
            continue
        path = folder / name
        if not path.is_file():
            hint = " (keep the key apart? pass --key-file PATH)" if name == KEY_FILE else ""
            raise BackupError(f"{path}: missing: the manifest lists it{hint}")
        if sha256_of(path) != facts["sha256"]:
            raise BackupError(
                f"{path}: sha256 does not match the manifest: the file is damaged or was changed since the backup"
            )
