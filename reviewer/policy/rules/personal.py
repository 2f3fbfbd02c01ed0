"""pii: personal data of the public or of staff (emails, phones, ID numbers, ...)."""

from __future__ import annotations

from typing import Any

from ..pii import PiiDetector, PiiMatch
from .base import CompiledRule, Hit, RuleMeta, Scan
from .lexical import flag_bits


class PiiRule(CompiledRule):
    def __init__(self, meta: RuleMeta, body: Any) -> None:
        super().__init__(meta)
        self.detector = PiiDetector(
            tuple(body.detect),
            regions=tuple(body.regions),
            case_ref_patterns=tuple(body.case_ref_patterns),
            case_ref_flags=flag_bits(body.case_ref_flags),
            allow=tuple(body.allow),
            official_domains=tuple(body.official_domains),
            official_numbers=tuple(body.official_numbers),
        )

    def evaluate(self, scan: Scan) -> Hit | None:
        matches = self.detector.find(scan.text)
        if not matches:
            return None
        return Hit([(m.start, m.end) for m in matches], note=why_personal(matches))


def why_personal(matches: list[PiiMatch]) -> str:
    """What each find is, for the finding's message: "021 555 0199 is a mobile number (NZ)."."""
    return "; ".join(f"{m.value} is {m.reason}" for m in matches) + "."
