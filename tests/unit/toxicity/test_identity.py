"""The identity-term correction: respectful drafts pass, abuse stays flagged."""

from __future__ import annotations

import pytest

from reviewer.toxicity import identity
from reviewer.toxicity.embedded import EmbeddedScorer

REVIEW = 0.8  # the default policy's review threshold for `toxicity`

# Each scores at or near the review threshold without the correction.
RESPECTFUL = [
    "I am a gay man.",
    "Homosexual",
    "Our son is gay and we are proud of him.",
    "Gay men can now donate blood under the new rules.",
    "I am a lesbian and a mother of two.",
]
ABUSIVE = [
    "gay people are disgusting",
    "you stupid gay idiot",
    "shut up you dumb muslim",
    "what a pathetic disgusting queer",
    "Black people are stupid animals",
]


@pytest.fixture(scope="module")
def scorer() -> EmbeddedScorer:
    return EmbeddedScorer()


def test_the_uncorrected_model_flags_respectful_sentences(scorer):
    raw = scorer.raw_scores(RESPECTFUL)
    assert sum(value >= REVIEW - 0.01 for value in raw) >= 4, raw


@pytest.mark.parametrize("text", RESPECTFUL)
def test_respectful_identity_sentences_score_below_review(scorer, text):
    assert scorer.score([text])[0]["toxicity"] < REVIEW


@pytest.mark.parametrize("text", ABUSIVE)
def test_identity_targeted_abuse_stays_above_review(scorer, text):
    assert scorer.score([text])[0]["toxicity"] >= REVIEW


def test_texts_without_identity_terms_are_untouched(scorer):
    texts = ["you are a stupid idiot", "Thanks, we will call you back today."]
    assert [row["toxicity"] for row in scorer.score(texts)] == scorer.raw_scores(texts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am a gay man.", "I am a person."),
        ("Lesbian, gay and bisexual residents", "person and person residents"),
        ("As a MUSLIM woman I agree", "As a person I agree"),
        ("our non-binary staff", "our person staff"),
        ("Non Binary folk", "person folk"),
        ("the gay's rights", "the person's rights"),
        ("the gaydar and blackboard", None),  # whole words only
        ("Thanks for your message", None),
    ],
)
def test_neutralise_replaces_runs_of_identity_terms(text, expected):
    assert identity.neutralise(text) == expected


def test_slurs_are_never_corrected():
    assert identity.neutralise("you faggot") is None
    assert identity.neutralise("what a retard") is None


@pytest.mark.parametrize("raw", [0.0, 0.2, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("neutral", [0.0, 0.1, 0.5, 0.8, 1.0])
def test_blend_never_raises_a_score_and_keeps_offensive_context(raw, neutral):
    corrected = identity.blend(raw, neutral)
    assert 0.0 <= corrected <= raw
    if neutral == 1.0:
        assert corrected == pytest.approx(raw)  # the rest of the text is offensive: the raw score stands
    if neutral == 0.0:
        assert corrected == 0.0  # the rest is clean: the identity terms alone count for nothing
