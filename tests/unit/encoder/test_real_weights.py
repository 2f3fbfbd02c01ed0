"""The real weights: the pinned all-MiniLM-L6-v2 and the static model built from it (make test builds it)."""

from __future__ import annotations

import numpy as np
import pytest

from reviewer.encoder.digests import MINILM_SAFETENSORS_SHA256

PAIRS = [
    ("The swimming pool is closed for repairs this week.", "The leisure centre pool is shut until Friday for maintenance."),
    ("I don't see the point in going on any more.", "I feel like ending it all tonight."),
]
OTHER = "Vote for the candidate who will cut your council tax."


def test_the_embedded_model_was_built_from_the_pinned_weights(embedded_encoder) -> None:  # noqa: ANN001
    info = embedded_encoder.info()
    assert info["details"]["source"]["sha256"] == MINILM_SAFETENSORS_SHA256
    assert info["dim"] == 256 and info["backend"] == "embedded"


def test_the_embedded_model_puts_paraphrases_together(embedded_encoder) -> None:  # noqa: ANN001
    a, b = PAIRS[0]  # shared words; the static model is weaker where paraphrases share none (see the transformer test)
    va, vb, vo = embedded_encoder.encode([a, b, OTHER], cache=False)
    assert va @ vb > va @ vo + 0.1


@pytest.mark.slow
def test_the_transformer_loads_digest_checked_and_agrees_with_its_distillation(embedded_encoder) -> None:  # noqa: ANN001
    pytest.importorskip("torch")
    from reviewer.encoder import load_encoder

    transformer = load_encoder("minilm")
    assert transformer.digest == MINILM_SAFETENSORS_SHA256 and transformer.dim == 384
    texts = [t for pair in PAIRS for t in pair] + [OTHER]
    dense = transformer.encode(texts, cache=False)
    static = embedded_encoder.encode(texts, cache=False)
    assert np.allclose(np.linalg.norm(dense, axis=1), 1.0, atol=1e-4)
    # Each paraphrase's nearest other text is its pair in the transformer's space, and the
    # distilled model agrees on the pair that shares words.
    sims = dense @ dense.T
    np.fill_diagonal(sims, -1)
    assert list(sims.argmax(axis=1)[:4]) == [1, 0, 3, 2]
    assert float(static[0] @ static[1]) > float(static[0] @ static[4])
