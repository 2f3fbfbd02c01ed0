"""Sentence encoders for the policy engine's `semantic` rules.

    encoder = load_encoder("embedded")            # or encoder_from_env(os.environ)
    encoder.encode(["Thanks for your patience."])  # -> float32 array (1, dim), rows of length 1

Backends: `embedded` (all-MiniLM-L6-v2 distilled to a static model with
model2vec: numpy and tokenizers, offline, the default), a path to a
sentence-transformers folder (the transformer itself, through torch; imported
only when asked for), or `none`. Pure: no Flask, no database.
"""

from reviewer.encoder.base import EncoderError
from reviewer.encoder.registry import clear_cache, encoder_from_env, load_encoder

__all__ = ["EncoderError", "clear_cache", "encoder_from_env", "load_encoder"]
