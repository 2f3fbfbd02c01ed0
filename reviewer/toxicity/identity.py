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


def neutralise(text: str) -> str | None:
    """`text` with each run of identity terms replaced by "person", or None if it has none.

    Words are matched whole and case-insensitively; a run such as "gay man"
    becomes one neutral word, so the replacement weighs no more than one word.
    """
    lowered = _WORD.findall(text.lower())
    if _TERMS.isdisjoint(lowered) and "binary" not in lowered:  # the common case, at C speed
        return None
    spans = _identity_spans(text)
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


def _identity_spans(text: str) -> list[tuple[int, int]]:
    words = list(_WORD.finditer(text))
    spans = []
    for index, word in enumerate(words):
        lowered = word.group().lower()
        if lowered in _TERMS:
            spans.append(word.span())
        elif lowered == "binary" and index and words[index - 1].group().lower() == "non" and (
            text[words[index - 1].end() : word.start()] in ("-", " ")
        ):
            spans.append((words[index - 1].start(), word.end()))  # "non-binary", "non binary"
    return spans


def blend(raw: float, neutral: float) -> float:
    """The corrected score from the raw score and the score of the neutralised text."""
    return min(raw, neutral + (raw - neutral) * neutral)
