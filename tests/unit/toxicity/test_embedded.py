"""The embedded backend, running the real alt-profanity-check model."""

from __future__ import annotations

import json
import threading

import pytest

from reviewer.toxicity import Scorer, load_scorer
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


def test_the_direct_path_gives_the_packages_own_numbers(scorer):
    from profanity_check import profanity_check

    from reviewer.toxicity.embedded import direct_model

    model = direct_model(profanity_check)
    assert model is not None, "the shipped model should take the direct path"
    texts = [*DRAFTS, "I am a gay man.", "Calling people idiots is not acceptable", "1d10t", "x" * 5000]
    direct, package = model.predict_texts(texts), profanity_check.predict_prob(texts)
    assert max(abs(a - b) for a, b in zip(direct, package, strict=True)) < 1e-12
    assert scorer.raw_scores(texts) == [round(float(p), 4) for p in package]


def test_the_direct_tfidf_matrix_is_the_vectorizers_own(scorer):
    """The direct path builds the TF-IDF rows itself (scikit-learn's per-call checks cost more than the work)."""
    from profanity_check import profanity_check

    from reviewer.toxicity.embedded import direct_model

    model = direct_model(profanity_check)
    texts = [*DRAFTS, "", "I am a gay man.", "the the the THE The", "Ünïcödé wörds and 123 numbers", "x" * 5000, "a b c"]
    ours, theirs = model._tfidf.transform(texts), profanity_check.vectorizer.transform(texts)
    assert ours.shape == theirs.shape
    assert abs(ours - theirs).max() < 1e-12
    many = texts * 40  # past DIRECT_TFIDF_MAX_TEXTS: scikit-learn builds it, same numbers
    assert abs(model.matrix(many) - profanity_check.vectorizer.transform(many)).max() < 1e-12


def test_the_plain_path_corrects_identity_terms_the_same_way(scorer):
    texts = [*DRAFTS, "I am a gay man.", "gay people are disgusting", "Our Maori and Pasifika staff", "non-binary staff"]
    plain = [round(p, 4) for p in scorer._score_batch_plain(texts)]
    direct = [row["toxicity"] for row in scorer.score(texts)]
    for text, a, b in zip(texts, plain, direct, strict=True):
        assert a == b or "Maori" in text, text  # words outside the model's vocabulary carry no weight to remove


def test_one_text_is_scored_without_a_matrix_to_the_same_numbers(scorer):
    """A single draft (every check as someone types) takes `predict_one`: the batch path's numbers exactly."""
    model = scorer._direct
    texts = [*DRAFTS, "", "!!!", "I am a gay man.", "gay people are disgusting", "non-binary staff", "fuck off",
             "the the the THE The", "Ünïcödé wörds and 123 numbers", "x" * 5000, "a b c"]
    matrix = model.matrix(texts)
    weighed = set(model.weighs_identity(matrix).tolist())
    assert {texts[i] for i in weighed} >= {"I am a gay man.", "gay people are disgusting"}
    for index, (text, together) in enumerate(zip(texts, model.predict(matrix), strict=True)):
        alone, weighs_identity = model.predict_one(text)
        assert abs(alone - together) < 1e-12, text
        assert weighs_identity == (index in weighed), text
    singles = [scorer.score([text])[0]["toxicity"] for text in texts]
    assert singles == [row["toxicity"] for row in scorer.score(texts)]  # one at a time = in a batch, correction included
