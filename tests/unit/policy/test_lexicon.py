"""Lexicon matching: whole words, phrases, evasion, allow-lists, spans into the typed text."""

from __future__ import annotations

import pytest

from reviewer.policy.lexicon import LexiconEntry, LexiconMatch, LexiconMatcher
from reviewer.policy.normalise import normalise

RUDE = ["cunt", "ass", "sex", "rape", "cock", "idiot", "stupid", "shit", "dick", "god"]


@pytest.fixture(scope="module")
def rude() -> LexiconMatcher:
    return LexiconMatcher(LexiconEntry(term, "abuse") for term in RUDE)


def typed_spans(matcher: LexiconMatcher, text: str) -> list[str]:
    return [text[m.start : m.end] for m in matcher.find(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe", "assessment", "class", "classic", "Essex", "Sussex", "grape", "therapist",
        "as", "pass", "assistant", "cockpit", "good", "goddess", "shitake? no: shiitake", "Middlesex",
        "the A55 is closed", "2026", "0800 123 456", "idiotic", "associate", "sextant",
    ],
)
def test_hard_negatives_do_not_match(rude: LexiconMatcher, text: str) -> None:
    assert rude.find(text) == []


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("You idiot.", "idiot"),
        ("you are \u0456d\u0456ot", "\u0456d\u0456ot"),
        ("what an \uff29\uff24\uff29\uff2f\uff34!", "\uff29\uff24\uff29\uff2f\uff34"),
        ("\u00efdiot", "\u00efdiot"),
        ("i\u200bd\u200bi\u200bo\u200bt here", "i\u200bd\u200bi\u200bo\u200bt"),
        ("such a 1d10t", "1d10t"),
        ("$tupid", "$tupid"),
        ("kiss my @ss", "@ss"),
        ("5h1t happens", "5h1t"),
        ("you are s t u p i d", "s t u p i d"),
        ("s.t.u.p.i.d", "s.t.u.p.i.d"),
        ("s-t-u-p-i-d!", "s-t-u-p-i-d"),
        ("stuuupid", "stuuupid"),
        ("idiooot", "idiooot"),
        ("asss", "asss"),
        ("STUPID", "STUPID"),
    ],
)
def test_evasion_is_matched_and_the_span_is_what_was_typed(rude: LexiconMatcher, text: str, typed: str) -> None:
    assert typed_spans(rude, text) == [typed]


def test_doubled_letters_are_ordinary_spelling_but_longer_runs_are_evasion(rude: LexiconMatcher) -> None:
    assert rude.find("stuupid") == []  # one doubled letter: "good" is not "god"
    assert typed_spans(rude, "stuuuuupid") == ["stuuuuupid"]
    doubled = LexiconMatcher([LexiconEntry("ass", "k")])
    assert typed_spans(doubled, "ass asss as") == ["ass", "asss"]


def test_phrases_match_across_whitespace_and_punctuation() -> None:
    matcher = LexiconMatcher([LexiconEntry("you people", "tone")])
    text = "you people, you   people and you-people or you\npeople but not your people"
    assert typed_spans(matcher, text) == ["you people", "you   people", "you-people", "you\npeople"]


def test_whole_word_false_matches_inside_words() -> None:
    matcher = LexiconMatcher([LexiconEntry("thorp", "k", whole_word=False)])
    assert typed_spans(matcher, "Scunthorpe") == ["thorp"]


def test_allow_phrase_cancels_overlapping_match_of_the_same_key_only() -> None:
    matcher = LexiconMatcher(
        [
            LexiconEntry("dick", "abuse"),
            LexiconEntry("dick smith", "abuse", allow=True),
            LexiconEntry("dick", "names"),
        ]
    )
    found = matcher.find("Dick Smith says hi, dick")
    assert [(m.start, m.end, m.key) for m in found] == [(0, 4, "names"), (20, 24, "abuse"), (20, 24, "names")]


def test_matches_are_sorted_and_carry_term_and_key() -> None:
    matcher = LexiconMatcher([LexiconEntry("stupid people", "tone"), LexiconEntry("stupid", "abuse")])
    found = matcher.find("so stupid people")
    assert found == [
        LexiconMatch(3, 9, "stupid", "abuse"),
        LexiconMatch(3, 16, "stupid people", "tone"),
    ]


def test_terms_are_normalised_like_the_text() -> None:
    matcher = LexiconMatcher([LexiconEntry("B1TCH", "k"), LexiconEntry("Stra\u00dfe", "street")])
    assert typed_spans(matcher, "bitch and STRASSE") == ["bitch", "STRASSE"]


def test_a_normalised_text_can_be_reused() -> None:
    matcher = LexiconMatcher([LexiconEntry("idiot", "k")])
    text = normalise("An \u0456diot")
    assert matcher.find(text) == matcher.find("An \u0456diot") == [LexiconMatch(3, 8, "idiot", "k")]


def test_duplicates_are_reported_once_and_keys_lists_matching_keys() -> None:
    matcher = LexiconMatcher(
        [LexiconEntry("idiot", "a"), LexiconEntry("IDIOT", "a"), LexiconEntry("fine", "b", allow=True)]
    )
    assert len(matcher.find("idiot")) == 1
    assert matcher.keys() == {"a"}


def test_an_empty_matcher_finds_nothing() -> None:
    assert LexiconMatcher([]).find("anything") == []


@pytest.mark.parametrize("term", ["", "   ", "!!!", "\u200b"])
def test_a_term_with_nothing_to_match_is_a_clear_error(term: str) -> None:
    with pytest.raises(ValueError, match="no letters or digits left to match"):
        LexiconMatcher([LexiconEntry(term, "rule.x")])


def test_bad_entries_are_clear_errors() -> None:
    with pytest.raises(TypeError, match="takes LexiconEntry items, got str"):
        LexiconMatcher(["idiot"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must be a string"):
        LexiconMatcher([LexiconEntry(3, "k")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not hashable"):
        LexiconMatcher([LexiconEntry("x", ["k"])])


def test_two_thousand_terms_compile_into_one_matcher() -> None:
    entries = [LexiconEntry(f"term{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{i // 676}", f"r{i % 7}") for i in range(2000)]
    matcher = LexiconMatcher(entries)
    assert [m.term for m in matcher.find("a termab0 and termzz1 and termab0x")] == ["termab0", "termzz1"]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("see www.example.com, you idiooot", ["idiooot"]),
        ("\u0434\u0434\u0434\u0434 and idiooot", ["idiooot"]),  # other letters: the regex path
        ("you,   peeeople!", ["you,   peeeople"]),
        ("aaass", ["aaass"]),
        ("assss and as", ["assss"]),
    ],
)
def test_long_runs_anywhere_in_the_draft(text: str, typed: list[str]) -> None:
    matcher = LexiconMatcher([LexiconEntry(t, "k") for t in ("idiot", "you people", "ass")])
    assert typed_spans(matcher, text) == typed


def test_term_problem_lets_a_loader_report_bad_terms_before_compiling() -> None:
    from reviewer.policy.lexicon import term_problem

    assert term_problem("idiot") is None
    assert term_problem("you people") is None
    assert term_problem(":") == term_problem("!!!") == (
        "has no letters or digits left to match after normalisation; remove it or write it with letters"
    )
    assert term_problem(3) == "must be a string, not int"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("That is a s t u p i d question.", ["s t u p i d"]),
        ("I think u r s t u p i d", ["s t u p i d"]),
        ("u r a c u n t", ["c u n t"]),
        ("u.r.a.c.u.n.t", ["c.u.n.t"]),
        ("you're a s t u u u p i d one", ["s t u u u p i d"]),
        ("what a 1 d 1 0 t", ["1 d 1 0 t"]),
    ],
)
def test_a_spaced_run_has_a_word_boundary_between_any_two_letters(
    rude: LexiconMatcher, text: str, typed: list[str]
) -> None:
    assert typed_spans(rude, text) == typed


@pytest.mark.parametrize("text", ["U S A", "the B B C said", "a U S citizen", "a b c d e f g", "Q & A"])
def test_spaced_abbreviations_do_not_match(rude: LexiconMatcher, text: str) -> None:
    assert rude.find(text) == []


def test_spaced_sub_runs_match_phrases_without_their_spaces_and_honour_allow_lists() -> None:
    matcher = LexiconMatcher([
        LexiconEntry("shut up", "rude"),
        LexiconEntry("prick", "rude"),
        LexiconEntry("pin prick", "rude", allow=True),
        LexiconEntry("sex", "inside", whole_word=False),
    ])
    assert typed_spans(matcher, "just s h u t u p") == ["s h u t u p"]
    assert typed_spans(matcher, "u r a p r i c k") == ["p r i c k"]
    assert matcher.find("a p i n p r i c k") == []  # the allow phrase, spelled out, cancels it
    assert typed_spans(matcher, "E s s e x") == ["s e x"]  # not whole-word: as before
