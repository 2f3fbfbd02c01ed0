"""A tiny static sentence encoder that tests build in milliseconds, and the real one.

The tiny model is a real model2vec StaticModel with a real `tokenizers`
WordLevel tokenizer, saved and loaded through the product's own code
(manifest, digests, StaticEncoder): only its vectors are made up. Words of a
topic share a direction, so "sarcasm" sentences sit together, apart from
"service" sentences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TOPICS = {
    "sarcasm": ["obviously", "bother", "bothered", "reading", "read", "clearly", "wow", "surprise", "genius", "bless"],
    "service": ["bins", "bin", "collection", "library", "pool", "open", "opens", "hours", "monday", "tuesday"],
    "politics": ["government", "previous", "mess", "minister", "brilliant", "opposition", "party", "blame"],
    "danger": ["hurt", "myself", "unsafe", "scared", "alone", "end", "point", "anymore"],
}
FILLER = ["the", "a", "you", "we", "to", "is", "it", "on", "of", "and", "our", "your", "before", "asking", "page",
          "thanks", "for", "message", "please", "again", "maybe", "try", "in", "at", "was", "what", "left", "this"]


def build_tiny_encoder(folder: Path) -> Path:
    """Write a tiny static model (16 dimensions) with its manifest into `folder`; return it."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    from reviewer.encoder.build import write_manifest

    words = ["[UNK]", "[PAD]"] + FILLER + [w for group in TOPICS.values() for w in group]
    vocab = {word: index for index, word in enumerate(words)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    rng = np.random.default_rng(7)
    dim = 16
    vectors = rng.normal(0, 0.15, (len(words), dim)).astype(np.float32)
    for axis, group in enumerate(TOPICS.values()):
        for word in group:
            vectors[vocab[word], axis] += 2.0
    vectors[vocab["[PAD]"]] = 0
    folder.mkdir(parents=True, exist_ok=True)
    StaticModel(vectors=vectors, tokenizer=tokenizer, normalize=True).save_pretrained(str(folder))
    write_manifest(folder, source={"package": "tests", "sha256": "0" * 64}, method={"library": "tests"},
                   name="tiny-test-encoder")
    return folder
