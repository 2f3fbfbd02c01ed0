"""Choosing and caching an encoder: `load_encoder(spec)` and `encoder_from_env(env)`.

spec is `embedded` (the default: all-MiniLM-L6-v2 exported to ONNX, built
into instance/encoder or REVIEWER_ENCODER_DIR), `static` (the same model
distilled to static token vectors: 30 times faster, less exact), `minilm`
(the pinned transformer through torch), `none`, or a folder: a built model
(it has manifest.json) or a sentence-transformers folder. One encoder per
spec and process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from reviewer.encoder.base import Encoder, EncoderError

DEFAULT_ENCODER = "embedded"
STATIC_NAME = "minilm-l6-v2-static"
ONNX_NAME = "minilm-l6-v2-onnx"

_cache: dict[tuple[str, str], Encoder] = {}
_lock = threading.Lock()


def default_encoder_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where built encoder models live: REVIEWER_ENCODER_DIR, else instance/encoder beside the package."""
    configured = env.get("REVIEWER_ENCODER_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "instance" / "encoder"


def load_encoder(spec: str = DEFAULT_ENCODER, encoder_dir: str | Path | None = None) -> Encoder | None:
    """The encoder `spec` names (None for `none`), loaded once per process."""
    spec = (spec or DEFAULT_ENCODER).strip()
    if spec.lower() == "none":
        return None
    where = str(Path(encoder_dir).resolve()) if encoder_dir else str(default_encoder_dir())
    key = (spec, where if spec.lower() in ("embedded", "static") else "")
    with _lock:
        encoder = _cache.get(key)
        if encoder is None:
            encoder = _cache[key] = _build(spec, Path(where))
        return encoder


def encoder_from_env(env: Mapping[str, str] = os.environ) -> Encoder | None:
    """The encoder REVIEWER_ENCODER names (default: embedded), from REVIEWER_ENCODER_DIR."""
    return load_encoder(env.get("REVIEWER_ENCODER") or DEFAULT_ENCODER, default_encoder_dir(env))


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _build(spec: str, encoder_dir: Path) -> Encoder:
    lowered = spec.lower()
    if lowered == "embedded":
        from reviewer.encoder.onnx import OnnxEncoder

        return OnnxEncoder(encoder_dir / ONNX_NAME)
    if lowered == "static":
        from reviewer.encoder.static import StaticEncoder

        return StaticEncoder(encoder_dir / STATIC_NAME)
    if lowered == "minilm":
        from reviewer.encoder.build import minilm_folder
        from reviewer.encoder.digests import MINILM_SAFETENSORS_SHA256
        from reviewer.encoder.transformer import TransformerEncoder

        return TransformerEncoder(minilm_folder(), expected_sha256=MINILM_SAFETENSORS_SHA256)
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise EncoderError(f"REVIEWER_ENCODER={spec!r}: not embedded, static, minilm or none, and no folder at "
                           f"{folder.resolve()}.")
    if (folder / "model.onnx").is_file():
        from reviewer.encoder.onnx import OnnxEncoder

        return OnnxEncoder(folder)
    if (folder / "manifest.json").is_file():
        from reviewer.encoder.static import StaticEncoder

        return StaticEncoder(folder)
    from reviewer.encoder.transformer import TransformerEncoder

    return TransformerEncoder(folder)
