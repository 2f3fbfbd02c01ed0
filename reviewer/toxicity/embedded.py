"""The default backend: alt-profanity-check's model, offline, shipped with the package.

A TF-IDF + calibrated linear SVM model trained on public abuse data. It
scores offensive language (insults, profanity, slurs), which we report as
the `toxicity` label; it does not understand threats or context. Scores pass
through the identity-term correction (see `identity.py`).

The fitted parameters are exported once (`python -m
reviewer.toxicity.export_embedded`) to `data/profanity_model.npz` and
computed here with numpy (`linear_model.py`): the same numbers as the
package's `predict_prob`, without importing scikit-learn (seconds per process;
bench/bench_cli.py lists the heaviest imports).
"""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.toxicity import identity
from reviewer.toxicity.base import ScorerInfo, check_texts, chunks, clamp_round
from reviewer.toxicity.linear_model import load_linear_model

PACKAGE = "alt-profanity-check"
# Texts per batch: bounds the sparse rows of a huge --jsonl batch.
BATCH_SIZE = 4096


class EmbeddedScorer:
    """Scores offensive language with alt-profanity-check's model plus the identity correction."""

    name = "embedded"
    labels = ("toxicity",)

    def __init__(self) -> None:
        self._model, manifest = load_linear_model(trigger_words=identity.trigger_words())  # ScorerError if damaged
        self.model_version = manifest["source"]["version"]
        self.version = f"{PACKAGE} {self.model_version}+{identity.CORRECTION_VERSION}"
        self._sha256 = manifest["sha256"]

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One {"toxicity": p} per text, p in [0, 1] rounded to 4 digits."""
        items = check_texts(texts)
        results: list[dict[str, float]] = []
        for batch in chunks(items, BATCH_SIZE):
            results.extend({"toxicity": clamp_round(p)} for p in self._score_batch(batch))
        return results

    def _score_batch(self, batch: list[str]) -> list[float]:
        if len(batch) == 1:  # a draft being checked: no sparse rows
            return [self._score_one(batch[0])]
        model = self._model
        rows, columns, values = model.rows(batch)
        scores = [float(p) for p in model.predict_rows(len(batch), rows, columns, values)]
        neutral = {}
        for index in model.weighs_identity(len(batch), rows, columns):
            text = identity.neutralise(batch[index])
            if text is not None:
                neutral[int(index)] = text
        if neutral:
            for index, q in zip(neutral, model.predict_texts(list(neutral.values())), strict=True):
                scores[index] = identity.blend(scores[index], float(q))
        return scores

    def _score_one(self, text: str) -> float:
        score, weighs_identity = self._model.predict_one(text)
        neutral = identity.neutralise(text) if weighs_identity else None
        return score if neutral is None else identity.blend(score, self._model.predict_one(neutral)[0])

    def raw_scores(self, texts: Sequence[str]) -> list[float]:
        """The model's scores without the identity correction (for benchmarks)."""
        items = check_texts(texts)
        return [clamp_round(p) for batch in chunks(items, BATCH_SIZE) for p in self._model.predict_texts(batch)]

    def info(self) -> dict:
        return ScorerInfo(
            backend=self.name,
            version=self.version,
            labels=self.labels,
            weights=f"exported from the {PACKAGE} {self.model_version} package, shipped with reviewer (no download)",
            device="cpu",
            measures=(
                "offensive language (insults, profanity, slurs) from a TF-IDF linear model, "
                "reported as `toxicity`; weak on threats, quoted abuse and leetspeak"
            ),
            details={
                "identity_correction": identity.CORRECTION_VERSION,
                "batch_size": BATCH_SIZE,
                "computation": "numpy, from the exported parameters (same numbers as the package)",
                "sha256": self._sha256,
            },
        ).as_dict()
