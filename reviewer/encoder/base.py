"""What every sentence encoder offers: the Encoder protocol, its errors and the sentence cache.

An encoder turns sentences into L2-normalised float32 vectors, so a dot
product is a cosine. `digest` names the exact weights: example embeddings
cached on disk, and every verdict, carry it, so a decision can be traced to
the model that made it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


class EncoderError(Exception):
    """An encoder cannot be loaded or used; the message says what to do."""


@runtime_checkable
class Encoder(Protocol):
    """Encodes sentences as rows of a float32 matrix, each of length 1."""

    name: str
    version: str
    digest: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def info(self) -> dict: ...


@dataclass(frozen=True)
class EncoderInfo:
    """Where an encoder's vectors come from, for `reviewer encoder info` and /healthz."""

    backend: str
    version: str
    digest: str
    dim: int
    weights: str
    device: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def normalise_rows(matrix: Any) -> np.ndarray:
    """float32 rows scaled to length 1 (a zero row stays zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not one string: use encode([text])")
    items = list(texts)
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"encode(): text {index} is {type(text).__name__}, not str")
    return items


class SentenceCache:
    """The vectors of recently seen sentences (LRU), so re-checking an edited draft
    encodes only the sentence that changed. Thread-safe; vectors are read-only."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def encode_with(self, encode: Any, texts: list[str], dim: int) -> np.ndarray:
        out = np.empty((len(texts), dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._items.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._items.move_to_end(text)
                    out[i] = vector
            self.hits += len(texts) - sum(len(v) for v in missing.values())
            self.misses += len(missing)
        if missing:
            unique = list(missing)
            vectors = encode(unique)
            with self._lock:
                for text, vector in zip(unique, vectors):
                    vector = np.array(vector, dtype=np.float32)
                    vector.setflags(write=False)
                    self._items[text] = vector
                    for i in missing[text]:
                        out[i] = vector
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return out

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class CachingEncoder:
    """What every backend shares: `encode` through the sentence cache; a backend implements `_encode`."""

    dim: int
    cache: SentenceCache

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str], cache: bool = True) -> np.ndarray:
        """Rows of length 1, one per text; `cache=False` skips the sentence cache (bulk work, health checks)."""
        items = check_texts(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not cache:
            return self._encode(items)
        return self.cache.encode_with(self._encode, items, self.dim)
