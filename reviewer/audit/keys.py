"""The audit HMAC key: `instance/audit.key`, made on first run, never in the database.

The file holds 32 random bytes as 64 hex characters (base64 is accepted
too). It is created with mode 0600 and published atomically (written to a
temporary file, then hard-linked into place), so two processes starting at
once cannot end up with different keys.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path

from reviewer.audit.chain import AuditError

KEY_FILENAME = "audit.key"
KEY_BYTES = 32
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class AuditKeyError(AuditError):
    """The key file is missing or malformed."""


def key_path(instance_path: str | os.PathLike[str]) -> Path:
    return Path(instance_path) / KEY_FILENAME


def load_key(instance_path: str | os.PathLike[str]) -> bytes:
    """Read the key; a clear error if it is missing or malformed (never creates one)."""
    return read_key_file(key_path(instance_path))


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """Read a key file (the instance's, or a copy an auditor holds); AuditKeyError says what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise AuditKeyError(
            f"{path}: audit key not found. It is made when the app first starts; if events exist, "
            "restore the key from backup: a new key cannot verify events signed with the old one"
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise AuditKeyError(f"{path}: cannot read the audit key ({exc})") from None
    return _decode(text, path)


def load_or_create_key(instance_path: str | os.PathLike[str]) -> bytes:
    """Return the key in `instance_path/audit.key`, creating it (mode 0600) on first run."""
    path = key_path(instance_path)
    if not path.exists():
        _create(path)
    return load_key(instance_path)


def _decode(text: str, path: Path) -> bytes:
    if _HEX.match(text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == KEY_BYTES:
        return raw
    raise AuditKeyError(
        f"{path}: malformed audit key: expected {KEY_BYTES} bytes written as 64 hex characters "
        "(or base64). Restore the file from backup; do not replace it with a new key, "
        "or existing events will fail verification"
    )


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # atomic; fails if another process won the race
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
