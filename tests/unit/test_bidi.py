"""User text with Unicode direction controls is isolated, so it cannot reorder what surrounds it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from reviewer.bidi import FIRST_STRONG_ISOLATE as FSI
from reviewer.bidi import POP_DIRECTIONAL_ISOLATE as PDI
from reviewer.bidi import isolate

RLO, PDF, LRI, RLI = "\u202e", "\u202c", "\u2066", "\u2067"
OPENERS = (LRI, RLI, FSI)


def matching_pdi(text: str, start: int) -> int | None:
    """UAX #9 BD9: the index of the PDI that closes the isolate opened at `start`, if any."""
    depth = 0
    for index in range(start + 1, len(text)):
        if text[index] in OPENERS:
            depth += 1
        elif text[index] == PDI:
            if depth == 0:
                return index
            depth -= 1
    return None


def test_ordinary_text_markup_and_other_values_pass_through_unchanged() -> None:
    for value in ("Sam Taylor", "مرحبا بكم", "שלום\u200f", "", 42, None):
        assert isolate(value) == value
    markup = Markup("<bdi>built by the app \u202e</bdi>")
    assert isolate(markup) is markup


def test_an_override_in_a_name_is_closed_where_the_name_ends() -> None:
    assert isolate(f"Mallory{RLO}") == f"{FSI}Mallory{RLO}{PDI}"


def test_isolates_left_open_are_closed_and_a_stray_closer_cannot_end_the_wrapper_early() -> None:
    assert isolate(f"a{LRI}b{RLI}c") == f"{FSI}a{LRI}b{RLI}c{PDI}{PDI}{PDI}"
    assert isolate(f"a{PDI}{RLO}b") == f"{FSI}a{RLO}b{PDI}"


@given(st.text(alphabet=st.sampled_from(["a", " ", "ب", RLO, PDF, "\u202a", "\u202d", LRI, RLI, FSI, PDI])))
def test_the_wrapper_always_closes_at_the_very_end(value: str) -> None:
    shown = isolate(value)
    if shown == value:
        assert not any(c in value for c in (RLO, PDF, "\u202a", "\u202d", LRI, RLI, FSI, PDI))
        return
    assert shown[0] == FSI and matching_pdi(shown, 0) == len(shown) - 1
    assert shown.replace(FSI, "").replace(PDI, "") == value.replace(FSI, "").replace(PDI, "")


def test_as_written_escapes_without_isolating() -> None:
    from reviewer.bidi import as_written

    assert as_written(f"<b>{RLO}x") == Markup(f"&lt;b&gt;{RLO}x")
