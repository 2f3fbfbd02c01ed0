"""Choosing a backend by name or environment; clear errors for bad choices."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reviewer.toxicity import BACKENDS, ScorerError, load_scorer, scorer_from_env
from reviewer.toxicity.embedded import EmbeddedScorer


def test_unknown_backend_lists_the_valid_ones():
    with pytest.raises(ScorerError, match="Unknown toxicity backend 'perspective'; choose one of: embedded, detoxify"):
        load_scorer("perspective")


def test_embedded_takes_no_options():
    with pytest.raises(ScorerError, match="takes no options"):
        load_scorer("embedded", model="original")


def test_unknown_detoxify_option():
    with pytest.raises(ScorerError, match="Unknown detoxify option"):
        load_scorer("detoxify", weights="x")


def test_env_defaults_to_embedded():
    assert isinstance(scorer_from_env({}), EmbeddedScorer)
    assert scorer_from_env({"REVIEWER_TOXICITY": " Embedded "}) is load_scorer("embedded")


def test_env_with_an_unknown_backend():
    with pytest.raises(ScorerError, match="choose one of"):
        scorer_from_env({"REVIEWER_TOXICITY": "magic"})


def test_env_detoxify_with_a_missing_checkpoint_fails_fast(tmp_path):
    env = {
        "REVIEWER_TOXICITY": "detoxify",
        "REVIEWER_DETOXIFY_CHECKPOINT": str(tmp_path / "original.ckpt"),
        "REVIEWER_DETOXIFY_CONFIG_DIR": str(tmp_path),
    }
    with pytest.raises(ScorerError, match="original.ckpt"):
        scorer_from_env(env)


def test_backends_are_listed():
    assert BACKENDS == ("embedded", "detoxify")


def test_importing_the_package_loads_no_model_library():
    code = (
        "import sys, reviewer.toxicity; "
        "print(sorted(m for m in ('sklearn', 'torch', 'transformers', 'detoxify', 'profanity_check') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_scorer_detoxify_without_options_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEWER_DETOXIFY_CHECKPOINT", str(tmp_path / "from-env.ckpt"))
    monkeypatch.setenv("REVIEWER_DETOXIFY_CONFIG_DIR", str(tmp_path))
    with pytest.raises(ScorerError, match="from-env.ckpt"):
        load_scorer("detoxify")


def test_threads_loading_at_once_share_one_scorer():
    import threading

    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(load_scorer("embedded"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loaded) == 4 and all(scorer is loaded[0] for scorer in loaded)
