"""Check-digit and format rules for identity and payment numbers (digits only in, bool out)."""

from __future__ import annotations

_IRD_PRIMARY = (3, 2, 7, 6, 5, 4, 3, 2)
_IRD_SECONDARY = (7, 4, 3, 2, 5, 2, 7, 6)
_TFN_9 = (1, 4, 3, 7, 5, 8, 6, 9, 10)
_TFN_8 = (10, 7, 8, 4, 6, 3, 5, 1)

# UK National Insurance prefixes: first letter not D F I Q U V; second not D F I O Q U V;
# and these pairs are never issued.
_NI_FIRST = frozenset("ABCEGHJKLMNOPRSTWXYZ")
_NI_SECOND = frozenset("ABCEGHJKLMNPRSTWXYZ")
_NI_BANNED = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment cards."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _ird_check_digit(base: str, weights: tuple[int, ...]) -> int:
    remainder = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
    return 0 if remainder == 0 else 11 - remainder


def nz_ird_valid(digits: str) -> bool:
    """NZ IRD number: 8 or 9 digits, in range, with Inland Revenue's mod-11 check (secondary weights on 10)."""
    if len(digits) not in (8, 9) or not digits.isdigit():
        return False
    if not 10_000_000 < int(digits) < 150_000_000:
        return False
    padded = digits.zfill(9)
    base, check = padded[:8], int(padded[8])
    expected = _ird_check_digit(base, _IRD_PRIMARY)
    if expected == 10:
        expected = _ird_check_digit(base, _IRD_SECONDARY)
        if expected == 10:
            return False
    return expected == check


def au_tfn_valid(digits: str) -> bool:
    """Australian tax file number: 8 or 9 digits whose weighted sum is divisible by 11."""
    if not digits.isdigit() or len(digits) not in (8, 9):
        return False
    weights = _TFN_9 if len(digits) == 9 else _TFN_8
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def uk_ni_valid(prefix: str) -> bool:
    """The two-letter prefix rules of a UK National Insurance number."""
    prefix = prefix.upper()
    return prefix[0] in _NI_FIRST and prefix[1] in _NI_SECOND and prefix not in _NI_BANNED


def us_ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    return area != "000" and area != "666" and not area.startswith("9") and group != "00" and serial != "0000"
