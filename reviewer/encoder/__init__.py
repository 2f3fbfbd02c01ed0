"""Sentence encoders for the policy engine's `semantic` rules.

    encoder = load_encoder("embedded")            # or encoder_from_env(os.environ)
    encoder.encode(["Thanks for your patience."])  # -> float32 array (1, dim), rows of length 1

Backends: `embedded` (all-MiniLM-L6-v2 distilled to a static model with
model2vec: numpy and tokenizers, offline, the default), a path to a
sentence-transformers folder (the transformer itself, through torch; imported
only when asked for), or `none`. Pure: no Flask, no database.
"""

from reviewer.encoder.base import Encoder, EncoderError, EncoderInfo
from reviewer.encoder.registry import DEFAULT_ENCODER, clear_cache, default_encoder_dir, encoder_from_env, load_encoder

__all__ = [
    "DEFAULT_ENCODER",
    "Encoder",
    "EncoderError",
    "EncoderInfo",
    "clear_cache",
    "default_encoder_dir",
    "encoder_from_env",
    "load_encoder",
]
