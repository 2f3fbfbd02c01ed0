"""A sentence-transformers folder run through torch: the transformer itself.

For `REVIEWER_ENCODER=<folder>` or `minilm` (the pinned all-MiniLM-L6-v2
package) and for bulk replay on a GPU: mean pooling over the attention mask,
L2-normalised, as sentence-transformers does. torch is imported only here.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from reviewer.encoder.base import CachingEncoder, EncoderError, EncoderInfo, SentenceCache, sha256_file

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class TransformerEncoder(CachingEncoder):
    """Mean-pooled transformer embeddings; batches sorted by length; CUDA when torch sees it."""

    def __init__(self, folder: str | Path, device: str | None = None, expected_sha256: str | None = None,
                 batch_size: int = 64, max_length: int = 128, cache_size: int = 20_000) -> None:
        self.folder = Path(folder)
        weights = next((self.folder / n for n in WEIGHT_FILES if (self.folder / n).is_file()), None)
        if not self.folder.is_dir() or weights is None or not (self.folder / "config.json").is_file():
            raise EncoderError(f"{self.folder}: not a sentence-transformers folder (needs config.json and "
                               f"{' or '.join(WEIGHT_FILES)}).")
        self.digest = sha256_file(weights)
        if expected_sha256 and self.digest != expected_sha256:
            raise EncoderError(f"{weights}: sha256 {self.digest} does not match the pinned {expected_sha256}; "
                               "reinstall the model package.")
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise EncoderError(f"A transformer encoder needs torch and transformers ({exc.name} is missing); "
                               "use REVIEWER_ENCODER=embedded instead.") from None
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(str(self.folder))
            self._model = AutoModel.from_pretrained(str(self.folder)).to(self.device).eval()
        except Exception as exc:  # noqa: BLE001 -- transformers raises many kinds for a bad folder; each is the operator's to fix
            raise EncoderError(f"{self.folder}: cannot load the transformer ({exc}).") from None
        self.name = self.folder.name if self.folder.name != "model" else self.folder.parent.name
        self.version = self.digest[:12]
        self.dim = int(self._model.config.hidden_size)
        self.batch_size = batch_size if self.device == "cpu" else max(batch_size, 256)
        self.max_length = max_length
        self.cache = SentenceCache(cache_size)
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                index = order[start:start + self.batch_size]
                batch = self._tokenizer([texts[i] for i in index], padding=True, truncation=True,
                                        max_length=self.max_length, return_tensors="pt").to(self.device)
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[index] = pooled.float().cpu().numpy()
        return out

    def info(self) -> dict:
        return EncoderInfo(
            backend="transformer", version=self.version, digest=self.digest, dim=self.dim,
            weights=str(self.folder), device=self.device,
            details={"batch_size": self.batch_size, "max_length": self.max_length},
        ).as_dict()
