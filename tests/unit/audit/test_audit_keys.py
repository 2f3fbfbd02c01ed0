"""The audit key file: made once with mode 0600, read back the same, malformed files refused."""

from __future__ import annotations

import base64
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reviewer.audit import AuditKeyError, load_key, load_or_create_key


def test_first_run_creates_a_private_32_byte_key(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    key = load_or_create_key(instance)
    path = instance / "audit.key"
    assert len(key) == 32
    assert path.read_text(encoding="ascii") == key.hex() + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(instance) == key
    assert load_key(instance) == key
    assert [p.name for p in instance.iterdir()] == ["audit.key"]  # no temporary file left behind


def test_two_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: load_or_create_key(tmp_path), range(16)))
    assert len(keys) == 1


def test_a_base64_key_is_accepted(tmp_path: Path) -> None:
    raw = bytes(range(32))
    (tmp_path / "audit.key").write_text(base64.b64encode(raw).decode() + "\n", encoding="ascii")
    assert load_or_create_key(tmp_path) == raw


@pytest.mark.parametrize("content", ["", "abc", "zz" * 32, "ab" * 31, base64.b64encode(b"x" * 16).decode()])
def test_a_malformed_key_is_a_clear_error_not_a_new_key(tmp_path: Path, content: str) -> None:
    path = tmp_path / "audit.key"
    path.write_text(content, encoding="ascii")
    with pytest.raises(AuditKeyError, match=r"audit\.key: malformed audit key: expected 32 bytes"):
        load_or_create_key(tmp_path)
    assert path.read_text(encoding="ascii") == content


def test_a_binary_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "audit.key").write_bytes(b"\xff\xfe" * 20)
    with pytest.raises(AuditKeyError, match="cannot read the audit key"):
        load_key(tmp_path)


def test_load_key_never_creates_one(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match="audit key not found.*restore the key from backup"):
        load_key(tmp_path)
    assert not (tmp_path / "audit.key").exists()
