"""Phone numbers in a draft, for the pii rule: where they may be, which are valid, and how each reads.

`phone_windows` finds the stretches of a text that may hold a number and
`phones_in` the numbers valid in any configured region (`phonenumbers`,
leniency VALID). `phone_reason` says why a number is personal ("a mobile
number (NZ)"), or None when every reading of it, as it would be dialled in
a configured region, is an official type (freephone, shared-cost, UAN, short
code). `e164_forms` gives the forms an allow-listed number is compared in.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

from ._text import pii_patterns as P
from .schema import REGIONS

MIN_PHONE_DIGITS = 7

_DIGIT = re.compile(r"\d")
_DIGITS_SPAN = re.compile(r"\d[\d \t().\-/]*\d")  # from the first digit of a run to its last

# Each phone-number type: its official_numbers name ("" when it is a person's line) and how to say it.
_NUMBER_TYPES = {
    PhoneNumberType.TOLL_FREE: ("toll_free", "a freephone number"),
    PhoneNumberType.SHARED_COST: ("shared_cost", "a shared-cost number"),
    PhoneNumberType.UAN: ("uan", "a non-geographic (UAN) number"),
    PhoneNumberType.MOBILE: ("", "a mobile number"),
    PhoneNumberType.FIXED_LINE: ("", "a landline number"),
    PhoneNumberType.FIXED_LINE_OR_MOBILE: ("", "a mobile or landline number"),
    PhoneNumberType.PERSONAL_NUMBER: ("", "a personal (follow-me) number"),
    PhoneNumberType.VOIP: ("", "an internet (VoIP) number"),
    PhoneNumberType.PAGER: ("", "a pager number"),
    PhoneNumberType.PREMIUM_RATE: ("", "a premium-rate number"),
    PhoneNumberType.VOICEMAIL: ("", "a voicemail number"),
}
_SHORT_CODE = ("short_code", "a short code")


@lru_cache(maxsize=4096)
def phone_reason(value: str, regions: tuple[str, ...], official: frozenset[str]) -> str | None:
    """Why the phone number `value` is personal, or None when every reading of it is an `official` type."""
    readings = _phone_readings(value, regions)
    personal = [reading for reading in readings if reading[0] not in official]
    if readings and not personal:
        return None
    if not personal:
        return "a phone number"
    where: dict[str, list[str]] = {}  # "a mobile number (NZ) or a landline number (AU)" where both read
    for _, words, region in personal:
        where.setdefault(words, []).append(region)
    reason = " or ".join(f"{words} ({', '.join(places)})" for words, places in where.items())
    if all(kind for kind, _, _ in personal):
        reason += ", not one this policy counts as official"
    return reason


@lru_cache(maxsize=4096)
def _phone_readings(value: str, regions: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(official type or "", description, region) for each way `value` reads as a valid number or short code.

    A national number reads differently in each region; a reading counts only when the digits typed are
    how that number is dialled there (`1300 123 456` is an Australian local-rate number, not the British
    landline 01300 123456 with its leading 0 left off). A number is official when every reading is."""
    typed = "".join(_DIGIT.findall(value))
    readings: list[tuple[str, str, str]] = []
    loose: list[tuple[str, str, str]] = []  # readings that need the digits typed differently
    seen_codes: set[int] = set()
    international = value.lstrip("( ").startswith("+")
    for region in regions or REGIONS:
        code = phonenumbers.country_code_for_region(region)
        if code in seen_codes:
            continue  # the US and Canada share +1: one parse reads both (region_code_for_number tells them apart)
        seen_codes.add(code)
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if international:
            seen_codes.update(phonenumbers.country_code_for_region(r) for r in regions or REGIONS)  # same everywhere
        number_type = phonenumbers.number_type(number)  # UNKNOWN exactly when the number is not valid
        if number_type != PhoneNumberType.UNKNOWN:
            (readings if _dialled_as(number, typed, region) else loose).append(_reading(number, number_type))
        elif len(typed) <= 8 and shortnumberinfo.is_valid_short_number_for_region(number, region):
            readings.append((*_SHORT_CODE, region))
    return tuple(dict.fromkeys(readings or loose))


def _reading(number: phonenumbers.PhoneNumber, number_type: int) -> tuple[str, str, str]:
    kind, words = _NUMBER_TYPES.get(number_type, ("", "a phone number"))
    return kind, words, phonenumbers.region_code_for_number(number) or ""


def _dialled_as(number: phonenumbers.PhoneNumber, typed: str, region: str) -> bool:
    """Whether `typed` (digits only) dials `number` (read in `region`): from abroad, or at home with or
    without the trunk prefix."""
    national = str(number.national_number)
    if typed == f"{number.country_code}{national}":
        return True
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)  # its trunk prefix is its country code's
    prefix = metadata.national_prefix if metadata is not None else None
    if prefix and typed == prefix + national:
        return True
    if typed != national:
        return False
    # Typed without a trunk prefix: right where the number is written that way (AU 1800, NANP 10 digits).
    return "".join(_DIGIT.findall(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))) == typed


def phone_windows(text: str) -> list[tuple[int, int]]:
    """Stretches of `text` that may hold a phone number: digit runs with 7+ digits, widened to whole
    whitespace-delimited words so that the matcher still sees what stands around the number.
    PhoneNumberMatcher costs about as much per character as per number, so it only reads these."""
    windows: list[tuple[int, int]] = []
    for run in P.PHONE_RUN.finditer(text):
        if len(_DIGIT.findall(run.group())) < MIN_PHONE_DIGITS:
            continue
        start = max(text.rfind(" ", 0, run.start()), text.rfind("\n", 0, run.start())) + 1
        end = P.NOT_SPACE.match(text, run.end()).end()
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


@lru_cache(maxsize=4096)
def e164_forms(value: str, regions: tuple[str, ...]) -> frozenset[str]:
    """`value` in E.164 form as read in each of `regions` where it is a valid number.

    A national number ("0808 157 0192") may be valid in several regions; every
    reading counts, so its international form ("+44 808 157 0192") is the same
    number whichever region is tried first. An international number reads the
    same everywhere."""
    if len(_DIGIT.findall(value)) < MIN_PHONE_DIGITS:
        return frozenset()
    forms = set()
    for region in regions or REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            forms.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return frozenset(forms)


@lru_cache(maxsize=4096)
def phones_in(window: str, regions: tuple[str, ...]) -> tuple[tuple[int, int, str], ...]:
    """Phone numbers valid in any of `regions` (PhoneNumberMatcher, leniency VALID), de-duplicated.

    Regions are tried in order and the rest skipped once every digit run of the window lies inside a
    number found: another region could only add an overlapping number, which `find` drops anyway.
    Cached: the same numbers (an agency's own) come back in draft after draft."""
    runs = [
        (m.start(), m.end())
        for m in _DIGITS_SPAN.finditer(window)
        if len(_DIGIT.findall(m.group())) >= MIN_PHONE_DIGITS
    ]
    found: dict[tuple[int, int], str] = {}
    for region in _one_region_per_country_code(regions):
        for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID):
            if not _looks_like_other_number(window, m.start, m.end, m.raw_string):
                found.setdefault((m.start, m.end), m.raw_string)
        if found and all(any(s <= a and b <= e for s, e in found) for a, b in runs):
            break
    return tuple((start, end, raw) for (start, end), raw in found.items())


@lru_cache(maxsize=64)
def _one_region_per_country_code(regions: tuple[str, ...]) -> tuple[str, ...]:
    """The first of `regions` for each country code: the US and Canada share +1, and a matcher pass
    reads the same numbers from either (VALID means valid in any region of the code), so the second
    pass over the window (the costliest, NANP's region lookup per candidate) is skipped."""
    firsts: dict[int, str] = {}
    for region in regions:
        firsts.setdefault(phonenumbers.country_code_for_region(region), region)
    return tuple(firsts.values())


def _looks_like_other_number(window: str, start: int, end: int, raw: str) -> bool:
    """A time range, a year-number reference, or digits glued to a reference's letters or hyphens.

    `window` holds whole whitespace-delimited words around the candidate, so
    what it is glued to is in it."""
    if P.TIME_RANGE.fullmatch(raw) or P.YEAR_REFERENCE.fullmatch(raw):
        return True
    return P.GLUED_BEFORE.search(window, 0, start) is not None or P.GLUED_AFTER.match(window, end) is not None
