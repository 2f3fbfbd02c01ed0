"""The agency's own channels are not personal data: freephone, shared-cost and short numbers, official domains.

Personal mobiles, ordinary landlines and personal email addresses still count,
and each find says why it was treated as personal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_helpers import rule_policy

from reviewer.policy import load_policy
from reviewer.policy.pii import OFFICIAL_NUMBERS, PiiDetector, PiiMatch

POLICIES = Path(__file__).resolve().parents[3] / "policies"
GOV_DOMAINS = ["*.gov.uk", "*.nhs.uk", "*.police.uk", "*.govt.nz", "*.gov.au", "*.gc.ca", "*.canada.ca", "*.gov"]
DETECTOR = PiiDetector(["email", "phone"], official_domains=GOV_DOMAINS)


def found(text: str, detector: PiiDetector = DETECTOR) -> list[tuple[str, str]]:
    return [(m.kind, m.value) for m in detector.find(text)]


# -- official numbers pass ----------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "0800 555 0100", "0808 157 0192", "0800 83 83 83",  # UK freephone (0800 83 83 83: also NZ)
        "0800 543 354", "0508 828 865",  # NZ freephone
        "1800 121 919", "1300 123 456",  # AU freecall; local-rate (shared cost)
        "1-800-555-0199", "1-888-555-0199", "+1 877 555 0100",  # US / CA toll-free
        "0300 123 4567", "0345 600 0000",  # UK non-geographic (UAN), charged as a local call
        "+44 808 157 0192", "+64 800 543 354", "+61 1800 121 919",
    ],
)
def test_freephone_and_shared_cost_numbers_are_official(number: str) -> None:
    assert DETECTOR.find(f"Call us free on {number} any time.") == []


@pytest.mark.parametrize(
    "number", ["111", "999", "101", "105", "000", "911", "988", "311", "211", "119", "116 123", "1737", "13 11 14"]
)
def test_emergency_non_emergency_and_helpline_short_codes_pass(number: str) -> None:
    assert DETECTOR.find(f"In an emergency or for help, call {number}.") == []


def test_a_reply_full_of_official_numbers_passes() -> None:
    text = ("Call 999 in an emergency, 101 otherwise. Samaritans: 116 123. Need to talk? Text 1737. "
            "Lifeline 13 11 14 or 0800 543 354. Our helpline: 0808 157 0192 or 1-800-555-0199.")
    assert DETECTOR.find(text) == []


# -- official emails pass ------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["helpline@service.gov.uk", "info@council.govt.nz", "someone@agency.gov", "contact@gov.uk",
     "Enquiries@Hospital.NHS.UK", "media@met.police.uk", "help@servicesaustralia.gov.au", "info@ircc.canada.ca",
     "questions@cra-arc.gc.ca"],
)
def test_emails_on_official_domains_pass(email: str) -> None:
    assert DETECTOR.find(f"Please email {email} with the details.") == []


@pytest.mark.parametrize(
    "email",
    ["john.smith@gmail.com", "jo@outlook.com", "sam@hotmail.co.uk", "kim@yahoo.com", "lee@icloud.com",
     "pat@example.org", "x@gov.uk.evil.com", "y@notgov.uk", "z@gov.uk-mail.com"],
)
def test_other_emails_still_block_and_say_why(email: str) -> None:
    [match] = DETECTOR.find(f"Please email {email} with the details.")
    assert (match.kind, match.value) == ("email", email)
    domain = email.split("@")[1]
    assert match.reason == f"a personal email address ({domain} is not an official domain)"


def test_without_official_domains_every_email_is_personal() -> None:
    assert found("mail helpline@service.gov.uk", PiiDetector(["email"])) == [("email", "helpline@service.gov.uk")]


def test_bad_official_domain_patterns_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="domain pattern 'https://gov.uk' is not valid"):
        PiiDetector(["email"], official_domains=["https://gov.uk"])
    with pytest.raises(ValueError, match="must be a list of domain patterns"):
        PiiDetector(["email"], official_domains="*.gov.uk")  # type: ignore[arg-type]


# -- personal numbers still block, with the reason --------------------------------


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("07400 123456", "a mobile number (GB)"),
        ("+44 7400 123456", "a mobile number (GB)"),
        ("021 555 0199", "a mobile number (NZ) or a landline number (AU)"),  # (02) 155 50199 in AU
        ("+64 21 555 0199", "a mobile number (NZ)"),
        ("0412 345 678", "a mobile number (AU)"),
        ("+61 412 345 678", "a mobile number (AU)"),
        ("(202) 555-0143", "a mobile or landline number (US)"),  # the US and Canada do not tell them apart
        ("604-555-0123", "a mobile or landline number (CA)"),
        ("020 7946 0958", "a mobile number (NZ) or a landline number (GB)"),
        ("0161 496 0000", "a landline number (GB)"),
        ("09 555 0123", "a landline number (NZ)"),
        ("(03) 9876 5432", "a landline number (AU)"),
    ],
)
def test_mobiles_and_landlines_block_with_a_reason(number: str, reason: str) -> None:
    [match] = DETECTOR.find(f"Call me on {number} tonight")
    assert (match.kind, match.value, match.reason) == ("phone", number, reason)


def test_a_personal_number_next_to_official_ones_is_still_found() -> None:
    text = "Call 999 or 0800 555 0100, or Jo on 021 555 0199."
    assert found(text) == [("phone", "021 555 0199")]


def test_a_policy_can_tighten_which_numbers_are_official() -> None:
    strict = PiiDetector(["phone"], official_numbers=["short_code"])
    [match] = strict.find("Call 0800 555 0100")
    assert match.reason == "a freephone number (NZ, GB), not one this policy counts as official"
    assert strict.find("Call 1300 123 456")[0].reason == (
        "a shared-cost number (AU), not one this policy counts as official"
    )
    assert PiiDetector(["phone"], official_numbers=["toll_free"]).find("Call 0300 123 4567")[0].value == "0300 123 4567"
    assert PiiDetector(["phone"], official_numbers=[]).find("Call 0800 555 0100")[0].value == "0800 555 0100"


def test_official_numbers_default_and_validation() -> None:
    assert set(OFFICIAL_NUMBERS) == {"toll_free", "shared_cost", "uan", "short_code"}
    with pytest.raises(ValueError, match=r"unknown official number type\(s\) 'premium'"):
        PiiDetector(["phone"], official_numbers=["toll_free", "premium"])
    with pytest.raises(ValueError, match="must be a list of number types"):
        PiiDetector(["phone"], official_numbers="toll_free")  # type: ignore[arg-type]


def test_the_reason_is_not_part_of_a_matchs_identity() -> None:
    assert PiiMatch("phone", 0, 3, "abc", "a mobile number (NZ)") == PiiMatch("phone", 0, 3, "abc")


def test_other_kinds_say_what_they_are() -> None:
    [match] = PiiDetector(["card"]).find("card 4111 1111 1111 1111")
    assert match.reason == "a payment card number"


# -- through the policy --------------------------------------------------------


def test_a_pii_rule_reads_official_domains_and_numbers(policy_of) -> None:
    policy = policy_of(rule_policy("kind: pii\ndetect: [email, phone]\nofficial_domains: ['*.govt.nz']"))
    assert policy.check("Call 0800 555 0100 or mail info@council.govt.nz").decision == "pass"
    assert policy.check("Mail jo@gmail.com").decision == "block"
    strict = policy_of(rule_policy("kind: pii\ndetect: [phone]\nofficial_numbers: [uan]"))
    assert strict.check("Call 0800 555 0100").decision == "block"
    assert strict.check("Call 0300 123 4567").decision == "pass"


def test_the_finding_says_why_each_find_is_personal(policy_of) -> None:
    policy = policy_of(rule_policy("kind: pii\ndetect: [email, phone]\nofficial_domains: ['*.gov.uk']"))
    [finding] = policy.check("Call 07400 123456 or mail john.smith@gmail.com; or 0800 555 0100").findings
    assert finding.message == (
        "Fix it. 07400 123456 is a mobile number (GB); "
        "john.smith@gmail.com is a personal email address (gmail.com is not an official domain)."
    )
    assert finding.excerpt == "07400 123456 … john.smith@gmail.com"
    assert set(finding.to_dict()) == {"rule", "title", "kind", "severity", "action", "route", "target", "message", "source",
                                      "spans", "excerpt"}


def test_an_inbound_note_says_why_too(policy_of) -> None:
    policy = policy_of(rule_policy("kind: context\nmatch: {kind: pii, detect: [phone]}"))
    [finding] = policy.check("Thanks, we've hidden your post.", in_reply_to="call me on 021 555 0199").findings
    assert finding.message == "Fix it. 021 555 0199 is a mobile number (NZ) or a landline number (AU)."
    assert policy.check("Thanks", in_reply_to="I rang 0800 555 0100 and 111").findings == ()


def test_a_bad_official_number_type_is_an_error_at_its_line(errors) -> None:
    lines = errors(rule_policy("kind: pii\ndetect: [phone]\nofficial_numbers: [toll_free, freephone]"))
    assert lines == ["policy.yaml:11:35: [r.x] 'official_numbers.1' must be 'toll_free', 'shared_cost', 'uan' or "
                     "'short_code'; got 'freephone'"]


def test_a_bad_official_domain_is_an_error_at_its_line(errors) -> None:
    assert errors(rule_policy("kind: pii\ndetect: [email]\nofficial_domains: ['*.gov.uk', 'https://gov.uk/']")) == [
        "policy.yaml:11:36: [r.x] domain pattern 'https://gov.uk/' is not valid: use a domain ('example.org') "
        "or '*.' and a domain ('*.gov.uk'), without a scheme, path or port"
    ]


def test_the_shipped_policy_lets_official_channels_through() -> None:
    policy = load_policy(POLICIES / "government.yaml", skip_semantic=True)  # pii rules need no encoder
    official = ("Call 0808 157 0192 (free), 999 in an emergency or 101 otherwise, "
                "or email helpline@service.gov.uk or info@council.govt.nz.")
    assert [f.rule for f in policy.check(official).findings if f.rule == "pii.public"] == []
    for personal in ("Call Jo on 07400 123456", "Mail john.smith@gmail.com", "Ring 020 7946 0958"):
        assert "pii.public" in [f.rule for f in policy.check(personal).findings], personal
