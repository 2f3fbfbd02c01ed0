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


# Texts whose direct scores must equal the package's own before the direct path is used.
PROBES = ("Thanks for your message.", "you are a stupid idiot", "I am a gay man.", "", "fuck off")


def direct_predictor(module):
    """The package's predict_prob computed straight from its fitted parameters, or None.

    The model is a CalibratedClassifierCV of LinearSVCs with sigmoid
    calibration: p = mean_i expit(-(a_i * (x . w_i + c_i) + b_i)). scikit-learn's
    checks cost about 3 ms per call whatever the batch size; this costs
    nothing, and gives the same numbers (checked on PROBES at load).
    """
    import numpy as np  # noqa: PLC0415 - comes with scikit-learn

    model, vectorizer = module.model, module.vectorizer
    try:
        parts = model.calibrated_classifiers_
        if model.method != "sigmoid" or any(list(p.estimator.classes_) != [0, 1] for p in parts):
            return None
        weights = np.column_stack([p.estimator.coef_[0] for p in parts])
        intercepts = np.array([p.estimator.intercept_[0] for p in parts])
        slopes = np.array([p.calibrators[0].a_ for p in parts])
        offsets = np.array([p.calibrators[0].b_ for p in parts])
    except (AttributeError, IndexError, TypeError):  # a different model inside a future release
        return None

    def predict(texts: list[str]):
        decisions = vectorizer.transform(texts) @ weights + intercepts
        return (1.0 / (1.0 + np.exp(slopes * decisions + offsets))).mean(axis=1)

    if np.max(np.abs(predict(list(PROBES)) - module.predict_prob(list(PROBES)))) > 1e-9:
        return None
    return predict


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
        self._predict_prob = direct_predictor(profanity_check) or profanity_check.predict_prob
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
        # One model call per batch: the neutralised copies ride along at the end.
        neutral = [identity.neutralise(text) for text in batch]
        extra = [text for text in neutral if text is not None]
        probs = self._predict_prob(batch + extra) if batch else []
        raw, corrected_pool = probs[: len(batch)], iter(probs[len(batch) :])
        scores = []
        for p, n in zip(raw, neutral, strict=True):
            scores.append(float(p) if n is None else identity.blend(float(p), float(next(corrected_pool))))
        return scores

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
            details={"identity_correction": identity.CORRECTION_VERSION, "batch_size": BATCH_SIZE},
        ).as_dict()
