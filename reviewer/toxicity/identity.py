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

_ALTERNATIVES = "|".join(re.escape(term) for term in sorted(IDENTITY_TERMS, key=len, reverse=True))
# A run such as "gay man" or "Black, Asian" becomes one neutral word, so the
# replacement does not weigh more than one word would.
_RUN = re.compile(rf"\b(?:{_ALTERNATIVES})(?:[\s,/-]+(?:{_ALTERNATIVES}))*\b", re.IGNORECASE)


def neutralise(text: str) -> str | None:
    """`text` with each run of identity terms replaced by "person", or None if it has none."""
    neutral, count = _RUN.subn(NEUTRAL_WORD, text)
    return neutral if count else None


def blend(raw: float, neutral: float) -> float:
    """The corrected score from the raw score and the score of the neutralised text."""
    return min(raw, neutral + (raw - neutral) * neutral)
