"""Choosing and caching a backend: `load_scorer(name, ...)` and `scorer_from_env(env)`.

A scorer is loaded once per process for each (backend, options): models are
large and slow to load, and the same object is safe to share across threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from reviewer.toxicity.base import Scorer, ScorerError

BACKENDS = ("embedded", "detoxify")
DEFAULT_BACKEND = "embedded"
DETOXIFY_OPTIONS = ("model", "checkpoint", "config_dir", "device", "precision")

_cache: dict[tuple, Scorer] = {}
_cache_lock = threading.Lock()


def load_scorer(backend: str = DEFAULT_BACKEND, **options) -> Scorer:
    """The scorer for `backend` with `options`, loaded on first use and cached.

    embedded takes no options; detoxify takes model ("original"), checkpoint,
    config_dir and device (None: CUDA when torch sees it, else CPU). Called
    with no options at all, detoxify reads them from the REVIEWER_DETOXIFY_*
    variables, so `load_scorer("detoxify")` honours the deployment's files.
    """
    if backend == "detoxify" and not options:
        options = detoxify_options(os.environ)
    key = _cache_key(backend, options)
    with _cache_lock:  # one load at a time: two threads never build the same model twice
        scorer = _cache.get(key)
        if scorer is None:
            scorer = _build(key[0], dict(key[1]))
            _cache[key] = scorer
        return scorer


def scorer_from_env(env: Mapping[str, str] = os.environ) -> Scorer:
    """The scorer that REVIEWER_TOXICITY and the REVIEWER_DETOXIFY_* variables name."""
    backend = (env.get("REVIEWER_TOXICITY") or DEFAULT_BACKEND).strip().lower()
    if backend != "detoxify":
        return load_scorer(backend)
    return load_scorer("detoxify", **detoxify_options(env))


def detoxify_options(env: Mapping[str, str]) -> dict:
    """The detoxify options that the REVIEWER_DETOXIFY_* variables give (empty means unset)."""
    return {
        "model": env.get("REVIEWER_DETOXIFY_MODEL") or "original",
        "checkpoint": env.get("REVIEWER_DETOXIFY_CHECKPOINT") or None,
        "config_dir": env.get("REVIEWER_DETOXIFY_CONFIG_DIR") or None,
        "device": env.get("REVIEWER_DETOXIFY_DEVICE") or None,
        "precision": env.get("REVIEWER_DETOXIFY_PRECISION") or None,
    }


def clear_cache() -> None:
    """Forget loaded scorers (tests; a changed configuration)."""
    with _cache_lock:
        _cache.clear()


def _cache_key(backend: str, options: dict) -> tuple:
    """(backend, sorted options) with paths made absolute, so equal settings share one scorer."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ScorerError(f"Unknown toxicity backend {backend!r}; choose one of: {', '.join(BACKENDS)}.")
    if backend == "embedded":
        if options:
            raise ScorerError(f"The embedded backend takes no options (got {', '.join(sorted(options))}).")
        return backend, ()
    unknown = sorted(set(options) - set(DETOXIFY_OPTIONS))
    if unknown:
        valid = ", ".join(DETOXIFY_OPTIONS)
        raise ScorerError(f"Unknown detoxify option(s) {', '.join(unknown)}; valid: {valid}.")
    normalised = {"model": "original", "checkpoint": None, "config_dir": None, "device": None, "precision": None}
    for name, value in options.items():
        if value is None:
            continue
        if name in ("checkpoint", "config_dir"):
            normalised[name] = os.path.abspath(os.path.expanduser(os.fspath(value)))
        else:
            normalised[name] = str(value)
    return backend, tuple(sorted(normalised.items()))


def _build(backend: str, options: dict) -> Scorer:
    if backend == "embedded":
        from reviewer.toxicity.embedded import EmbeddedScorer  # keeps `import reviewer.toxicity` cheap

        return EmbeddedScorer()
    from reviewer.toxicity.detoxify_backend import load_detoxify  # torch only when asked for

    return load_detoxify(**options)
