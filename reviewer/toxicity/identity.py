"""Identity-term correction: naming who you are is not offensive.

The embedded model is a bag of words. Words such as "gay", "homosexual" or
"queer" carry large positive weights because the abuse it learnt from used
them as insults, so "I am a gay man." scores 0.95. The correction scores the
text a second time with every run of identity terms replaced by the neutral
word "person" (`q`), and blends it with the raw score (`p`):

    corrected = q + (p - q) * q        (never above p)

When the rest of the text is clean (`q` near 0) the identity terms' weight is
dropped; when the rest is itself offensive (`q` near 1) the raw score stands,
so abuse aimed at a group is not hidden. The formula has no tuned constants;
bench/bench_toxicity_quality.py measures it against plain replacement.
"""

from __future__ import annotations

import re

#: Part of every embedded score's version: change it when the terms or the formula change.
CORRECTION_VERSION = "identity-1"

NEUTRAL_WORD = "person"

# Groups of people, following the identity categories of the Jigsaw
# Unintended Bias data (gender, sexual orientation, religion, race or
# ethnicity, disability) plus migration status. Only neutral names: slurs
# are never corrected.
IDENTITY_TERMS: tuple[str, ...] = (
    # sexual orientation and gender identity
    "gay", "gays", "lesbian", "lesbians", "homosexual", "homosexuals", "homosexuality",
    "bisexual", "bisexuals", "heterosexual", "heterosexuals", "asexual", "queer", "queers",
    "trans", "transgender", "transgenders", "transsexual", "transsexuals", "intersex",
    "non-binary", "nonbinary", "lgbt", "lgbtq", "lgbti", "lgbtqia",
    # gender
    "woman", "women", "female", "females", "man", "men", "male", "males",
    # religion
    "muslim", "muslims", "islam", "islamic", "jewish", "jew", "jews", "judaism",
    "christian", "christians", "catholic", "catholics", "hindu", "hindus",
    "sikh", "sikhs", "buddhist", "buddhists", "atheist", "atheists",
    # race, ethnicity, origin
    "black", "blacks", "white", "whites", "asian", "asians", "african", "africans",
    "arab", "arabs", "latino", "latinos", "latina", "latinas", "latinx", "hispanic",
    "hispanics", "mexican", "mexicans", "pakistani", "pakistanis", "chinese", "indian",
    "indians", "indigenous", "aboriginal", "maori", "pasifika",
    # disability
    "disabled", "disability", "disabilities", "deaf", "blind", "autistic", "autism",
    # migration
    "immigrant", "immigrants", "migrant", "migrants", "refugee", "refugees", "asylum",
)

_TERMS = frozenset(term for term in IDENTITY_TERMS if "-" not in term)
_WORD = re.compile(r"\w+")
# Identity terms separated only by these form one run: "gay man", "Black, Asian".
_SEPARATOR = re.compile(r"[\s,/-]+")
_TERM_PATTERNS = {term: re.compile(rf"\b{re.escape(term)}\b") for term in _TERMS}
_NON_BINARY = re.compile(r"\bnon[- ]binary\b")


def trigger_words() -> frozenset[str]:
    """Single words whose presence may call for the correction ("binary" for "non-binary")."""
    return _TERMS | {"binary"}


def neutralise(text: str) -> str | None:
    """`text` with each run of identity terms replaced by "person", or None if it has none.

    Words are matched whole and case-insensitively; a run such as "gay man"
    becomes one neutral word, so the replacement weighs no more than one word.
    """
    lowered = text.lower()
    words = set(_WORD.findall(lowered))
    present = _TERMS.intersection(words)
    if not present and "binary" not in words:  # the common case, at C speed
        return None
    spans = _identity_spans(text, lowered, present, "binary" in words)
    if not spans:
        return None
    pieces, last = [], 0
    run_start, run_end = spans[0]
    for start, end in spans[1:]:
        if _SEPARATOR.fullmatch(text, run_end, start):
            run_end = end
            continue
        pieces += [text[last:run_start], NEUTRAL_WORD]
        last, (run_start, run_end) = run_end, (start, end)
    pieces += [text[last:run_start], NEUTRAL_WORD, text[run_end:]]
    return "".join(pieces)


def _identity_spans(text: str, lowered: str, present: set[str], binary: bool) -> list[tuple[int, int]]:
    """Sorted (start, end) of each identity term in `text`; searches only the terms it holds."""
    if len(lowered) != len(text):  # a rare character changed length when lowered: offsets differ
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    patterns = [_TERM_PATTERNS[term] for term in present]
    if binary:
        patterns.append(_NON_BINARY)
    return sorted(match.span() for pattern in patterns for match in pattern.finditer(lowered))


def blend(raw: float, neutral: float) -> float:
    """The corrected score from the raw score and the score of the neutralised text."""
    return min(raw, neutral + (raw - neutral) * neutral)
