"""What a policy's semantic rules learn together: example embeddings and one classifier per rule.

Built once per (policy sha256, encoder digest) at load. A rule's negatives
are its own `unlike` examples, every other semantic rule's `like` and
`unlike` examples and the policy's `neutral` sentences, so each rule learns
what sets its meaning apart from the others and from ordinary replies. When
the encoder offers a cache folder, the trained state is kept there as one
.npz file, so the next process (or a restart) loads it in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .rules import semantic

CACHE_FORMAT = 5


@dataclass(frozen=True)
class Classifier:
    like: np.ndarray  # the rule's like embeddings (for "reads like")
    unlike: np.ndarray  # its unlike embeddings (a sentence nearer one of these does not fire)
    weights: np.ndarray
    bias: float
    threshold: float


class SemanticSpace:
    """The encoder plus every semantic rule's examples of one policy, trained on first use."""

    def __init__(self, encoder: Any, rules: list[Any], neutral: list[str], false_alarm_rate: float) -> None:
        self.encoder = encoder
        self.rules = {rule.id: rule for rule in rules}
        self.neutral = list(neutral)
        self.false_alarm_rate = false_alarm_rate
        self._trained: dict[str, Classifier] | None = None
        self._neutral_vectors: np.ndarray | None = None
        self._bank: tuple[np.ndarray, np.ndarray, dict[str, int]] | None = None

    def scores(self, scan: Any, rule_id: str) -> np.ndarray:
        """The rule's score for each sentence of `scan`: one matrix product for all the policy's
        semantic rules per text (kept on the scan), so thirteen rules cost about what one does."""
        if self._bank is None:
            trained = {rid: self.classifier(rid) for rid in self.rules}
            weights = np.stack([c.weights for c in trained.values()], axis=1).astype(np.float32)
            biases = np.array([c.bias for c in trained.values()], dtype=np.float32)
            self._bank = (weights, biases, {rid: i for i, rid in enumerate(trained)})
        weights, biases, column = self._bank
        found = scan.shared.get(id(self))
        if found is None:
            found = scan.shared[id(self)] = scan.sentence_vectors @ weights + biases
        return found[:, column[rule_id]]

    def nearest_neutral(self, scan: Any) -> np.ndarray:
        """Each sentence's similarity to the closest of the policy's `neutral` sentences (-1 with none),
        computed once per text for all rules."""
        self._ensure_learned()
        key = (id(self), "neutral")
        found = scan.shared.get(key)
        if found is None:
            vectors = scan.sentence_vectors
            neutral = self._neutral_vectors
            found = scan.shared[key] = ((vectors @ neutral.T).max(axis=1) if len(neutral)
                                        else np.full(len(vectors), -1.0, dtype=np.float32))
        return found

    def key(self) -> str:
        """A digest of everything training reads: examples, neutral sentences, settings, the encoder."""
        content = {
            "format": CACHE_FORMAT, "encoder": getattr(self.encoder, "digest", repr(self.encoder)),
            "rules": {rid: [list(r.like), list(r.unlike), r.false_alarm_rate] for rid, r in sorted(self.rules.items())},
            "neutral": self.neutral, "false_alarm_rate": self.false_alarm_rate,
            "settings": [semantic.REGULARISATION, semantic.FOLDS, semantic.MIN_WORDS],
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def classifier(self, rule_id: str) -> Classifier:
        self._ensure_learned()
        return self._trained[rule_id]

    def _ensure_learned(self) -> None:
        if self._trained is None:
            self._trained, self._neutral_vectors = self._load_or_train()

    def _load_or_train(self) -> tuple[dict[str, Classifier], np.ndarray]:
        key = self.key()
        folder = getattr(self.encoder, "cache_dir", None)
        path = Path(folder) / f"semantic-{key[:32]}.npz" if folder else None
        if path is not None and path.is_file():
            try:
                return _read(path, list(self.rules))
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache file is rebuilt below
        trained = self._train()
        if path is not None:
            _write(path, trained)
        return trained

    def _train(self) -> tuple[dict[str, Classifier], np.ndarray]:
        texts: list[str] = list(dict.fromkeys(
            [t for r in self.rules.values() for t in [*r.like, *r.unlike]] + self.neutral))
        vectors = dict(zip(texts, np.asarray(self.encoder.encode(texts), dtype=np.float32)))

        dim = len(next(iter(vectors.values()))) if vectors else 0

        def matrix(items: list[str]) -> np.ndarray:
            return np.array([vectors[t] for t in items], dtype=np.float32).reshape(len(items), dim)

        trained = {}
        for rule_id, rule in self.rules.items():
            negatives = list(dict.fromkeys(
                [*rule.unlike, *self.neutral,
                 *(t for other_id, other in self.rules.items() if other_id != rule_id for t in [*other.like, *other.unlike])]))
            negatives = [t for t in negatives if t not in set(rule.like)]
            positives = matrix(list(rule.like))
            weights, bias, threshold = semantic.train(positives, matrix(negatives),
                                                      rule.false_alarm_rate or self.false_alarm_rate)
            trained[rule_id] = Classifier(positives, matrix(list(rule.unlike)), weights, bias, threshold)
        return trained, matrix(self.neutral)


def _write(path: Path, learned: tuple[dict[str, Classifier], np.ndarray]) -> None:
    """Write atomically (a temporary file, then rename): concurrent processes never read half a file."""
    trained, neutral = learned
    arrays: dict[str, np.ndarray] = {"neutral": neutral}
    for index, (rule_id, c) in enumerate(trained.items()):
        arrays[f"{index}.id"] = np.array(rule_id)
        arrays[f"{index}.like"] = c.like
        arrays[f"{index}.unlike"] = c.unlike
        arrays[f"{index}.weights"] = c.weights
        arrays[f"{index}.scalars"] = np.array([c.bias, c.threshold], dtype=np.float64)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".semantic-", suffix=".npz", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only instance folder: train again next time, nothing is lost


def _read(path: Path, rule_ids: list[str]) -> tuple[dict[str, Classifier], np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        neutral = data["neutral"]
        found = {}
        index = 0
        while f"{index}.id" in data:
            bias, threshold = data[f"{index}.scalars"].tolist()
            found[str(data[f"{index}.id"])] = Classifier(data[f"{index}.like"], data[f"{index}.unlike"],
                                                     data[f"{index}.weights"], bias, threshold)
            index += 1
    if sorted(found) != sorted(rule_ids):
        raise ValueError("cache holds other rules")
    return found, neutral
