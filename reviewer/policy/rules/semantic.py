"""semantic: sentences that read like a rule's `like` examples and not like its `unlike` ones.

Each sentence of the text (as typed: its span is the finding's span) is
embedded by the policy's sentence encoder and compared by cosine similarity
with the rule's examples, embedded once at load. A sentence fires when its
closest `like` example is at least the threshold and closer than every
`unlike` example. Without a `threshold` in the policy, one is chosen at load
by leave-one-out over the examples: each example is judged by the others,
and the threshold that judges them best (balanced accuracy) is kept.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .base import CompiledRule, Hit, RuleMeta, Scan, Span

# A sentence ends at . ! ? or … (then closing quotes or brackets) before white space, or at a line break.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\s*\n\s*")
_LETTER = re.compile(r"[^\W\d_]")
THRESHOLD_FLOOR = 0.5  # below this, sentences on unrelated subjects start to look alike
THRESHOLD_CEILING = 0.95


def sentence_spans(text: str) -> list[Span]:
    """[start, end) of each sentence of `text` with at least two letters, white space trimmed."""
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


def _best(sims: np.ndarray) -> np.ndarray:
    return sims.max(axis=1) if sims.shape[1] else np.full(sims.shape[0], -1.0, dtype=np.float32)


def choose_threshold(like: np.ndarray, unlike: np.ndarray) -> float:
    """The threshold that best separates like from unlike, each example judged by all the others."""
    like_like = like @ like.T
    np.fill_diagonal(like_like, -1.0)
    unlike_unlike = unlike @ unlike.T
    np.fill_diagonal(unlike_unlike, -1.0)
    pos_score, pos_rival = _best(like_like), _best(like @ unlike.T)
    neg_score, neg_rival = _best(unlike @ like.T), _best(unlike_unlike)
    candidates = np.unique(np.round(np.concatenate([pos_score, neg_score]), 3))
    candidates = candidates[(candidates >= THRESHOLD_FLOOR) & (candidates <= THRESHOLD_CEILING)]
    best_t, best_value = THRESHOLD_FLOOR, -1.0
    for t in candidates:
        recall = float(np.mean((pos_score >= t) & (pos_score > pos_rival)))
        kept = float(np.mean(~((neg_score >= t) & (neg_score > neg_rival)))) if len(neg_score) else 1.0
        value = recall + kept
        if value > best_value + 1e-9:
            best_t, best_value = float(t), value
    return best_t


class SemanticRule(CompiledRule):
    """Nearest example by cosine similarity over sentence embeddings."""

    needs_encoder = True

    def __init__(self, meta: RuleMeta, body: Any, encoder: Any = None) -> None:
        super().__init__(meta)
        if encoder is None:
            raise ValueError(f"rule {meta.id}: a semantic rule needs a sentence encoder")
        self.like_texts = tuple(body.like)
        vectors = encode_examples(encoder, list(body.like) + list(body.unlike))
        self.like = vectors[: len(body.like)]
        self.unlike = vectors[len(body.like):]
        self.threshold = body.threshold if body.threshold is not None else choose_threshold(self.like, self.unlike)
        self.target = body.target

    def evaluate(self, scan: Scan) -> Hit | None:
        vectors = scan.sentence_vectors
        if vectors is None or not len(vectors):
            return None
        like = vectors @ self.like.T
        best = like.max(axis=1)
        rival = _best(vectors @ self.unlike.T)
        fired = np.flatnonzero((best >= self.threshold) & (best > rival))
        if not len(fired):
            return None
        spans = scan.sentences
        top = int(fired[np.argmax(best[fired])])
        example = self.like_texts[int(like[top].argmax())]
        return Hit([spans[i] for i in fired.tolist()], f'Reads like: "{example}" ({float(best[top]):.2f}).')


def encode_examples(encoder: Any, texts: list[str]) -> np.ndarray:
    """Example embeddings, through the encoder's on-disk example cache when it has one."""
    encode = getattr(encoder, "encode_examples", None) or encoder.encode
    return np.asarray(encode(texts), dtype=np.float32)
