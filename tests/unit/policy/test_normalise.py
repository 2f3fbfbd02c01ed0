"""The normalised view folds evasion away and maps back to what was typed."""

from __future__ import annotations

import pytest

from reviewer.policy.normalise import NormalisedText, normalise


@pytest.mark.parametrize(
    ("typed", "view"),
    [
        ("IDIOT", "idiot"),
        ("\u0456d\u0456ot", "idiot"),  # Cyrillic і
        ("\u0406D\u0406OT", "idiot"),  # Cyrillic capital І looks like I, not l
        ("\uff29\uff24\uff29\uff2f\uff34", "idiot"),  # fullwidth
        ("\U0001d422\U0001d41d\U0001d422\U0001d428\U0001d42d", "idiot"),  # mathematical bold
        ("\u00efdiot", "idiot"),  # precomposed ï
        ("i\u0308diot", "idiot"),  # i + combining diaeresis
        ("\u03bf\u03c1\u0430", "opa"),  # Greek omicron, rho, Cyrillic a
        ("Stra\u00dfe", "strasse"),  # case folding expands ß
        ("\ufb01ne", "fine"),  # ligature
    ],
)
def test_characters_fold_to_plain_lower_case(typed: str, view: str) -> None:
    assert normalise(typed).text == view


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\ufe0f", "\u202e", "\u2066", "\U000e0041", "\u034f"],
    ids=["zwsp", "zwnj", "zwj", "wj", "soft-hyphen", "bom", "vs16", "rlo", "lri", "tag-a", "cgj"],
)
def test_invisible_characters_are_removed(invisible: str) -> None:
    typed = invisible.join("idiot")
    result = normalise(typed)
    assert result.text == "idiot"
    assert result.to_original(0, 5) == (0, len(typed))


@pytest.mark.parametrize(
    ("typed", "view"),
    [
        ("1d10t", "idiot"),
        ("$tupid", "stupid"),
        ("@ss", "ass"),
        ("5h1t", "shit"),
        ("a$$", "ass"),
        ("sh!t", "shit"),
        ("n00b", "noob"),
    ],
)
def test_leetspeak_folds_inside_words(typed: str, view: str) -> None:
    assert normalise(typed).text == view


@pytest.mark.parametrize(
    "typed",
    ["2026", "0800 123 456", "10:30", "1,500 homes", "$100", "the A55 is closed", "M25", "idiot!", "wow!!", "P45"],
)
def test_numbers_and_codes_keep_their_digits(typed: str) -> None:
    assert normalise(typed).text == typed.lower()


@pytest.mark.parametrize(
    ("typed", "view"),
    [
        ("s t u p i d", "stupid"),
        ("s.t.u.p.i.d", "stupid"),
        ("s-t-u-p-i-d", "stupid"),
        ("you are s_t_u_p_i_d ok", "you are stupid ok"),
        ("5 h 1 t", "shit"),
    ],
)
def test_spaced_letters_are_joined(typed: str, view: str) -> None:
    assert normalise(typed).text == view


@pytest.mark.parametrize("typed", ["I am a fan", "e.g. this", "1 2 3 4", "A. B. Smith", "s t-u p"])
def test_ordinary_short_words_are_not_joined(typed: str) -> None:
    assert normalise(typed).text == typed.lower()


def test_spaced_span_covers_the_separators_inside_but_not_around() -> None:
    typed = "you are s t u p i d."
    result = normalise(typed)
    start = result.text.index("stupid")
    assert result.to_original(start, start + 6) == (8, 19)
    assert typed[8:19] == "s t u p i d"


def test_combining_marks_belong_to_their_letter() -> None:
    typed = "idio" + "t\u0327" + " ok"  # t + combining cedilla
    result = normalise(typed)
    assert result.text == "idiot ok"
    assert result.to_original(0, 5) == (0, 6)


def test_expanded_characters_map_to_the_one_typed() -> None:
    result = normalise("x\u00dfy")  # ß -> ss
    assert result.text == "xssy"
    assert result.to_original(1, 2) == (1, 2)
    assert result.to_original(2, 3) == (1, 2)
    assert result.to_original(1, 4) == (1, 3)


def test_ascii_text_maps_one_to_one() -> None:
    result = normalise("Hello World")
    assert result.to_original(6, 11) == (6, 11)


def test_bad_spans_and_bad_input_are_clear_errors() -> None:
    result = normalise("abc")
    with pytest.raises(ValueError, match="not a non-empty span"):
        result.to_original(2, 2)
    with pytest.raises(ValueError, match="length 3"):
        result.to_original(0, 4)
    with pytest.raises(TypeError, match="needs a str, got bytes"):
        normalise(b"abc")  # type: ignore[arg-type]


def test_empty_text() -> None:
    assert normalise("") == NormalisedText("", "")
