"""Every rule kind, declared once: its schema model(s), its evaluator and its documentation.

The loader, the validator, the engine and the docs test read these
declarations; a new kind is one `Kind(...)` entry here plus its model in
schema.py and its evaluator in rules/. tests/unit/policy/test_kinds.py checks
that every kind is complete (models, evaluators, a row in docs/policy-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import schema
from .rules.base import CompiledRule, RuleMeta
from .rules.lexical import RegexRule, TermsRule
from .rules.links import AllowedDomainsRule, LengthRule, LinkCountRule, ShortenersRule
from .rules.personal import PiiRule
from .rules.semantic import SemanticRule
from .rules.style import CapitalsRule, EmojiRunRule, HashtagCaseRule, HashtagCountRule, PunctuationRule
from .rules.toxicity import ToxicityRule


@dataclass(frozen=True)
class Kind:
    """One rule kind.

    checks: check name (None for kinds without `check`) -> (schema model, evaluator).
    match_body: the fields a `context` rule may match with this kind (None: not allowed under `match`).
    doc: the fields, as the docs table states them (first words; the test checks the docs row exists).
    """

    name: str
    checks: dict[str | None, tuple[type[schema.RuleCommon], type[CompiledRule] | None]]
    doc: str
    match_body: type[schema.Model] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def check_names(self) -> tuple[str, ...]:
        return tuple(c for c in self.checks if c is not None)


KINDS: tuple[Kind, ...] = (
    Kind("lexicon", {None: (schema.LexiconRule, TermsRule)}, "terms, whole_word, allow",
         match_body=schema.LexiconFields),
    Kind("regex", {None: (schema.RegexRule, RegexRule)}, "patterns, flags, allow", match_body=schema.RegexFields),
    Kind("pii", {None: (schema.PiiRule, PiiRule)}, "detect, regions, case_ref_patterns, case_ref_flags, allow",
         match_body=schema.PiiFields),
    Kind("links", {"domains": (schema.LinksDomainsRule, AllowedDomainsRule),
                   "shorteners": (schema.LinksShortenersRule, ShortenersRule),
                   "count": (schema.LinksCountRule, LinkCountRule)}, "check: domains | shorteners | count"),
    Kind("length", {None: (schema.LengthRule, LengthRule)}, "limits, link_length"),
    Kind("tone", {"capitals": (schema.ToneCapitalsRule, CapitalsRule),
                  "punctuation": (schema.TonePunctuationRule, PunctuationRule),
                  "phrases": (schema.TonePhrasesRule, TermsRule)}, "check: capitals | punctuation | phrases"),
    Kind("accessibility", {"hashtag_count": (schema.HashtagCountRule, HashtagCountRule),
                           "hashtag_case": (schema.HashtagCaseRule, HashtagCaseRule),
                           "emoji_run": (schema.EmojiRunRule, EmojiRunRule)},
         "check: hashtag_count | hashtag_case | emoji_run"),
    Kind("toxicity", {None: (schema.ToxicityRule, ToxicityRule)}, "thresholds"),
    Kind("topic", {None: (schema.TopicRule, TermsRule)}, "as lexicon; route required",
         match_body=schema.LexiconFields),
    Kind("semantic", {None: (schema.SemanticRule, SemanticRule)}, "like, unlike, threshold, target"),
    # A context rule's evaluator is its match body's kind's (see compile_rule).
    Kind("context", {None: (schema.ContextRule, None)}, "match"),
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
KIND_NAMES: tuple[str, ...] = tuple(BY_NAME)
CHECKS: dict[str, tuple[str, ...]] = {k.name: k.check_names for k in KINDS if k.check_names}
RULE_MODELS: dict[tuple[str, str | None], type[schema.RuleCommon]] = {
    (k.name, check): model for k in KINDS for check, (model, _) in k.checks.items()
}
CONTEXT_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.match_body is not None)
MATCH_MODELS: dict[str, type[schema.Model]] = {k.name: k.match_body for k in KINDS if k.match_body is not None}
_EVALUATORS: dict[type, type[CompiledRule]] = {
    model: evaluator for k in KINDS for model, evaluator in k.checks.values() if evaluator is not None
}


def evaluator_for(model: Any) -> type[CompiledRule]:
    """The evaluator class of a validated rule model (a context rule's: its match body's kind's)."""
    if isinstance(model, schema.ContextRule):
        return BY_NAME[model.body.kind].checks[None][1]  # type: ignore[return-value]
    return _EVALUATORS[type(model)]


def needs_encoder(model: Any) -> bool:
    return bool(evaluator_for(model).needs_encoder)


def targets(model: Any) -> tuple[str, ...]:
    """Which texts a rule reads: ("draft",), ("inbound",) or both."""
    if isinstance(model, schema.ContextRule):
        return ("inbound",)
    target = getattr(model, "target", "draft")
    return ("draft", "inbound") if target == "both" else (target,)


def compile_rule(model: Any, space: Any = None) -> CompiledRule:
    """Build the compiled rule for a validated rule model.

    A context rule compiles its `match` body as a rule of that kind, carrying
    the context rule's own id, severity, action and route. Rules that need
    the encoder get the policy's SemanticSpace (semantic_space.py).
    """
    meta = RuleMeta.from_model(model)
    evaluator = evaluator_for(model)
    body = model.body if isinstance(model, schema.ContextRule) else model
    if evaluator.needs_encoder:
        return evaluator(meta, body, space)  # type: ignore[call-arg]
    return evaluator(meta, body)
