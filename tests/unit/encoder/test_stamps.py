"""A model file is hashed once, and again whenever it may have changed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from encoder_kit import build_tiny_encoder

import reviewer.encoder.stamps as stamps
from reviewer.encoder import EncoderError
from reviewer.encoder.static import StaticEncoder


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    hashed: list[Path] = []
    real = stamps.sha256_file

    def counted(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(stamps, "sha256_file", counted)
    return hashed


def test_an_untouched_file_is_hashed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = _counting(monkeypatch)
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"weights" * 1000)
    expected = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert stamps.stamped_sha256(weights) == expected
    assert stamps.stamped_sha256(weights) == expected
    assert hashed == [weights]
    assert json.loads((tmp_path / stamps.STAMPS).read_text())["model.bin"]["sha256"] == expected


def test_a_same_size_edit_with_its_mtime_put_back_is_hashed_again(tmp_path: Path) -> None:
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"a" * 4096)
    first = stamps.stamped_sha256(weights)
    before = os.stat(weights)
    weights.write_bytes(b"b" * 4096)
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))  # size and mtime as before; ctime moves
    assert stamps.stamped_sha256(weights) == hashlib.sha256(b"b" * 4096).hexdigest() != first


def test_a_forged_or_broken_stamp_file_only_costs_a_hash(tmp_path: Path) -> None:
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"x" * 100)
    (tmp_path / stamps.STAMPS).write_text("{not json", encoding="utf-8")
    assert stamps.stamped_sha256(weights) == hashlib.sha256(b"x" * 100).hexdigest()
    (tmp_path / stamps.STAMPS).write_text(json.dumps({"model.bin": {"stat": [0, 0, 0, 0], "sha256": "0" * 64}}))
    assert stamps.stamped_sha256(weights) == hashlib.sha256(b"x" * 100).hexdigest()


def test_a_stamp_that_cannot_be_written_means_hashing_every_time(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = _counting(monkeypatch)
    weights = tmp_path / "model.bin"
    weights.write_bytes(b"y" * 100)
    (tmp_path / stamps.STAMPS).mkdir()  # in the way, as a read-only folder would be (root ignores modes)
    assert stamps.stamped_sha256(weights) == stamps.stamped_sha256(weights) == hashlib.sha256(b"y" * 100).hexdigest()
    assert len(hashed) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [stamps.STAMPS, "model.bin"]


def test_a_model_changed_after_a_good_load_is_still_refused(tmp_path: Path) -> None:
    folder = build_tiny_encoder(tmp_path / "tiny")
    StaticEncoder(folder)  # hashes and stamps every file
    weights = folder / "model.safetensors"
    before = os.stat(weights)
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(EncoderError, match=r"model\.safetensors: sha256 \w+ does not match"):
        StaticEncoder(folder)
