"""semantic: sentences that mean what a rule's `like` examples mean, and not what its `unlike` ones do.

Each sentence of the text (its span, as typed, is the finding's span) is
embedded by the policy's sentence encoder. Each rule has a small linear classifier
(class-balanced ridge regression, closed form), trained at load on the encoder's embeddings: its `like` examples against its
`unlike` examples, every other semantic rule's examples and the policy's
`neutral` sentences (ordinary replies). The rule fires on a sentence whose
score is above the rule's threshold: its `threshold` when the policy sets
one, else the score that, in 5-fold cross-validation over those
examples, lets through at most `false_alarm_rate` of the negatives. Training
is deterministic, and cached by the SemanticSpace (see engine.py), so every
process judges the same text the same way.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import numpy as np

from .base import CompiledRule, Hit, RuleMeta, Scan, Span

# A sentence ends at . ! ? or … (then closing quotes or brackets) before white space, or at a line break.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\s*\n\s*")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"\w+")
MIN_WORDS = 4  # a shorter sentence ("Thanks!", "Yes.") is read together with its neighbour
FALSE_ALARM_RATE = 0.005  # default share of negatives a rule may fire on, in cross-validation
REGULARISATION = 1.0  # ridge penalty on the weights
FOLDS = 5
VETO_SIMILARITY = 0.75  # how close to an `unlike` or `neutral` sentence a sentence must be for it to silence the rule
MIN_SIMILARITY = 0.35  # a sentence must be at least this close to one `like` example to fire


def sentence_spans(text: str) -> list[Span]:
    """[start, end) of each sentence of `text` with at least two letters, white space trimmed.

    A sentence of fewer than MIN_WORDS words joins the next one (the last, the one before):
    on its own it says too little to be read for meaning.
    """
    merged: list[Span] = []
    pending: Span | None = None
    for span in _split(text):
        if pending is not None:
            span, pending = (pending[0], span[1]), None
        if len(_WORD.findall(text[span[0]:span[1]])) < MIN_WORDS:
            pending = span
            continue
        merged.append(span)
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], pending[1])
        else:
            merged.append(pending)
    return merged


def _split(text: str) -> list[Span]:
    spans: list[Span] = []
    start = 0
    for boundary in [*_BOUNDARY.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped and len(_LETTER.findall(stripped)) >= 2:
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + lead + len(stripped)))
        if boundary is not None:
            start = boundary.end()
    return spans


def _fit(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Class-balanced ridge regression onto -1/+1 labels: (weights, bias). Closed form, so deterministic."""
    positives = labels > 0
    weights = np.where(positives, 0.5 / max(positives.sum(), 1), 0.5 / max((~positives).sum(), 1)) * len(labels)
    design = np.hstack([features, np.ones((len(features), 1))])
    weighted = design * weights[:, None]
    gram = design.T @ weighted
    penalty = np.full(design.shape[1], REGULARISATION)
    penalty[-1] = 0.0  # the bias is not shrunk
    solution = np.linalg.solve(gram + np.diag(penalty), weighted.T @ np.where(positives, 1.0, -1.0))
    return solution[:-1], float(solution[-1])


def train(positives: np.ndarray, negatives: np.ndarray, false_alarm_rate: float) -> tuple[np.ndarray, float, float]:
    """(weights, bias, threshold) of a linear classifier separating positives from negatives.

    The threshold is the cross-validated score above which at most
    `false_alarm_rate` of the negatives fall (each negative scored by a model
    that did not see it). Deterministic for the same input.
    """
    features = np.vstack([positives, negatives]).astype(np.float64)
    labels = np.r_[np.ones(len(positives)), -np.ones(len(negatives))]
    held_out = np.empty(len(labels))
    # Each example's fold comes from its own content, not its place in the list: adding one
    # example to a policy moves only that example, so the other thresholds stay where they were.
    fold_of = np.array([zlib.crc32(row.tobytes()) % FOLDS for row in features.astype(np.float32)])
    for k in range(FOLDS):
        fold = np.flatnonzero(fold_of == k)
        if not len(fold):
            continue
        keep = fold_of != k
        weights, bias = _fit(features[keep], labels[keep])
        held_out[fold] = features[fold] @ weights + bias
    scores = np.sort(held_out[labels < 0])
    threshold = float(scores[max(0, int(np.ceil(len(scores) * (1 - false_alarm_rate))) - 1)])
    weights, bias = _fit(features, labels)
    return weights.astype(np.float32), bias, threshold


class SemanticRule(CompiledRule):
    """A linear classifier over sentence embeddings, explained by the nearest `like` example."""

    needs_encoder = True

    def __init__(self, meta: RuleMeta, body: Any, space: Any = None) -> None:
        super().__init__(meta)
        if space is None:
            raise ValueError(f"rule {meta.id}: a semantic rule needs a sentence encoder")
        trained = space.classifier(meta.id)
        self.space = space
        self.like_texts = tuple(body.like)
        self.like = trained.like
        self.unlike = trained.unlike
        self.threshold = body.threshold if body.threshold is not None else trained.threshold

    def evaluate(self, scan: Scan) -> Hit | None:
        vectors = scan.sentence_vectors
        if vectors is None or not len(vectors):
            return None
        probability = self.space.scores(scan, self.meta.id)
        over = probability > self.threshold
        if not over.any():
            return None
        like = vectors @ self.like.T
        nearest_like = like.max(axis=1)
        # A sentence that is almost one of the rule's own `unlike` near misses or one of the policy's
        # `neutral` replies, and nearer to it than to any `like` example, does not fire: the author's
        # lever for a false alarm, and the guard for everyday replies a linear model cannot fit.
        nearest_unlike = (vectors @ self.unlike.T).max(axis=1) if len(self.unlike) else np.full(len(vectors), -1.0)
        nearest_unlike = np.maximum(nearest_unlike, self.space.nearest_neutral(scan))
        vetoed = (nearest_unlike >= VETO_SIMILARITY) & (nearest_unlike > nearest_like)
        # A sentence like none of the examples is not explained by them: the classifier alone does not decide.
        fired = np.flatnonzero(over & ~vetoed & (nearest_like >= MIN_SIMILARITY))
        if not len(fired):
            return None
        spans = scan.sentences
        top = int(fired[np.argmax(probability[fired])])
        closest = int(like[top].argmax())
        return Hit([spans[i] for i in fired.tolist()],
                   f'Reads like: "{self.like_texts[closest]}" (similarity {float(like[top, closest]):.2f}).')
