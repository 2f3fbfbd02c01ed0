"""Rule kinds: each compiles its config once and evaluates a scanned text.

Which evaluator belongs to which kind is declared in reviewer/policy/kinds.py.
"""

from __future__ import annotations

from .base import CompiledRule, Hit, RuleMeta, Scan, Span
from .links import LengthRule, canonical_platform
from .toxicity import ToxicityRule

__all__ = ["CompiledRule", "Hit", "LengthRule", "RuleMeta", "Scan", "Span", "ToxicityRule", "canonical_platform"]
