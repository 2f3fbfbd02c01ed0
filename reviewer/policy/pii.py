"""Find personal data in a draft: contact details, identity numbers, dates of birth, addresses.

Each kind has its own detector; numbers are only reported when their check
digits or format rules hold (Luhn for cards, Inland Revenue's mod-11 for NZ
IRD numbers, the ATO's weighted mod-11 for TFNs, HMRC's prefix rules for NI
numbers, the SSA's area/group/serial rules for SSNs). Phone numbers come from
`phonenumbers` (leniency VALID) for each region asked for. Overlapping finds
are resolved in favour of the most specific kind (see `_PRIORITY`).

`allow` values (the agency's own 0800 number, its contact address) are
compared after removing spaces and punctuation, case-insensitively; phone
numbers are also compared in E.164 form as read in every configured region
where they are valid, so "0808 157 0192" allows "+44 808 157 0192" (and
"+64 800 123 456" allows "0800 123 456") whichever region is tried first.

Official channels are not personal data. A phone number passes when every
reading of it, as it would be dialled in a configured region, is one of the
`official_numbers` types (freephone, shared-cost, non-geographic UAN, short
code): "1300 123 456" is an Australian local-rate number, not the British
landline 01300 123456 with its 0 left off. Emergency and
helpline short codes (111, 999, 911, 116 123, 1737, 13 11 14) are below the
phone detector's length floor and are never reported. An email passes when its
domain matches one of `official_domains` (patterns as for links rules:
"*.gov.uk"). Every other find carries a `reason` saying why it counts as
personal ("a mobile number (NZ)"). None of this runs unless there is a find.
Phone numbers are found and read in `phones.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ._text import pii_patterns as P
from ._text.literals import required_literal_sets
from .patterns import PatternError, PatternSyntaxError, PolicyPattern, compile_pattern
from ._text.checks import au_tfn_valid, luhn_valid, nz_ird_valid, uk_ni_valid, us_ssn_valid
from .phones import MIN_PHONE_DIGITS, e164_forms, phone_reason, phone_windows, phones_in
from .schema import REGIONS
from .urls import domain_pattern_problem, host_matches

__all__ = ["OFFICIAL_NUMBERS", "PII_KINDS", "PiiDetector", "PiiMatch"]

PII_KINDS = ("email", "phone", "card", "uk_ni", "us_ssn", "nz_ird", "au_tfn", "dob", "address", "case_ref")
# Phone-number types that are an organisation's channels, not a person's.
OFFICIAL_NUMBERS = ("toll_free", "shared_cost", "uan", "short_code")

# Most specific first: where finds overlap, the earlier kind wins.
_PRIORITY = ("case_ref", "email", "card", "uk_ni", "us_ssn", "nz_ird", "au_tfn", "dob", "phone", "address")
_RANK = {kind: rank for rank, kind in enumerate(_PRIORITY)}

_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """Personal data found in a draft: its kind, [start, end) into the typed text, the text,
    and why it counts as personal ("a mobile number (NZ)"; not part of its identity)."""

    kind: str
    start: int
    end: int
    value: str
    reason: str = field(default="", compare=False)


def _allow_key(value: str) -> str:
    return _NOT_ALNUM.sub("", value).casefold()


def _check_choices(field: str, what: str, noun: str, values: Sequence[str], allowed: Sequence[str]) -> None:
    """Raise ValueError when `values` is one string, or names something outside `allowed`."""
    if isinstance(values, str):
        raise ValueError(f"{field} must be {what}, not the string {values!r}")
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValueError(f"unknown {noun} {', '.join(map(repr, unknown))}; use any of: {', '.join(allowed)}")


class PiiDetector:
    """The personal-data detectors a policy rule asks for, compiled once."""

    def __init__(
        self,
        detect: Collection[str],
        *,
        regions: Sequence[str] = REGIONS,
        case_ref_patterns: Sequence[str] = (),
        case_ref_flags: int = re.IGNORECASE,
        allow: Sequence[str] = (),
        official_domains: Sequence[str] = (),
        official_numbers: Collection[str] = OFFICIAL_NUMBERS,
    ) -> None:
        if isinstance(detect, str):
            raise ValueError(f"detect must be a list of kinds, not the string {detect!r}")
        unknown = [kind for kind in detect if kind not in PII_KINDS]
        if unknown:
            raise ValueError(f"unknown PII kind(s) {', '.join(map(repr, unknown))}; use any of: {', '.join(PII_KINDS)}")
        if not detect:
            raise ValueError(f"detect is empty; name at least one of: {', '.join(PII_KINDS)}")
        _check_choices("regions", "a list of region codes", "phone region(s)", regions, REGIONS)
        _check_choices("official_numbers", "a list of number types", "official number type(s)", official_numbers,
                       OFFICIAL_NUMBERS)
        if isinstance(official_domains, str):
            raise ValueError(f"official_domains must be a list of domain patterns, not the string {official_domains!r}")
        for pattern in official_domains:
            problem = domain_pattern_problem(pattern)
            if problem:
                raise ValueError(problem)
        self.kinds = frozenset(detect)
        self._counts_digits = any(_MIN_DIGITS[kind] for kind in self.kinds)  # case_ref alone needs no count
        self.regions = tuple(dict.fromkeys(regions))
        self._case_refs = self._compile_case_refs(case_ref_patterns, case_ref_flags) if "case_ref" in self.kinds else ()
        self._allowed = frozenset(_allow_key(value) for value in allow) - {""}
        self._allowed_phones = frozenset().union(*(e164_forms(value, self.regions) for value in allow))
        self.official_numbers = frozenset(official_numbers)
        self.official_domains = tuple(dict.fromkeys(official_domains))

    @staticmethod
    def _compile_case_refs(
        patterns: Sequence[str], flags: int
    ) -> tuple[tuple[PolicyPattern, tuple[frozenset[str], ...]], ...]:
        """The policy's case-reference regexes (Python syntax, run by RE2: see .patterns),
        case-insensitive unless `flags` says otherwise."""
        if isinstance(patterns, str) or not patterns:
            raise ValueError(
                "detect names case_ref but no case_ref_patterns are given; add the reference format as a regex"
            )
        compiled = []
        for pattern in patterns:
            try:
                regex = compile_pattern(pattern, flags)
            except PatternSyntaxError as exc:
                raise ValueError(f"case_ref pattern {pattern!r} is not a valid regular expression: {exc}") from None
            except PatternError as exc:
                raise ValueError(f"case_ref pattern {pattern!r} cannot be used: {exc}") from None
            compiled.append((regex, required_literal_sets(pattern, flags)))
        return tuple(compiled)

    def find(self, text: str) -> list[PiiMatch]:
        """Personal data in `text`: sorted by position, non-overlapping, each with its reason;
        allow-listed values and official numbers and addresses left out."""
        if not isinstance(text, str):
            raise TypeError(f"PiiDetector.find() needs a str, got {type(text).__name__}")
        candidates: list[PiiMatch] = []
        digits = len(_DIGIT.findall(text)) if self._counts_digits and _DIGIT.search(text) else 0
        for kind in self.kinds:
            if digits >= _MIN_DIGITS[kind]:
                candidates.extend(_DETECTORS[kind](self, text))
        if not candidates:
            return []
        taken: list[tuple[PiiMatch, str | None]] = []  # an allowed or official value still claims its characters
        for match in sorted(candidates, key=lambda m: (_RANK[m.kind], m.start - m.end, m.start)):
            if any(match.start < other.end and other.start < match.end for other, _ in taken):
                continue
            taken.append((match, None if self._is_allowed(match) else self._why_personal(match)))
        return sorted(
            (PiiMatch(m.kind, m.start, m.end, m.value, reason) for m, reason in taken if reason is not None),
            key=lambda m: (m.start, m.end),
        )

    def _why_personal(self, match: PiiMatch) -> str | None:
        """Why `match` counts as personal data, or None when it is an official number or address."""
        if match.kind == "phone":
            return phone_reason(match.value, self.regions, self.official_numbers)
        if match.kind == "email":
            domain = match.value.rpartition("@")[2]
            if _official_domain(domain, self.official_domains):
                return None
            return f"a personal email address ({domain.lower()} is not an official domain)"
        return _KIND_REASONS[match.kind]

    def _is_allowed(self, match: PiiMatch) -> bool:
        if _allow_key(match.value) in self._allowed:
            return True
        if match.kind != "phone" or not self._allowed_phones:
            return False
        return not self._allowed_phones.isdisjoint(e164_forms(match.value, self.regions))

    # Detectors: each yields candidate matches of its kind.

    def _emails(self, text: str) -> Iterator[PiiMatch]:
        if "@" not in text:
            return
        for m in P.EMAIL.finditer(text):
            yield PiiMatch("email", m.start(), m.end(), m.group())

    def _phones(self, text: str) -> Iterator[PiiMatch]:
        seen: set[tuple[int, int]] = set()
        for window_start, window_end in phone_windows(text):
            for start, end, raw in phones_in(text[window_start:window_end], self.regions):
                span = (window_start + start, window_start + end)
                if span not in seen:
                    seen.add(span)
                    yield PiiMatch("phone", span[0], span[1], raw)

    def _cards(self, text: str) -> Iterator[PiiMatch]:
        for run in P.DIGIT_RUN.finditer(text):
            groups = [(g.start(), g.end()) for g in P.DIGIT_GROUP.finditer(run.group())]
            if sum(b - a for a, b in groups) < 13:
                continue
            found = _card_in_groups(run.group(), groups)
            if found:
                a, b = found
                yield PiiMatch("card", run.start() + a, run.start() + b, run.group()[a:b])

    def _uk_ni(self, text: str) -> Iterator[PiiMatch]:
        for m in P.UK_NI.finditer(text):
            if uk_ni_valid(m.group(1)):
                yield PiiMatch("uk_ni", m.start(), m.end(), m.group())

    def _us_ssn(self, text: str) -> Iterator[PiiMatch]:
        for m in P.US_SSN.finditer(text):
            if us_ssn_valid(m.group(1), m.group(3), m.group(4)):
                yield PiiMatch("us_ssn", m.start(), m.end(), m.group())
        words = [w.span() for w in P.SSN_WORDS.finditer(text)]
        if words:
            for m in P.US_SSN_BARE.finditer(text):
                if us_ssn_valid(*m.groups()) and _near(words, m.start(), m.end(), P.BIRTH_WINDOW):
                    yield PiiMatch("us_ssn", m.start(), m.end(), m.group())

    def _tax_numbers(self, text: str, kind: str) -> Iterator[PiiMatch]:
        valid = nz_ird_valid if kind == "nz_ird" else au_tfn_valid
        for m in P.TAX_NUMBER.finditer(text):
            if valid(m.group(1) + m.group(3) + m.group(4)):
                yield PiiMatch(kind, m.start(), m.end(), m.group())

    def _nz_ird(self, text: str) -> Iterator[PiiMatch]:
        return self._tax_numbers(text, "nz_ird")

    def _au_tfn(self, text: str) -> Iterator[PiiMatch]:
        return self._tax_numbers(text, "au_tfn")

    def _dates_of_birth(self, text: str) -> Iterator[PiiMatch]:
        lowered = text.lower()
        if not any(hint in lowered for hint in P.BIRTH_HINTS):
            return
        words = [w.span() for w in P.BIRTH_WORDS.finditer(text)]
        if not words:
            return
        for start, end in _dates(text):
            if _near(words, start, end, P.BIRTH_WINDOW):
                yield PiiMatch("dob", start, end, text[start:end])

    def _addresses(self, text: str) -> Iterator[PiiMatch]:
        for m in P.ADDRESS.finditer(text):
            yield PiiMatch("address", m.start(), m.end(), m.group())

    def _case_references(self, text: str) -> Iterator[PiiMatch]:
        lowered = text.lower() if text.isascii() else None
        for regex, need in self._case_refs:
            if lowered is not None and not all(any(s in lowered for s in literals) for literals in need):
                continue  # lacks a literal the pattern cannot match without (see _text.literals)
            for start, end in regex.spans(text):
                yield PiiMatch("case_ref", start, end, text[start:end])


_DETECTORS = {
    "email": PiiDetector._emails,
    "phone": PiiDetector._phones,
    "card": PiiDetector._cards,
    "uk_ni": PiiDetector._uk_ni,
    "us_ssn": PiiDetector._us_ssn,
    "nz_ird": PiiDetector._nz_ird,
    "au_tfn": PiiDetector._au_tfn,
    "dob": PiiDetector._dates_of_birth,
    "address": PiiDetector._addresses,
    "case_ref": PiiDetector._case_references,
}
# The fewest digits a text must have for each kind to be worth looking for.
_MIN_DIGITS = {
    "email": 0, "case_ref": 0, "address": 1, "dob": 2, "uk_ni": 6, "phone": MIN_PHONE_DIGITS,
    "nz_ird": 8, "au_tfn": 8, "us_ssn": 9, "card": 13,
}


_KIND_REASONS = {
    "card": "a payment card number",
    "uk_ni": "a National Insurance number",
    "us_ssn": "a Social Security number",
    "nz_ird": "an IRD number",
    "au_tfn": "a tax file number",
    "dob": "a date of birth",
    "address": "a street address",
    "case_ref": "a case reference",
}
@lru_cache(maxsize=1024)
def _official_domain(domain: str, patterns: tuple[str, ...]) -> bool:
    return any(host_matches(domain, pattern) for pattern in patterns)


def _card_in_groups(run: str, groups: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The longest (then earliest) stretch of whole digit groups that is a Luhn-valid card number."""
    best: tuple[int, int] | None = None
    for i in range(len(groups)):
        digits = ""
        for j in range(i, len(groups)):
            digits += run[groups[j][0] : groups[j][1]]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and digits[0] in "23456" and luhn_valid(digits):
                span = (groups[i][0], groups[j][1])
                if best is None or span[1] - span[0] > best[1] - best[0]:
                    best = span
    return best


def _near(words: list[tuple[int, int]], start: int, end: int, window: int) -> bool:
    return any(w_start - end <= window and start - w_end <= window for w_start, w_end in words)


def _dates(text: str) -> Iterator[tuple[int, int]]:
    """Spans of real calendar dates in the common written formats."""
    for m in P.DATE_NUMERIC.finditer(text):
        first, second, year = int(m.group(1)), int(m.group(3)), _full_year(m.group(4))
        if _is_date(year, second, first) or _is_date(year, first, second):
            yield m.span()
    for m in P.DATE_ISO.finditer(text):
        if _is_date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            yield m.span()
    for m in P.DATE_DAY_MONTH.finditer(text):
        if _is_date(int(m.group(3)), P.MONTH_NUMBERS[m.group(2).lower()], int(m.group(1))):
            yield m.span()
    for m in P.DATE_MONTH_DAY.finditer(text):
        if _is_date(int(m.group(3)), P.MONTH_NUMBERS[m.group(1).lower()], int(m.group(2))):
            yield m.span()


def _full_year(digits: str) -> int:
    return int(digits) if len(digits) == 4 else 1900 + int(digits) if int(digits) > 30 else 2000 + int(digits)


def _is_date(year: int, month: int, day: int) -> bool:
    if not 1890 <= year <= 2100:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True
