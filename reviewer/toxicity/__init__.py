"""Toxicity scoring for the policy engine's `toxicity` rules.

    scorer = load_scorer("embedded")        # or scorer_from_env(os.environ)
    scorer.score(["Thanks for your patience."])  # -> [{"toxicity": 0.01}]

Backends: `embedded` (alt-profanity-check, offline, the default) and
`detoxify` (torch; imported only when asked for). Pure: no Flask, no database.
"""

from reviewer.toxicity.base import Scorer, ScorerError
from reviewer.toxicity.registry import BACKENDS, clear_cache, load_scorer, scorer_from_env

__all__ = ["BACKENDS", "Scorer", "ScorerError", "clear_cache", "load_scorer", "scorer_from_env"]
