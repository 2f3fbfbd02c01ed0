"""Regular expressions for the personal-data detectors (compiled once, at import)."""

from __future__ import annotations

import re

EMAIL = re.compile(
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-])"
)

# Runs of digit groups joined by single spaces or dashes: card numbers are
# looked for inside them (13-19 digits, starting 2-6 like the card networks).
DIGIT_RUN = re.compile(r"(?<![\d.,/])\d+(?:[ -]\d+)*(?![\d]|[.,/]\d)")
DIGIT_GROUP = re.compile(r"\d+")

# Where a phone number may be: digits with the separators numbers are written with.
PHONE_RUN = re.compile(r"[+(]?\d[\d \t().\-/]*\d")
NOT_SPACE = re.compile(r"\S*")
# What phone-number matching finds that is not a phone number: a time range
# (0830-1700), a year-number reference (2027-004512), and a number glued to the
# letters or hyphens of a reference ("CC-2027-…", "…0199-A"), judged by the
# characters just before and after the candidate.
TIME_RANGE = re.compile(r"(?:[01]\d|2[0-4])[0-5]\d\s*[-\u2010-\u2015]\s*(?:[01]\d|2[0-4])[0-5]\d")
YEAR_REFERENCE = re.compile(r"(?:19|20)\d\d[-/\u2010-\u2015]\d{3,}")
GLUED_BEFORE = re.compile(r"[^\W\d_][-/_\u2010-\u2015]?$")
GLUED_AFTER = re.compile(r"[-/_\u2010-\u2015]?[^\W\d_]")

UK_NI = re.compile(
    r"(?<![\w])([A-Za-z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-Da-d])(?!\w)"
)

US_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
US_SSN_BARE = re.compile(r"(?<![\w-])(\d{3})(\d{2})(\d{4})(?![\w-])")
SSN_WORDS = re.compile(r"\b(?:ssn|social\s+security(?:\s+(?:number|no\.?|#))?)\b", re.IGNORECASE)

# 8 or 9 digits, plain or grouped 2/3-3-3 by spaces or dashes (NZ IRD, AU TFN).
TAX_NUMBER = re.compile(r"(?<![\w.,/-])(?<!\d )(\d{2,3})([- ]?)(\d{3})\2(\d{3})(?![\w]|[.,/-]\d| \d)")

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")),
        start=1,
    )
    for name in names
}
DATE_NUMERIC = re.compile(r"(?<![\w/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/-]|\.\d)")
DATE_ISO = re.compile(r"(?<![\w/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w/-]|\.\d)")
DATE_DAY_MONTH = re.compile(
    rf"(?<![\w])(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTHS})\.?,?\s+(\d{{4}})(?!\w)", re.IGNORECASE
)
DATE_MONTH_DAY = re.compile(
    rf"(?<![\w])({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\w)", re.IGNORECASE
)
BIRTH_WORDS = re.compile(
    r"(?<!\w)(?:born|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birth\s*day|b'?day)(?!\w)", re.IGNORECASE
)
BIRTH_HINTS = ("born", "dob", "d.o.b", "birth", "bday", "b'day")  # one of these is in every BIRTH_WORDS match
BIRTH_WINDOW = 40  # characters between a birth word and the date

_STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Place|Pl|Crescent|Cres|Terrace|Tce|Terr|Way|Court|Ct"
    "|Boulevard|Blvd|Close|Cl|Grove|Gr|Parade|Pde|Highway|Hwy|Square|Sq|Rise|Mews|Gardens|Gdns|Quay"
    "|Esplanade|Esp|Circle|Cir|Circuit|Cct|Walk|Row|Track|Heights|Hts|Glade|Green|Parkway|Pkwy"
)
_STREET_WORDS_LOWER = (
    "street|road|avenue|lane|drive|place|crescent|terrace|court|boulevard|close|grove|parade|highway"
    "|square|esplanade|circuit|gardens|heights|parkway"
)
ADDRESS = re.compile(
    r"(?<![\w,.$£€/-])"
    r"(?:(?:[Ff]lat|FLAT|[Uu]nit|UNIT|[Aa]pt\.?|[Aa]partment|[Ss]uite)\s*\d{1,4}[A-Za-z]?,?\s+)?"
    r"(?:\d{1,4}[A-Za-z]?\s?/\s?)?\d{1,5}[A-Za-z]?(?:\s?-\s?\d{1,5}[A-Za-z]?)?,?\s+"
    r"(?:[A-Z][\w'\u2019-]*\s+){1,3}"
    rf"(?:(?:{_STREET_TYPES})|(?:{_STREET_TYPES.upper()})|(?:{_STREET_WORDS_LOWER}))(?![\w'\u2019-])"
)
