"""Personal-data detectors: valid and invalid check digits, hard negatives, allow-lists, errors."""

from __future__ import annotations

import phonenumbers
import pytest

from reviewer.policy.pii import PII_KINDS, PiiDetector, PiiMatch

ALL = PiiDetector(PII_KINDS, case_ref_patterns=[r"\bCAS-\d{6}\b"])


def found(detector: PiiDetector, text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.value) for m in detector.find(text)]


def only(kind: str, **options: object) -> PiiDetector:
    return PiiDetector([kind], **options)  # type: ignore[arg-type]


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit to `prefix` (computed here, independently of the detector)."""
    for check in "0123456789":
        digits = [int(d) for d in prefix + check]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return prefix + check
    raise AssertionError("unreachable")


# -- email ------------------------------------------------------------------


@pytest.mark.parametrize("email", ["jo.bloggs@example.co.nz", "first+tag@mail.example.org", "a_b-c@sub.example.com"])
def test_emails_are_found(email: str) -> None:
    assert found(only("email"), f"Write to {email}, thanks") == [("email", email)]


@pytest.mark.parametrize("text", ["thanks @council_nz for the help", "@jo and @sam", "email us @ the office", "a@b"])
def test_mentions_are_not_emails(text: str) -> None:
    assert only("email").find(text) == []


# -- phone ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "number"),
    [
        ("NZ", "021 555 0199"),
        ("NZ", "09 555 0123"),
        ("GB", "020 7946 0958"),
        ("GB", "+44 20 7946 0958"),
        ("AU", "(02) 9876 5432"),
        ("US", "(202) 555-0143"),
        ("CA", "604-555-0123"),
    ],
)
def test_phone_numbers_are_found_for_their_region(region: str, number: str) -> None:
    assert found(only("phone", regions=[region]), f"Call me on {number} tonight") == [("phone", number)]


def test_numbers_from_several_regions_are_found_once_each() -> None:
    text = "NZ 021 555 0199, UK +44 20 7946 0958"
    assert found(only("phone"), text) == [("phone", "021 555 0199"), ("phone", "+44 20 7946 0958")]


@pytest.mark.parametrize("text", ["In 2026", "at 10:30", "1,500 homes", "call 123", "3 Ways to apply", "from 9 to 5"])
def test_short_numbers_are_not_phones(text: str) -> None:
    assert only("phone").find(text) == []


@pytest.mark.parametrize(
    ("allowed", "typed"),
    [
        ("0808 157 0192", "+44 808 157 0192"),  # valid in GB, but NZ is tried first
        ("+44 808 157 0192", "0808 157 0192"),
        ("0808 157 0192", "0808-157-0192"),
        ("0800 555 0100", "+64 800 555 0100"),
        ("(02) 9876 5432", "+61 2 9876 5432"),
    ],
)
def test_an_allowed_number_is_allowed_in_its_national_and_international_forms(allowed: str, typed: str) -> None:
    # official_numbers=[]: these are freephone numbers, which would pass anyway (see test_pii_official.py)
    assert only("phone", allow=[allowed], official_numbers=[]).find(f"Call {typed} today") == []


def test_an_allowed_number_allows_only_itself() -> None:
    detector = only("phone", allow=["0808 157 0192"], official_numbers=[])
    assert found(detector, "Call +44 808 157 0193 today") == [("phone", "+44 808 157 0193")]
    assert found(detector, "Call +64 21 555 0199 today") == [("phone", "+64 21 555 0199")]


@pytest.mark.parametrize(
    "text",
    [
        "Opening hours 0830-1700 weekdays.",
        "Open 0830 - 1700, then 1800-2030 on Thursdays.",
        "Case CC-2027-004512 is with the team.",
        "Order 2027-004512 was sent.",
        "See file ABC/2027/004512.",
        "Ref ABC-021 555 0199",
        "Quote 0215550199-A when you call.",
    ],
)
def test_time_ranges_year_references_and_glued_digit_groups_are_not_phones(text: str) -> None:
    assert only("phone").find(text) == []


@pytest.mark.parametrize(
    "number", ["021 555 0199", "+64 21 555 0199", "(09) 555 0199", "020 7946 0958", "+1 415 555 0100", "021-555-0199"]
)
def test_real_numbers_are_still_phones_next_to_hours_and_references(number: str) -> None:
    text = f"Open 0830-1700 (case CC-2027-004512): call {number}."
    assert found(only("phone"), text) == [("phone", number)]


def test_allowed_numbers_may_be_published_in_any_spelling() -> None:
    detector = only("phone", allow=["0800 123 456"], official_numbers=[])
    assert detector.find("Ring 0800-123-456 or 0800 123 456") == []
    assert only("phone", allow=["+64 800 123 456"], official_numbers=[]).find("Ring 0800 123 456") == []
    assert found(detector, "Ring 0800 654 321") == [("phone", "0800 654 321")]


# -- payment cards ----------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011 1111 1111 1117", luhn_complete("453201511283036")],
)
def test_luhn_valid_cards_are_found(card: str) -> None:
    assert found(only("card"), f"my card is {card} thanks") == [("card", card)]


@pytest.mark.parametrize("card", ["4111 1111 1111 1112", "5555-5555-5555-4445", "1234 5678 9012 3456", "4111 1111 1111"])
def test_cards_with_a_bad_check_digit_or_length_are_not(card: str) -> None:
    assert only("card").find(f"my card is {card} thanks") == []


def test_a_card_inside_a_longer_run_of_numbers_is_still_found() -> None:
    assert found(only("card"), "ref 12 4111 1111 1111 1111") == [("card", "4111 1111 1111 1111")]


# -- UK National Insurance --------------------------------------------------


@pytest.mark.parametrize("ni", ["AB 12 34 56 C", "AB123456C", "ce 12 34 56 a", "JG103759A"])
def test_valid_ni_numbers_are_found(ni: str) -> None:
    assert found(only("uk_ni"), f"NI number {ni}.") == [("uk_ni", ni)]


@pytest.mark.parametrize(
    "ni",
    ["QQ123456C", "DA123456A", "AD123456A", "AO123456A", "GB123456A", "NK123456A", "TN123456A", "ZZ123456A",
     "AB123456E", "AB12345C"],
)
def test_ni_numbers_breaking_the_format_rules_are_not(ni: str) -> None:
    assert only("uk_ni").find(f"NI number {ni}.") == []


# -- US Social Security -----------------------------------------------------


@pytest.mark.parametrize("ssn", ["078-05-1120", "123-45-6789", "123 45 6789"])
def test_ssns_are_found(ssn: str) -> None:
    assert found(only("us_ssn"), f"SSN {ssn}") == [("us_ssn", ssn)]


@pytest.mark.parametrize("ssn", ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567", "123-45-0000", "123-45 6789"])
def test_ssns_in_invalid_ranges_are_not(ssn: str) -> None:
    assert only("us_ssn").find(f"SSN {ssn}") == []


def test_a_bare_nine_digit_ssn_needs_the_word_nearby() -> None:
    assert found(only("us_ssn"), "my SSN is 078051120") == [("us_ssn", "078051120")]
    assert only("us_ssn").find("order 078051120 shipped") == []


# -- NZ IRD (Inland Revenue's published test numbers) -----------------------


@pytest.mark.parametrize("ird", ["49091850", "35901981", "49098576", "136410132", "136-410-132", "49-091-850", "136 410 132"])
def test_valid_ird_numbers_are_found(ird: str) -> None:
    assert found(only("nz_ird"), f"my IRD is {ird}") == [("nz_ird", ird)]


@pytest.mark.parametrize("ird", ["136410133", "49091851", "9125568", "150000007", "12-345-6789"])
def test_ird_numbers_with_a_bad_check_digit_or_range_are_not(ird: str) -> None:
    assert only("nz_ird").find(f"my IRD is {ird}") == []


def test_ird_check_uses_the_secondary_weights() -> None:
    # 9 digits whose primary check digit comes out as 10: the secondary weights decide.
    base = next(
        b for b in (f"{n:08d}" for n in range(10_000_001, 10_100_000))
        if 11 - sum(int(d) * w for d, w in zip(b, (3, 2, 7, 6, 5, 4, 3, 2))) % 11 == 10
    )
    remainder = sum(int(d) * w for d, w in zip(base, (7, 4, 3, 2, 5, 2, 7, 6))) % 11
    check = 0 if remainder == 0 else 11 - remainder
    if check == 10:
        pytest.skip("this base is invalid under both weightings")
    good, bad = base + str(check), base + str((check + 1) % 10)
    assert found(only("nz_ird"), f"IRD {good}") == [("nz_ird", good)]
    assert only("nz_ird").find(f"IRD {bad}") == []


# -- AU TFN -----------------------------------------------------------------


@pytest.mark.parametrize("tfn", ["123 456 782", "876 543 210", "123456782"])
def test_valid_tfns_are_found(tfn: str) -> None:
    assert found(only("au_tfn"), f"TFN {tfn} ok") == [("au_tfn", tfn)]


@pytest.mark.parametrize("tfn", ["123 456 789", "876 543 211", "123 456 78"])
def test_tfns_with_a_bad_check_are_not(tfn: str) -> None:
    assert only("au_tfn").find(f"TFN {tfn} ok") == []


def test_eight_digit_tfns_use_their_own_weights() -> None:
    digits = next(
        f"{n:08d}" for n in range(10_000_000, 10_001_000)
        if sum(int(d) * w for d, w in zip(f"{n:08d}", (10, 7, 8, 4, 6, 3, 5, 1))) % 11 == 0
    )
    assert found(only("au_tfn"), f"TFN {digits}") == [("au_tfn", digits)]


# -- dates of birth ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("I was born on 12/03/1985.", "12/03/1985"),
        ("DOB: 1985-03-12", "1985-03-12"),
        ("my birthday is 12 March 1985", "12 March 1985"),
        ("born March 12, 1985 in Wellington", "March 12, 1985"),
        ("Date of birth 3rd of Sept 1990", "3rd of Sept 1990"),
        ("d.o.b. 12.03.85", "12.03.85"),
        ("12/31/1990 is my birthdate", "12/31/1990"),
    ],
)
def test_dates_near_birth_words_are_found(text: str, date: str) -> None:
    assert found(only("dob"), text) == [("dob", date)]


@pytest.mark.parametrize(
    "text",
    [
        "The consultation closes on 12/03/2026.",
        "Bins are collected on 12 March 2026",
        "I was born on 31/02/1985",  # no such day
        "born in 1985",
        "Our office was borne along... 12/03/1985",
        "I was born in Auckland and moved here later, which is a long story, in 12/03/1985",
    ],
)
def test_other_dates_are_not_dates_of_birth(text: str) -> None:
    assert only("dob").find(text) == []


# -- addresses --------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["14 Smith Street", "Flat 2, 14 Smith Street", "2/14 Kauri Rd", "14A Te Awa Road", "221B Baker Street",
     "Unit 3 7 Queen St", "10 Downing street", "5 Mount Pleasant Crescent", "123 Great North Rd"],
)
def test_street_addresses_are_found(address: str) -> None:
    assert found(only("address"), f"I live at {address}, Auckland") == [("address", address)]


@pytest.mark.parametrize(
    "text",
    ["3 Ways to apply", "We built 1,500 homes on the road", "5 new road signs", "In 2026 Parliament sits",
     "Top tips for the road", "10 miles down the road"],
)
def test_other_numbers_before_words_are_not_addresses(text: str) -> None:
    assert only("address").find(text) == []


# -- case references --------------------------------------------------------


def test_case_reference_patterns_ignore_case_by_default() -> None:
    assert found(only("case_ref", case_ref_patterns=[r"\bCAS-\d{6}\b"]), "ref cas-123456") == [("case_ref", "cas-123456")]
    strict = only("case_ref", case_ref_patterns=[r"\bCAS-\d{6}\b"], case_ref_flags=0)
    assert strict.find("ref cas-123456") == []
    assert found(strict, "ref CAS-123456") == [("case_ref", "CAS-123456")]


def test_case_references_use_the_policy_patterns() -> None:
    detector = only("case_ref", case_ref_patterns=[r"\bCAS-\d{6}\b", r"\bREF/\d{4}/\d{2}\b"])
    assert found(detector, "About CAS-123456 and REF/2026/01, not CAS-12") == [
        ("case_ref", "CAS-123456"),
        ("case_ref", "REF/2026/01"),
    ]


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ([], "no case_ref_patterns"),
        (["CAS-("], r"case_ref pattern 'CAS-\(' is not a valid regular expression"),
        (["x*"], "matches empty text"),
        ([r"(?<![\w-])CAS-\d+"], r"case_ref pattern .* cannot be used: RE2 cannot run a lookbehind"),  # linear time only
    ],
)
def test_bad_case_ref_patterns_are_clear_errors(patterns: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PiiDetector(["case_ref"], case_ref_patterns=patterns)


# -- the detector as a whole ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We built 1,500 homes in 2026. Doors open 10:30 to 4:00.",
        "Thanks @council_nz! 3 Ways to apply: online, by phone, in person.",
        "Consultation closes 12/03/2026; see page 12 of 40.",
        "The A55 and M25 are closed. Shoot us a DM.",
        "",
    ],
)
def test_everyday_drafts_have_no_personal_data(text: str) -> None:
    assert ALL.find(text) == []


def test_finds_are_sorted_non_overlapping_and_the_most_specific_kind_wins() -> None:
    text = "Card 4111 1111 1111 1111, IRD 49-091-850, ref CAS-123456, mail jo@example.org, call 021 555 0199"
    result = ALL.find(text)
    assert [(m.kind, m.value) for m in result] == [
        ("card", "4111 1111 1111 1111"),
        ("nz_ird", "49-091-850"),
        ("case_ref", "CAS-123456"),
        ("email", "jo@example.org"),
        ("phone", "021 555 0199"),
    ]
    assert all(a.end <= b.start for a, b in zip(result, result[1:]))
    assert all(text[m.start : m.end] == m.value for m in result)


def test_allowed_values_are_compared_without_punctuation_or_case() -> None:
    detector = PiiDetector(["email", "address"], allow=["Contact@Council.govt.nz", "1 Civic Square"])
    assert detector.find("mail contact@council.govt.nz or visit 1 Civic Square") == []
    assert detector.find("mail jo@council.govt.nz") == [PiiMatch("email", 5, 23, "jo@council.govt.nz")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"detect": ["email", "passport"]}, r"unknown PII kind\(s\) 'passport'"),
        ({"detect": []}, "detect is empty"),
        ({"detect": "email"}, "must be a list of kinds"),
        ({"detect": ["phone"], "regions": ["NZ", "FR"]}, r"unknown phone region\(s\) 'FR'"),
        ({"detect": ["phone"], "regions": "NZ"}, "must be a list of region codes"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs: dict[str, object], message: str) -> None:
    detect = kwargs.pop("detect")
    with pytest.raises(ValueError, match=message):
        PiiDetector(detect, **kwargs)  # type: ignore[arg-type]


def test_an_allowed_value_is_not_reported_as_another_kind_either() -> None:
    detect = ["case_ref", "au_tfn"]
    patterns = [r"\b\d{3} \d{3} \d{3}\b"]
    assert found(PiiDetector(detect, case_ref_patterns=patterns), "ref 123 456 782") == [("case_ref", "123 456 782")]
    assert PiiDetector(detect, case_ref_patterns=patterns, allow=["123-456-782"]).find("ref 123 456 782") == []


NUMBERS_OF_EVERY_REGION = [
    "021 555 0199", "+64 21 555 0199", "09 555 0123", "0800 83 83 83", "020 7946 0958", "+44 20 7946 0958",
    "07700 900123", "(02) 9876 5432", "1800 121 919", "0412 345 678", "+61 412 345 678", "(202) 555-0143",
    "1-800-555-0199", "+1 604 555 0123", "604-555-0123",
]


def all_regions_every_time(text: str) -> list[tuple[int, int]]:
    """What PhoneNumberMatcher finds with every region, overlaps resolved longest first (as find does)."""
    spans = {
        (m.start, m.end)
        for region in ("NZ", "GB", "AU", "US", "CA")
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    }
    chosen: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if not any(start < e and s < end for s, e in chosen):
            chosen.append((start, end))
    return sorted(chosen)


@pytest.mark.parametrize("index", range(len(NUMBERS_OF_EVERY_REGION)))
def test_stopping_once_a_window_is_covered_finds_what_every_region_finds(index: int) -> None:
    number = NUMBERS_OF_EVERY_REGION[index]
    other = NUMBERS_OF_EVERY_REGION[(index * 7 + 3) % len(NUMBERS_OF_EVERY_REGION)]
    for text in (f"Open 24/7 {number} now", f"{number} or {other}", f"{number} {other}", f"In 2026 {number}/{other}"):
        found_spans = [(m.start, m.end) for m in only("phone", official_numbers=[]).find(text)]
        assert found_spans == all_regions_every_time(text), text


def test_a_phone_window_is_read_once_per_country_code(monkeypatch) -> None:
    """US and CA share +1: one matcher pass reads both (the NANP pass is the costliest per character;
    issue 15 item 14: 20,000 characters of "021 555 " cost a pass per region)."""
    import phonenumbers

    from reviewer.policy import phones, pii

    passes: list[str] = []
    real = phonenumbers.PhoneNumberMatcher

    def counting(text: str, region: str, **kwargs: object):
        passes.append(region)
        return real(text, region, **kwargs)

    monkeypatch.setattr(phonenumbers, "PhoneNumberMatcher", counting)
    phones.phones_in.cache_clear()
    detector = pii.PiiDetector(["phone"])
    assert detector.find("021 555 " * 50) == []
    assert passes == ["NZ", "GB", "AU", "US"]
    passes.clear()
    found = pii.PiiDetector(["phone"], regions=["US", "CA"]).find("Call me on (416) 555-0199 tonight")
    assert [m.value for m in found] == ["(416) 555-0199"] and passes == ["US"]  # a Canadian number, read in the +1 pass
    phones.phones_in.cache_clear()
