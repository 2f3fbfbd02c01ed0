"""The embedded backend, running the real alt-profanity-check model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reviewer.toxicity import Scorer, ScorerError, load_scorer
from reviewer.toxicity.embedded import BATCH_SIZE, EmbeddedScorer

DRAFTS = [
    "Thanks for getting in touch, we will look into it today.",
    "you are a stupid idiot",
    "",
    "Our office is open 9 to 5; call us if you need help.",
    "What a load of crap, you morons",
]


@pytest.fixture(scope="module")
def scorer() -> EmbeddedScorer:
    return EmbeddedScorer()


def test_satisfies_the_scorer_protocol(scorer):
    assert isinstance(scorer, Scorer)
    assert scorer.name == "embedded"
    assert scorer.labels == ("toxicity",)
    assert scorer.version == "alt-profanity-check 1.9.1+identity-1"


def test_scores_are_rounded_probabilities(scorer):
    results = scorer.score(DRAFTS)
    assert len(results) == len(DRAFTS)
    for row in results:
        assert list(row) == ["toxicity"]
        value = row["toxicity"]
        assert isinstance(value, float) and 0.0 <= value <= 1.0 and value == round(value, 4)


def test_ranks_abuse_above_polite_replies(scorer):
    polite, abusive, _, polite2, abusive2 = (row["toxicity"] for row in scorer.score(DRAFTS))
    assert max(polite, polite2) < 0.3
    assert min(abusive, abusive2) > 0.9


def test_batches_match_single_calls_across_chunks(scorer):
    texts = [f"{DRAFTS[i % len(DRAFTS)]} {i}" for i in range(BATCH_SIZE + 10)]
    batched = scorer.score(texts)
    assert batched[:5] == [scorer.score([text])[0] for text in texts[:5]]
    assert batched[-3:] == [scorer.score([text])[0] for text in texts[-3:]]
    assert scorer.score(texts) == batched


def test_empty_input(scorer):
    assert scorer.score([]) == []
    assert scorer.raw_scores([]) == []


def test_a_single_string_or_a_non_string_is_refused(scorer):
    with pytest.raises(TypeError, match="not one string"):
        scorer.score("you are a stupid idiot")
    with pytest.raises(TypeError, match="text 1 is int"):
        scorer.score(["fine", 3])


def test_threads_get_the_same_scores(scorer):
    expected = scorer.score(DRAFTS)
    results = []
    threads = [threading.Thread(target=lambda: results.append(scorer.score(DRAFTS))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_info_is_honest_about_what_it_measures(scorer):
    info = scorer.info()
    assert info["backend"] == "embedded"
    assert info["labels"] == ["toxicity"]
    assert "offensive language" in info["measures"]
    assert "no download" in info["weights"]
    assert info["device"] == "cpu"
    json.dumps(info)


def test_load_scorer_returns_one_shared_instance():
    assert load_scorer("embedded") is load_scorer("embedded")
    assert isinstance(load_scorer(), EmbeddedScorer)


def _varied_sample(count: int = 400) -> list[str]:
    """Drafts of every shape: the model's own vocabulary in random mixes, case, accents, digits, empties, long texts."""
    import random

    from profanity_check import profanity_check

    rng = random.Random(16)
    words = sorted(profanity_check.vectorizer.vocabulary_)
    texts = [*DRAFTS, "", "!!!", "a b c", "I am a gay man.", "gay people are disgusting", "non-binary staff",
             "Calling people idiots is not acceptable", "1d10t", "the the the THE The", "Ünïcödé wörds and 123 numbers",
             "x" * 5000, "FUCK OFF", "Straße ÉCOLE naïve café", "tab\tand\nnewline_and_under_scores", "日本語のテキスト"]
    while len(texts) < count:
        picked = rng.choices(words, k=rng.randint(1, 40)) + rng.choices(["and", "THE", "of", "!!", "42", "é"], k=3)
        rng.shuffle(picked)
        texts.append(" ".join(word.upper() if rng.random() < 0.2 else word for word in picked))
    return texts


def test_the_exported_model_gives_the_packages_own_numbers(scorer):
    """The shipped numpy export against the real package's predict_prob (scikit-learn), to 1e-12."""
    import numpy as np
    from profanity_check import profanity_check

    texts = _varied_sample()
    package = profanity_check.predict_prob(texts)
    model = scorer._model
    assert np.max(np.abs(model.predict_texts(texts) - package)) < 1e-12
    assert max(abs(model.predict_one(text)[0] - p) for text, p in zip(texts, package, strict=True)) < 1e-12
    assert scorer.raw_scores(texts) == [round(float(p), 4) for p in package]


def test_the_exported_tfidf_rows_are_the_vectorizers_own(scorer):
    import numpy as np
    from profanity_check import profanity_check

    texts = _varied_sample(120)
    theirs = profanity_check.vectorizer.transform(texts).toarray()
    rows, columns, values = scorer._model.rows(texts)
    ours = np.zeros_like(theirs)
    ours[rows, columns] = values
    assert np.max(np.abs(ours - theirs)) < 1e-12


def _corrected_by_the_package(texts: list[str]) -> list[float]:
    """The identity correction computed on the package's own scores (the reference)."""
    from profanity_check import profanity_check

    from reviewer.toxicity import identity

    raw = profanity_check.predict_prob(texts)
    scores = []
    for text, p in zip(texts, raw, strict=True):
        neutral = identity.neutralise(text)
        scores.append(round(float(p) if neutral is None else identity.blend(float(p), float(profanity_check.predict_prob([neutral])[0])), 4))
    return scores


def test_identity_correction_matches_the_package_based_reference(scorer):
    texts = [*DRAFTS, "I am a gay man.", "gay people are disgusting", "Our Maori and Pasifika staff", "non-binary staff"]
    expected = _corrected_by_the_package(texts)
    assert [row["toxicity"] for row in scorer.score(texts)] == expected
    assert [scorer.score([text])[0]["toxicity"] for text in texts] == expected


def test_one_text_is_scored_without_a_matrix_to_the_same_numbers(scorer):
    """A single draft (every check as someone types) takes `predict_one`: the batch path's numbers exactly."""
    model = scorer._model
    texts = [*DRAFTS, "", "!!!", "I am a gay man.", "gay people are disgusting", "non-binary staff", "fuck off",
             "the the the THE The", "Ünïcödé wörds and 123 numbers", "x" * 5000, "a b c"]
    rows, columns, values = model.rows(texts)
    weighed = set(model.weighs_identity(len(texts), rows, columns).tolist())
    assert {texts[i] for i in weighed} >= {"I am a gay man.", "gay people are disgusting"}
    for index, (text, together) in enumerate(zip(texts, model.predict_rows(len(texts), rows, columns, values), strict=True)):
        alone, weighs_identity = model.predict_one(text)
        assert abs(alone - together) < 1e-12, text
        assert weighs_identity == (index in weighed), text
    singles = [scorer.score([text])[0]["toxicity"] for text in texts]
    assert singles == [row["toxicity"] for row in scorer.score(texts)]  # one at a time = in a batch, correction included


def test_loading_the_scorer_imports_neither_scikit_learn_nor_joblib_nor_scipy():
    code = (
        "import sys; from reviewer.toxicity.embedded import EmbeddedScorer; EmbeddedScorer().score(['hi there', 'x']); "
        "print(sorted(m for m in ('sklearn', 'joblib', 'scipy', 'profanity_check') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_export_script_reproduces_the_shipped_file_byte_for_byte(tmp_path):
    from reviewer.toxicity import export_embedded
    from reviewer.toxicity.linear_model import DATA_DIR, MANIFEST_FILE, MODEL_FILE

    manifest = export_embedded.export(tmp_path)
    assert (tmp_path / MODEL_FILE).read_bytes() == (DATA_DIR / MODEL_FILE).read_bytes()
    assert manifest == json.loads((DATA_DIR / MANIFEST_FILE).read_text())
    assert manifest["source"]["version"] == "1.9.1" and manifest["source"]["licence"] == "MIT"
    licence = (DATA_DIR / export_embedded.LICENCE_FILE).read_text()
    assert "MIT License" in licence and "alt-profanity-check 1.9.1" in licence
    assert (DATA_DIR / MODEL_FILE).stat().st_size < 4_000_000


def _copy_of_the_model(tmp_path: Path) -> Path:
    from reviewer.toxicity.linear_model import DATA_DIR

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def test_a_damaged_model_file_is_refused_naming_the_file(tmp_path):
    from reviewer.toxicity.linear_model import MODEL_FILE, load_linear_model

    folder = _copy_of_the_model(tmp_path)
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ScorerError, match=r"profanity_model\.npz: sha256 .* does not match"):
        load_linear_model(folder)


def test_a_missing_model_or_manifest_is_a_clear_error(tmp_path):
    from reviewer.toxicity.linear_model import MANIFEST_FILE, MODEL_FILE, load_linear_model

    folder = _copy_of_the_model(tmp_path)
    (folder / MODEL_FILE).unlink()
    with pytest.raises(ScorerError, match="cannot be read.*Reinstall reviewer"):
        load_linear_model(folder)
    (folder / MANIFEST_FILE).unlink()
    with pytest.raises(ScorerError, match="manifest .* cannot be read"):
        load_linear_model(folder)
