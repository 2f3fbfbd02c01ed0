"""The real weights: the pinned all-MiniLM-L6-v2, its ONNX export (the embedded encoder) and its
static distillation, all built by `make test` from the digest-checked package."""

from __future__ import annotations

import numpy as np
import pytest

from reviewer.encoder import load_encoder
from reviewer.encoder.digests import MINILM_SAFETENSORS_SHA256

PAIRS = [
    ("The swimming pool is closed for repairs this week.", "The leisure centre pool is shut until Friday for maintenance."),
    ("I don't see the point in going on any more.", "I feel like ending it all tonight."),
]
OTHER = "Vote for the candidate who will cut your council tax."


def test_the_embedded_model_is_the_export_of_the_pinned_weights(embedded_encoder) -> None:
    info = embedded_encoder.info()
    assert info["backend"] == "embedded" and info["dim"] == 384
    assert info["details"]["source"]["sha256"] == MINILM_SAFETENSORS_SHA256
    assert info["details"]["method"]["checked_against_torch"]["max_difference"] < 1e-3


def test_the_embedded_model_puts_paraphrases_together_even_without_shared_words(embedded_encoder) -> None:
    texts = [t for pair in PAIRS for t in pair] + [OTHER]
    vectors = embedded_encoder.encode(texts, cache=False)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1)
    assert list(sims.argmax(axis=1)[:4]) == [1, 0, 3, 2]


def test_the_static_distillation_was_built_from_the_same_weights() -> None:
    static = load_encoder("static")
    assert static.info()["details"]["source"]["sha256"] == MINILM_SAFETENSORS_SHA256 and static.dim == 256
    a, b = PAIRS[0]  # shared words; the static model is weaker where paraphrases share none
    va, vb, vo = static.encode([a, b, OTHER], cache=False)
    assert va @ vb > va @ vo + 0.1


@pytest.mark.slow
def test_the_onnx_export_agrees_with_torch(embedded_encoder) -> None:
    pytest.importorskip("torch")
    transformer = load_encoder("minilm")
    assert transformer.digest == MINILM_SAFETENSORS_SHA256 and transformer.dim == 384
    texts = [t for pair in PAIRS for t in pair] + [OTHER, "ok"]
    assert float(np.abs(transformer.encode(texts, cache=False) - embedded_encoder.encode(texts, cache=False)).max()) < 1e-4
