"""The embedded encoder: all-MiniLM-L6-v2 itself, exported to ONNX, run by ONNX Runtime.

The transformer reads whole sentences (paraphrases that share no words sit
together, which a static model misses), one transformer pass a sentence
(bench/bench_semantic.py times it). `reviewer encoder build` exports it from the
digest-checked upstream weights, checks the export against torch, and
records every file's sha256 in manifest.json; loading refuses a file that
does not match. Runs with onnxruntime and tokenizers only: no torch.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from reviewer.encoder.base import CachingEncoder, EncoderError, EncoderInfo, SentenceCache, normalise_rows
from reviewer.encoder.digests import combined_digest
from reviewer.encoder.static import read_manifest

MAX_TOKENS = 128  # all-MiniLM-L6-v2 was trained on up to 128 word pieces
BATCH = 32


class OnnxEncoder(CachingEncoder):
    """Mean-pooled, L2-normalised MiniLM embeddings; sentences cached (LRU)."""

    name = "minilm-l6-v2-onnx"

    def __init__(self, folder: str | Path, threads: int | None = None, cache_size: int = 20_000) -> None:
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder, required=("model.onnx", "tokenizer.json"))
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # One thread by default: web workers already use every core, and idle ONNX Runtime threads
        # spin, taking CPU from the other workers. REVIEWER_ENCODER_THREADS raises it (bulk replay).
        threads = threads if threads is not None else int(os.environ.get("REVIEWER_ENCODER_THREADS") or 1)
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = onnxruntime.InferenceSession(str(self.folder / "model.onnx"), options,
                                                         providers=["CPUExecutionProvider"])
            self._tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 -- unreadable files are the operator's to fix
            raise EncoderError(f"{self.folder}: cannot load the ONNX model ({exc}); rebuild it with "
                               "`reviewer encoder build`.") from None
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.digest = combined_digest(self.manifest["files"])
        self.version = f"{self.manifest.get('source', {}).get('sha256', '')[:12]}+{self.digest[:12]}"
        self.dim = int(self.manifest.get("method", {}).get("dim", 384))
        self.threads = threads
        self.cache = SentenceCache(cache_size)
        self.cache_dir = self.folder.parent / "cache" / self.digest[:16]
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            index = order[start:start + BATCH]
            width = max(len(encodings[i].ids) for i in index)
            ids = np.zeros((len(index), width), dtype=np.int64)
            mask = np.zeros((len(index), width), dtype=np.int64)
            for row, i in enumerate(index):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[index] = normalise_rows(pooled)
        return out

    def info(self) -> dict:
        return EncoderInfo(
            backend="embedded", version=self.version, digest=self.digest, dim=self.dim,
            weights=str(self.folder), device="cpu (ONNX Runtime)",
            details={"source": self.manifest.get("source", {}), "method": self.manifest.get("method", {}),
                     "threads": self.threads,
                     "cache": {"size": self.cache.size, "hits": self.cache.hits, "misses": self.cache.misses}},
        ).as_dict()
