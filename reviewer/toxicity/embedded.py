"""The default backend: alt-profanity-check, offline, shipped with the package.

A TF-IDF + calibrated linear SVM model trained on public abuse data. It
scores offensive language (insults, profanity, slurs), which we report as
the `toxicity` label; it does not understand threats or context. Scores pass
through the identity-term correction (see `identity.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata

from reviewer.toxicity import identity
from reviewer.toxicity.base import ScorerError, ScorerInfo, check_texts, chunks, clamp_round

PACKAGE = "alt-profanity-check"
# Rows per call into scikit-learn: large enough for full speed, small enough
# to bound the sparse matrix of a huge --jsonl batch.
BATCH_SIZE = 4096
# Up to this many texts per call, the TF-IDF rows are built directly (DirectTfidf):
# 0.3 ms instead of 1.2 ms for one draft; bigger batches amortise scikit-learn's checks.
DIRECT_TFIDF_MAX_TEXTS = 256


# Texts whose direct scores must equal the package's own before the direct path is used.
PROBES = ("Thanks for your message.", "you are a stupid idiot", "I am a gay man.", "", "fuck off")


class DirectModel:
    """The package's predict_prob computed straight from its fitted parameters.

    The model is a CalibratedClassifierCV of LinearSVCs with sigmoid
    calibration: p = mean_i expit(-(a_i * (x . w_i + c_i) + b_i)). scikit-learn's
    checks cost about 3 ms per call whatever the batch size; this costs
    nothing and gives the same numbers (checked on PROBES at load). Having the
    TF-IDF matrix also tells, at C speed, which texts hold an identity word the
    model weighs: only those need the correction.
    """

    def __init__(self, vectorizer, parts, trigger_words) -> None:
        import numpy as np  # noqa: PLC0415 - comes with scikit-learn

        self._np = np
        self._vectorizer = vectorizer
        self._tfidf = DirectTfidf(vectorizer)
        self._weights = np.column_stack([p.estimator.coef_[0] for p in parts])
        self._intercepts = np.array([p.estimator.intercept_[0] for p in parts])
        self._slopes = np.array([p.calibrators[0].a_ for p in parts])
        self._offsets = np.array([p.calibrators[0].b_ for p in parts])
        self._triggers = np.zeros(self._weights.shape[0])
        for word in trigger_words:
            if word in vectorizer.vocabulary_:
                self._triggers[vectorizer.vocabulary_[word]] = 1.0

    def matrix(self, texts: list[str]):
        if len(texts) > DIRECT_TFIDF_MAX_TEXTS:  # scikit-learn's checks are cheap per text in big batches
            return self._vectorizer.transform(texts)
        return self._tfidf.transform(texts)

    def predict(self, matrix):
        decisions = matrix @ self._weights + self._intercepts
        return (1.0 / (1.0 + self._np.exp(self._slopes * decisions + self._offsets))).mean(axis=1)

    def predict_texts(self, texts: list[str]):
        return self.predict(self.matrix(texts))

    def predict_one(self, text: str) -> tuple[float, bool]:
        """(the score, whether an identity word the model weighs is in it) for one text, without a sparse matrix.

        The same sums as `predict` over the text's own columns (building a
        scipy matrix for one short text costs more than the arithmetic).
        """
        np = self._np
        columns, values = self._tfidf.row(text)
        decisions = values @ self._weights[columns] + self._intercepts
        score = float((1.0 / (1.0 + np.exp(self._slopes * decisions + self._offsets))).mean())
        return score, bool(self._triggers[columns].any())

    def weighs_identity(self, matrix):
        """Row indices of texts with an identity word in the model's vocabulary (TF-IDF values are > 0)."""
        return self._np.flatnonzero(matrix @ self._triggers)


class DirectTfidf:
    """The fitted TfidfVectorizer's transform, without scikit-learn's per-call input checks.

    Same analyzer, vocabulary, idf weights and l2 norm, so the same matrix
    (tested against `vectorizer.transform`); the checks cost more than the
    work for one short draft.
    """

    def __init__(self, vectorizer) -> None:
        import numpy as np  # noqa: PLC0415 - comes with scikit-learn
        from scipy.sparse import csr_matrix  # noqa: PLC0415

        if vectorizer.binary or vectorizer.sublinear_tf or not vectorizer.use_idf or vectorizer.norm != "l2":
            raise ValueError("not the TF-IDF settings this fast path reproduces")
        self._np, self._csr = np, csr_matrix
        self._analyse = vectorizer.build_analyzer()
        self._vocabulary = vectorizer.vocabulary_
        self._idf = vectorizer.idf_
        self._width = len(vectorizer.vocabulary_)

    def row(self, text: str):
        """One text's (columns, l2-normalised TF-IDF values) as numpy arrays: its row of `transform`."""
        np, vocabulary = self._np, self._vocabulary
        counts: dict[int, int] = {}
        for token in self._analyse(text):
            column = vocabulary.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.array(sorted(counts), dtype=np.int64)
        values = np.array([counts[c] for c in columns.tolist()], dtype=np.float64) * self._idf[columns]
        norm = np.sqrt(values @ values)
        return columns, (values / norm if norm > 0 else values)

    def transform(self, texts: list[str]):
        np, vocabulary = self._np, self._vocabulary
        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for text in texts:
            row: dict[int, int] = {}
            for token in self._analyse(text):
                column = vocabulary.get(token)
                if column is not None:
                    row[column] = row.get(column, 0) + 1
            for column in sorted(row):
                indices.append(column)
                counts.append(row[column])
            indptr.append(len(indices))
        columns = np.array(indices, dtype=np.int64)
        data = np.array(counts, dtype=np.float64) * self._idf[columns]
        bounds = np.array(indptr)
        sizes = np.diff(bounds)
        squares = np.add.reduceat(data * data, bounds[:-1][sizes > 0]) if data.size else np.zeros(0)
        norms = np.ones(len(texts))
        norms[sizes > 0] = np.sqrt(squares)
        data /= np.repeat(norms, sizes)
        return self._csr((data, columns, bounds), shape=(len(texts), self._width))


def direct_model(module, trigger_words=()) -> DirectModel | None:
    """A DirectModel of the package's model, or None if it is not the model we know."""
    model = module.model
    try:
        parts = model.calibrated_classifiers_
        if model.method != "sigmoid" or any(list(p.estimator.classes_) != [0, 1] for p in parts):
            return None
        direct = DirectModel(module.vectorizer, parts, trigger_words)
    except (AttributeError, IndexError, TypeError, ValueError):  # a different model inside a future release
        return None
    if max(abs(a - b) for a, b in zip(direct.predict_texts(list(PROBES)), module.predict_prob(list(PROBES)))) > 1e-9:
        return None
    return direct


class EmbeddedScorer:
    """Scores offensive language with alt-profanity-check plus the identity correction."""

    name = "embedded"
    labels = ("toxicity",)

    def __init__(self) -> None:
        try:
            from profanity_check import profanity_check  # noqa: PLC0415 - 2.6 s import, only when used
        except ImportError as exc:
            raise ScorerError(
                f"The embedded toxicity backend needs the {PACKAGE} package ({exc}). "
                f"Reinstall reviewer: pip install reviewer (it pins {PACKAGE}==1.9.1)."
            ) from exc
        self._direct = direct_model(profanity_check, identity.trigger_words())
        self._predict_prob = self._direct.predict_texts if self._direct else profanity_check.predict_prob
        self.model_version = metadata.version(PACKAGE)
        self.version = f"{PACKAGE} {self.model_version}+{identity.CORRECTION_VERSION}"

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One {"toxicity": p} per text, p in [0, 1] rounded to 4 digits."""
        items = check_texts(texts)
        results: list[dict[str, float]] = []
        for batch in chunks(items, BATCH_SIZE):
            results.extend({"toxicity": clamp_round(p)} for p in self._score_batch(batch))
        return results

    def _score_batch(self, batch: list[str]) -> list[float]:
        if self._direct is None:
            return self._score_batch_plain(batch)
        if len(batch) == 1:  # a draft being checked: no sparse matrix
            return [self._score_one(batch[0])]
        matrix = self._direct.matrix(batch)
        scores = [float(p) for p in self._direct.predict(matrix)]
        neutral = {}
        for index in self._direct.weighs_identity(matrix):
            text = identity.neutralise(batch[index])
            if text is not None:
                neutral[int(index)] = text
        if neutral:
            for index, q in zip(neutral, self._direct.predict_texts(list(neutral.values())), strict=True):
                scores[index] = identity.blend(scores[index], float(q))
        return scores

    def _score_one(self, text: str) -> float:
        score, weighs_identity = self._direct.predict_one(text)
        neutral = identity.neutralise(text) if weighs_identity else None
        return score if neutral is None else identity.blend(score, self._direct.predict_one(neutral)[0])

    def _score_batch_plain(self, batch: list[str]) -> list[float]:
        # Through the package's own predict_prob: one call, the neutralised copies at the end.
        neutral = [identity.neutralise(text) for text in batch]
        extra = [text for text in neutral if text is not None]
        probs = self._predict_prob(batch + extra)
        raw, corrected_pool = probs[: len(batch)], iter(probs[len(batch) :])
        return [float(p) if n is None else identity.blend(float(p), float(next(corrected_pool)))
                for p, n in zip(raw, neutral, strict=True)]

    def raw_scores(self, texts: Sequence[str]) -> list[float]:
        """The model's scores without the identity correction (for benchmarks)."""
        items = check_texts(texts)
        return [clamp_round(p) for p in self._predict_prob(items)] if items else []

    def info(self) -> dict:
        return ScorerInfo(
            backend=self.name,
            version=self.version,
            labels=self.labels,
            weights=f"bundled with the {PACKAGE} {self.model_version} package (no download)",
            device="cpu",
            measures=(
                "offensive language (insults, profanity, slurs) from a TF-IDF linear model, "
                "reported as `toxicity`; weak on threats, quoted abuse and leetspeak"
            ),
            details={
                "identity_correction": identity.CORRECTION_VERSION,
                "batch_size": BATCH_SIZE,
                "computation": "direct (same numbers as the package)" if self._direct else "package predict_prob",
            },
        ).as_dict()
