"""The static encoder: loads through its manifest, refuses a changed file, caches sentences."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from encoder_kit import build_tiny_encoder

from reviewer.encoder import EncoderError, load_encoder
from reviewer.encoder.static import StaticEncoder


def test_vectors_have_length_one_and_topics_sit_together(tiny_encoder) -> None:
    vectors = tiny_encoder.encode(["Obviously you didn't bother reading", "Wow what a surprise genius",
                                   "The library opens on Monday"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, tiny_encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_repeated_sentences_come_from_the_cache(tmp_path: Path) -> None:
    encoder = StaticEncoder(build_tiny_encoder(tmp_path / "m"))
    first = encoder.encode(["the pool opens on monday", "bless you"])
    misses = encoder.cache.misses
    again = encoder.encode(["bless you", "the pool opens on monday", "the pool opens on monday"])
    assert encoder.cache.misses == misses and encoder.cache.hits == 3
    assert np.array_equal(again[1], first[0]) and np.array_equal(again[0], first[1])
    assert np.array_equal(encoder.encode(["bless you"], cache=False)[0], first[1])


def test_an_empty_batch_and_bad_input(tiny_encoder) -> None:
    assert tiny_encoder.encode([]).shape == (0, tiny_encoder.dim)
    with pytest.raises(TypeError, match="not one string"):
        tiny_encoder.encode("one text")
    with pytest.raises(TypeError, match="text 1 is int"):
        tiny_encoder.encode(["ok", 3])


def test_a_changed_weights_file_is_refused_naming_it(tmp_path: Path) -> None:
    folder = build_tiny_encoder(tmp_path / "m")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(EncoderError, match=r"model\.safetensors: sha256 \w+ does not match"):
        StaticEncoder(folder)


def test_a_missing_folder_or_manifest_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="reviewer encoder build"):
        StaticEncoder(tmp_path / "absent")
    folder = build_tiny_encoder(tmp_path / "m")
    (folder / "manifest.json").unlink()
    with pytest.raises(EncoderError, match=r"manifest\.json: missing"):
        StaticEncoder(folder)


def test_a_manifest_that_lists_too_little_is_refused(tmp_path: Path) -> None:
    folder = build_tiny_encoder(tmp_path / "m")
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"]["tokenizer.json"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(EncoderError, match="does not list"):
        StaticEncoder(folder)


def test_the_registry_reads_a_folder_none_and_the_environment(tmp_path: Path) -> None:
    folder = build_tiny_encoder(tmp_path / "m")
    assert load_encoder(str(folder)).digest == StaticEncoder(folder).digest
    assert load_encoder("none") is None
    with pytest.raises(EncoderError, match="not embedded, static, minilm or none"):
        load_encoder(str(tmp_path / "nowhere"))
    shutil.copytree(folder, tmp_path / "dir" / "minilm-l6-v2-static")
    assert load_encoder("static", tmp_path / "dir").info()["backend"] == "static"
    with pytest.raises(EncoderError, match=r"No encoder model at .*minilm-l6-v2-onnx"):
        load_encoder("embedded", tmp_path / "dir")
