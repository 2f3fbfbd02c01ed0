"""Property-based checks: spans stay inside the typed text and cover exactly what was matched."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.policy.lexicon import LexiconEntry, LexiconMatcher
from reviewer.policy.normalise import normalise
from reviewer.policy.pii import PII_KINDS, PiiDetector
from reviewer.policy.urls import find_urls

TERMS = ("idiot", "stupid", "moron", "you people", "ass")
MATCHER = LexiconMatcher(
    [LexiconEntry(term, "abuse") for term in TERMS]
    + [LexiconEntry("sex", "inside", whole_word=False), LexiconEntry("assess", "abuse", allow=True)]
)
PII = PiiDetector(PII_KINDS, case_ref_patterns=[r"CAS-\d{4}"])

HOMOGLYPHS = {
    "i": ["\u0456", "\uff49", "\U0001d422", "\u0406"],
    "o": ["\u043e", "\u03bf", "\uff4f", "\u041e"],
    "a": ["\u0430", "\u0410", "\uff41"],
    "e": ["\u0435", "\u0415"],
    "p": ["\u0440", "\u03c1", "\u0420"],
    "y": ["\u0443"],
    "s": ["\u0455", "\uff53"],
    "d": ["\u0501", "\U0001d41d"],
    "u": ["\uff55"],
    "t": ["\uff54", "\u0422"],
    "m": ["\uff4d", "\u041c"],
    "n": ["\uff4e"],
    "r": ["\uff52"],
    "l": ["\uff4c"],
}
LEET = {"i": ["1", "!"], "o": ["0"], "a": ["4", "@"], "e": ["3"], "s": ["5", "$"], "t": ["7"]}
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\ufe0f", "\u202c", "\U000e0020"]
MARKS = ["\u0301", "\u0308", "\u0327", "\u0302"]
WORD_GAPS = [" ", "  ", "-", ", ", "\n", " \u00a0", "_", "...", " - "]
SPACERS = [" ", ".", "-", "_", "*"]


@st.composite
def evaded_word(draw: st.DrawFn, word: str, spaced: bool) -> str:
    """`word` disguised letter by letter; at least two letters stay letters so leetspeak still folds."""
    keep = set(draw(st.permutations(range(len(word))))[:2])
    pieces = []
    for index, letter in enumerate(word):
        form = letter
        choice = draw(st.sampled_from(["plain", "upper", "homoglyph", "leet"]))
        if choice == "upper":
            form = letter.upper()
        elif choice == "homoglyph" and letter in HOMOGLYPHS:
            form = draw(st.sampled_from(HOMOGLYPHS[letter]))
        elif choice == "leet" and letter in LEET and index not in keep:
            options = [c for c in LEET[letter] if not (spaced and c == "!") and not (c == "!" and index == len(word) - 1)]
            if options:
                form = draw(st.sampled_from(options))
        if not spaced and draw(st.integers(0, 5)) == 0 and not (len(word) <= 3 and form in "@$"):
            form = form * draw(st.integers(3, 5))  # stuuupid
        if form.isalpha() and draw(st.integers(0, 4)) == 0:
            form += draw(st.sampled_from(MARKS))
        pieces.append(form)
    if spaced:
        return draw(st.sampled_from(SPACERS)).join(pieces)
    out = pieces[0]
    for piece in pieces[1:]:
        if draw(st.integers(0, 3)) == 0:
            out += "".join(draw(st.lists(st.sampled_from(INVISIBLES), min_size=1, max_size=2)))
        out += piece
    return out


@st.composite
def evaded_term(draw: st.DrawFn) -> tuple[str, str]:
    term = draw(st.sampled_from(TERMS))
    words = term.split(" ")
    spaced = len(words) == 1 and draw(st.booleans())
    disguised = [draw(evaded_word(word, spaced)) for word in words]
    gaps = [draw(st.sampled_from(WORD_GAPS)) for _ in disguised[1:]]
    typed = disguised[0] + "".join(gap + word for gap, word in zip(gaps, disguised[1:]))
    return term, typed


any_text = st.text(max_size=120)


@settings(max_examples=300, deadline=None)
@given(prefix=any_text, evasion=evaded_term(), suffix=any_text)
def test_an_evaded_term_in_random_text_is_found_at_exactly_the_typed_characters(
    prefix: str, evasion: tuple[str, str], suffix: str
) -> None:
    term, typed = evasion
    text = f"{prefix} ; {typed} ; {suffix}"
    start = len(prefix) + 3
    found = MATCHER.find(text)
    assert (start, start + len(typed), term) in {(m.start, m.end, m.term) for m in found}, (typed, found)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_spans_of_arbitrary_text_stay_inside_and_are_trimmed(text: str) -> None:
    for match in MATCHER.find(text):
        assert 0 <= match.start < match.end <= len(text)
        assert not text[match.start].isspace() and not text[match.end - 1].isspace()
    for pii in PII.find(text):
        assert 0 <= pii.start < pii.end <= len(text) and text[pii.start : pii.end] == pii.value
    for url in find_urls(text):
        assert 0 <= url.start < url.end <= len(text) and text[url.start : url.end] == url.url


alphabet = st.sampled_from(
    list("idiot stupd ypel.-_$@!15") + INVISIBLES + MARKS + ["\u0456", "\uff29", "\u00df", "\ufb01", "\u2800"]
)


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=alphabet, max_size=60))
def test_evasion_heavy_text_maps_every_view_character_back(text: str) -> None:
    result = normalise(text)
    previous_start = previous_end = 0
    for i in range(len(result.text)):
        start, end = result.to_original(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert start >= previous_start and end >= previous_end  # the map never goes backwards
        previous_start, previous_end = start, end
    if result.text:
        assert result.to_original(0, len(result.text))[1] <= len(text)
    for match in MATCHER.find(result):
        assert 0 <= match.start < match.end <= len(text)
        again = MATCHER.find(text[match.start : match.end])
        assert any(m.term == match.term for m in again), (text, match)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("aabbo  .-xy")), max_size=80))
def test_the_quick_squeezed_skeleton_equals_the_regex_one(text: str) -> None:
    from reviewer.policy import lexicon

    blanked, _ = lexicon._blank_separators(text)
    run_ends = [end for end, value in MATCHER._automaton.iter(f" {blanked} ") if value is lexicon._LONG_RUN_MARKER]
    assert lexicon._squeezed_skeleton(blanked, run_ends) == lexicon._skeleton(blanked, lexicon._SPACES_OR_LONG_RUN)
