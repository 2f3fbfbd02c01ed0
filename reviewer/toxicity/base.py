"""What every toxicity backend offers: the Scorer protocol and its errors.

The policy engine duck-types a scorer: it calls `score(texts)` once per
batch and records `name` and `version` in every verdict, so a decision can be
reproduced later with the same model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

#: Digits kept in every score, so the same text gives the same verdict on any machine.
SCORE_DIGITS = 4


class ScorerError(Exception):
    """A backend cannot be loaded or used; the message says what to do."""


@runtime_checkable
class Scorer(Protocol):
    """Scores texts with probabilities in [0, 1], one dict per text."""

    name: str
    version: str
    labels: tuple[str, ...]

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]: ...

    def info(self) -> dict: ...


@dataclass(frozen=True)
class ScorerInfo:
    """Where a scorer's numbers come from, for `reviewer toxicity info` and logs."""

    backend: str
    version: str
    labels: tuple[str, ...]
    weights: str
    device: str
    measures: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data


def check_texts(texts: Sequence[str]) -> list[str]:
    """Return `texts` as a list, or raise TypeError naming the first bad item."""
    if isinstance(texts, str):
        raise TypeError("score() takes a list of texts, not one string: use score([text])")
    items = list(texts)
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"score(): text {index} is {type(text).__name__}, not str")
    return items


def clamp_round(value: float) -> float:
    """A probability clamped to [0, 1] and rounded to SCORE_DIGITS."""
    return round(min(1.0, max(0.0, float(value))), SCORE_DIGITS)


def chunks(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of `items`, each at most `size` long."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
