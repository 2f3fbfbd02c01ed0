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


class EmbeddedScorer:
    """Scores offensive language with alt-profanity-check plus the identity correction."""

    name = "embedded"
    labels = ("toxicity",)

    def __init__(self) -> None:
        try:
            from profanity_check import predict_prob  # noqa: PLC0415 - 2.6 s import, only when used
        except ImportError as exc:
            raise ScorerError(
                f"The embedded toxicity backend needs the {PACKAGE} package ({exc}). "
                f"Reinstall reviewer: pip install reviewer (it pins {PACKAGE}==1.9.1)."
            ) from exc
        self._predict_prob = predict_prob
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
