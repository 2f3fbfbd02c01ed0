"""alt-profanity-check's fitted model, computed with numpy from an exported file.

The package's model is a TfidfVectorizer (lowercase, `(?u)\\b\\w\\w+\\b`
tokens, idf weights, l2 norm) feeding a CalibratedClassifierCV of LinearSVCs
with sigmoid calibration: p = mean_i expit(-(a_i * (x . w_i + c_i) + b_i)).
`reviewer.toxicity.export_embedded` reads those parameters once with
scikit-learn and writes them to `data/profanity_model.npz`; here they are
loaded with numpy alone (no scikit-learn, joblib or scipy: their import cost
seconds per process). Loading refuses a file whose sha256 is not the manifest's.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from reviewer.toxicity.base import ScorerError

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_FILE = "profanity_model.npz"
MANIFEST_FILE = "profanity_model.json"
#: The arrays of the exported file, each checked for its expected shape at load.
ARRAYS = ("vocabulary", "idf", "weights", "intercepts", "slopes", "offsets")


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class LinearModel:
    """TF-IDF rows and calibrated scores, the same numbers as the package's `predict_prob` (tested to 1e-12)."""

    def __init__(self, arrays: dict[str, np.ndarray], token_pattern: str, trigger_words=()) -> None:
        words = bytes(arrays["vocabulary"]).decode("utf-8").split("\n")
        self.vocabulary: dict[str, int] = {word: column for column, word in enumerate(words)}
        self._token = re.compile(token_pattern)
        self._idf = arrays["idf"]
        self._weights = arrays["weights"]  # (vocabulary, models): one LinearSVC per column
        self._intercepts, self._slopes, self._offsets = arrays["intercepts"], arrays["slopes"], arrays["offsets"]
        self._triggers = np.zeros(len(words))
        for word in trigger_words:
            if word in self.vocabulary:
                self._triggers[self.vocabulary[word]] = 1.0

    def columns(self, text: str) -> dict[int, int]:
        """{vocabulary column: count} of `text`'s tokens (the vectoriser's lowercase + token pattern)."""
        vocabulary = self.vocabulary
        counts: dict[int, int] = {}
        for token in self._token.findall(text.lower()):
            column = vocabulary.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        return counts

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's (columns, l2-normalised TF-IDF values): its row of the vectoriser's `transform`."""
        counts = self.columns(text)
        columns = np.array(sorted(counts), dtype=np.int64)
        values = np.array([counts[c] for c in columns.tolist()], dtype=np.float64) * self._idf[columns]
        norm = np.sqrt(values @ values)
        return columns, (values / norm if norm > 0 else values)

    def rows(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row of each value, column of each value, l2-normalised TF-IDF values) for `texts`: a sparse matrix's parts."""
        row_ids: list[int] = []
        indices: list[int] = []
        counts: list[int] = []
        for index, text in enumerate(texts):
            row = self.columns(text)
            for column in sorted(row):
                indices.append(column)
                counts.append(row[column])
            row_ids.extend([index] * len(row))
        rows = np.array(row_ids, dtype=np.int64)
        columns = np.array(indices, dtype=np.int64)
        values = np.array(counts, dtype=np.float64) * self._idf[columns]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))
        norms[norms == 0] = 1.0
        return rows, columns, values / norms[rows]

    def predict_texts(self, texts: list[str]) -> np.ndarray:
        """The package's predict_prob for `texts`."""
        return self.predict_rows(len(texts), *self.rows(texts))

    def predict_rows(self, count: int, rows: np.ndarray, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        contributions = values[:, None] * self._weights[columns]
        decisions = np.column_stack([np.bincount(rows, weights=contributions[:, k], minlength=count)
                                     for k in range(self._weights.shape[1])]) + self._intercepts
        return self._calibrate(decisions)

    def predict_one(self, text: str) -> tuple[float, bool]:
        """(the score, whether an identity word the model weighs is in it) for one text."""
        columns, values = self.row(text)
        decisions = values @ self._weights[columns] + self._intercepts
        return float(self._calibrate(decisions)), bool(self._triggers[columns].any())

    def weighs_identity(self, count: int, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Indices of the texts with an identity word in the model's vocabulary."""
        return np.flatnonzero(np.bincount(rows, weights=self._triggers[columns], minlength=count))

    def _calibrate(self, decisions: np.ndarray) -> np.ndarray:
        return (1.0 / (1.0 + np.exp(self._slopes * decisions + self._offsets))).mean(axis=-1)


def read_manifest(data_dir: Path = DATA_DIR) -> dict:
    try:
        return json.loads((data_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScorerError(f"The embedded toxicity model's manifest {data_dir / MANIFEST_FILE} cannot be read ({exc}). "
                          "Reinstall reviewer, or rebuild it: python -m reviewer.toxicity.export_embedded") from None


def load_linear_model(data_dir: Path = DATA_DIR, trigger_words=()) -> tuple[LinearModel, dict]:
    """The exported model and its manifest; ScorerError when the file is missing, altered or malformed."""
    manifest = read_manifest(data_dir)
    path = data_dir / MODEL_FILE
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise ScorerError(f"The embedded toxicity model {path} cannot be read ({exc}). Reinstall reviewer.") from None
    if actual != manifest.get("sha256"):
        raise ScorerError(f"{path}: sha256 {actual} does not match {manifest.get('sha256')} in {MANIFEST_FILE}; "
                          "the file is damaged or was replaced. Reinstall reviewer.")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in ARRAYS}
    _check_shapes(path, arrays)
    return LinearModel(arrays, manifest["token_pattern"], trigger_words), manifest


def _check_shapes(path: Path, arrays: dict[str, np.ndarray]) -> None:
    width, models = arrays["weights"].shape
    words = bytes(arrays["vocabulary"]).count(b"\n") + 1
    if words != width or arrays["idf"].shape != (width,) or any(arrays[name].shape != (models,)
                                              for name in ("intercepts", "slopes", "offsets")):
        raise ScorerError(f"{path}: the model's arrays do not fit together; rebuild it with "
                          "python -m reviewer.toxicity.export_embedded")
