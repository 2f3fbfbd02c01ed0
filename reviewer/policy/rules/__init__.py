"""Rule kinds: each compiles its config once and evaluates a scanned text."""

from __future__ import annotations

from typing import Any

from .. import schema
from .base import CompiledRule, RuleMeta, Scan, Span
from .lexical import RegexRule, TermsRule
from .links import AllowedDomainsRule, LengthRule, LinkCountRule, ShortenersRule, canonical_platform
from .personal import PiiRule
from .style import CapitalsRule, EmojiRunRule, HashtagCaseRule, HashtagCountRule, PunctuationRule
from .toxicity import ToxicityRule

__all__ = ["CompiledRule", "RuleMeta", "Scan", "Span", "ToxicityRule", "canonical_platform", "compile_rule"]

_BY_MODEL: dict[type, type[CompiledRule]] = {
    schema.LexiconRule: TermsRule,
    schema.TopicRule: TermsRule,
    schema.TonePhrasesRule: TermsRule,
    schema.RegexRule: RegexRule,
    schema.PiiRule: PiiRule,
    schema.LinksDomainsRule: AllowedDomainsRule,
    schema.LinksShortenersRule: ShortenersRule,
    schema.LinksCountRule: LinkCountRule,
    schema.LengthRule: LengthRule,
    schema.ToneCapitalsRule: CapitalsRule,
    schema.TonePunctuationRule: PunctuationRule,
    schema.HashtagCountRule: HashtagCountRule,
    schema.HashtagCaseRule: HashtagCaseRule,
    schema.EmojiRunRule: EmojiRunRule,
    schema.ToxicityRule: ToxicityRule,
}

_BY_BODY: dict[str, type[CompiledRule]] = {
    "lexicon": TermsRule,
    "topic": TermsRule,
    "regex": RegexRule,
    "pii": PiiRule,
}


def compile_rule(model: Any) -> CompiledRule:
    """Build the compiled rule for a validated rule model.

    A context rule compiles its `match` body as a rule of that kind, carrying
    the context rule's own id, severity, action and route.
    """
    meta = RuleMeta.from_model(model)
    if isinstance(model, schema.ContextRule):
        return _BY_BODY[model.body.kind](meta, model.body)
    return _BY_MODEL[type(model)](meta, model)
