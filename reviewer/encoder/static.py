"""The static encoder: all-MiniLM-L6-v2 distilled into a static model (model2vec); REVIEWER_ENCODER=static.

A static model keeps one vector per token of the transformer's vocabulary,
so a sentence costs a tokenizer call and a mean instead of a transformer
pass (bench/bench_semantic.py --encoder static times it).
The folder is made by `reviewer encoder build` (reviewer/encoder/build.py)
from the digest-checked upstream weights; its manifest.json records the
sha256 of every file, and loading refuses a file that does not match.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from reviewer.encoder.base import CachingEncoder, EncoderError, EncoderInfo, SentenceCache, normalise_rows
from reviewer.encoder.digests import combined_digest
from reviewer.encoder.stamps import stamped_sha256

# The fast tokenizer's own thread pool is not fork-safe: `reviewer serve` forks workers after loading.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MANIFEST = "manifest.json"
REQUIRED = ("model.safetensors", "tokenizer.json", "config.json")


def read_manifest(folder: Path, required: tuple[str, ...] = REQUIRED) -> dict:
    """The build manifest of a static model folder, checked against its files.

    Raises EncoderError naming the file that is missing or does not match.
    """
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        raise EncoderError(f"No encoder model at {folder}: build it with `reviewer encoder build` "
                           "(make run and make test do this), or set REVIEWER_ENCODER=none to check without semantic rules.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EncoderError(f"{manifest_path}: missing; rebuild the model with `reviewer encoder build`.") from None
    except (OSError, ValueError) as exc:
        raise EncoderError(f"{manifest_path}: unreadable ({exc}); rebuild the model with `reviewer encoder build`.") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(name in files for name in required):
        raise EncoderError(f"{manifest_path}: does not list {', '.join(required)}; rebuild the model with `reviewer encoder build`.")
    for name, expected in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            raise EncoderError(f"{path}: missing; rebuild the model with `reviewer encoder build`.")
        actual = stamped_sha256(path)
        if actual != expected:
            raise EncoderError(f"{path}: sha256 {actual} does not match {expected} in {MANIFEST}; "
                               "the file is corrupt or was replaced. Rebuild it with `reviewer encoder build`.")
    return manifest


class StaticEncoder(CachingEncoder):
    """Mean of model2vec token vectors, L2-normalised; sentences cached (LRU)."""

    name = "minilm-l6-v2-static"

    def __init__(self, folder: str | Path, cache_size: int = 20_000) -> None:
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        from model2vec import StaticModel  # noqa: PLC0415 - numpy + tokenizers, no torch

        try:
            self._model = StaticModel.from_pretrained(str(self.folder))
        except Exception as exc:  # noqa: BLE001 - any failure to read the files is the operator's to fix
            raise EncoderError(f"{self.folder}: cannot load the static model ({exc}).") from None
        self.digest = combined_digest(self.manifest["files"])
        self.version = f"{self.manifest.get('source', {}).get('sha256', '')[:12]}+{self.digest[:12]}"
        self.dim = int(self._model.dim)
        self.cache = SentenceCache(cache_size)
        # Where policies keep what their semantic rules learned with this model (see policy/semantic_space.py).
        self.cache_dir = self.folder.parent / "cache" / self.digest[:16]
        self._lock = threading.Lock()  # the fast tokenizer is not re-entrant across threads

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, show_progress_bar=False, use_multiprocessing=False)
        return normalise_rows(vectors)

    def info(self) -> dict:
        source = self.manifest.get("source", {})
        return EncoderInfo(
            backend="static", version=self.version, digest=self.digest, dim=self.dim,
            weights=str(self.folder), device="cpu",
            details={"source": source, "method": self.manifest.get("method", {}),
                     "cache": {"size": self.cache.size, "hits": self.cache.hits, "misses": self.cache.misses}},
        ).as_dict()
