"""The policy file schema (v1) as pydantic models.

Every model forbids unknown keys, so a typo is an error rather than a rule
that silently does nothing. A rule is validated by the model of its `kind`
(and, for kinds with several checks, its `check`), chosen in loader.py, so
that errors point at the rule's own fields. Which model belongs to which
kind (and check), and which evaluator runs it, is declared once in kinds.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reviewer.vocabulary import DECISIONS, PLATFORM_NAMES

SEVERITIES = ("low", "medium", "high", "critical")
ACTIONS = ("note", "review", "block")
TARGETS = ("draft", "inbound", "both")
REGEX_FLAGS = ("ignorecase", "multiline", "dotall", "verbose")
PII_DETECT = ("email", "phone", "card", "uk_ni", "us_ssn", "nz_ird", "au_tfn", "dob", "address", "case_ref")
REGIONS = ("NZ", "GB", "AU", "US", "CA")

# Allowed values by field name, for "did you mean" hints on enum errors.
ENUMS: dict[str, tuple[str, ...]] = {
    "severity": SEVERITIES,
    "action": ACTIONS,
    "expect": DECISIONS,
    "platform": PLATFORM_NAMES,
    "limits": PLATFORM_NAMES,
    "link_length": PLATFORM_NAMES,
    "target": TARGETS,
    "flags": REGEX_FLAGS,
    "case_ref_flags": REGEX_FLAGS,
    "detect": PII_DETECT,
    "regions": REGIONS,
    "schema": ("1",),
}

Severity = Literal[SEVERITIES]  # Literal of a tuple: the same as naming each value
Action = Literal[ACTIONS]
Platform = Literal[PLATFORM_NAMES]
Decision = Literal[DECISIONS]
Name = Annotated[str, Field(min_length=1)]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
Terms = Annotated[list[Name], Field(min_length=1)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the policy's top level -------------------------------------------------


class Defaults(Model):
    route: Name | None = None


class Period(Model):
    name: Name
    kind: Name
    start: dt.date
    end: dt.date


class Example(Model):
    text: str
    expect: Decision
    rules: list[Name] | None = None
    routes: list[Name] | None = None
    platform: Platform | None = None
    date: dt.date | None = None
    in_reply_to: str | None = None
    # Fixed toxicity scores to check this example with (instead of the scorer's): tests the toxicity rules.
    scores: dict[Name, Annotated[float, Field(ge=0, le=1)]] | None = None


class SemanticSettings(Model):
    """`semantic:` at the top of a policy: what its semantic rules learn from besides their own examples."""

    # Ordinary replies that no semantic rule should fire on (negatives for every rule).
    neutral: list[Name] = []
    # The share of negative examples a rule may fire on in cross-validation; sets each rule's threshold.
    false_alarm_rate: Annotated[float, Field(gt=0, lt=0.5)] | None = None


class PolicyHeader(Model):
    """The top level of one file; periods, rules and examples are checked item by item."""

    schema_: Literal[1] = Field(1, alias="schema")
    id: Annotated[str, Field(pattern=r"^[a-z0-9_.-]+$")] | None = None
    version: Name | None = None
    title: str | None = None
    description: str | None = None
    extends: Name | None = None
    timezone: Name | None = None
    defaults: Defaults | None = None
    semantic: SemanticSettings | None = None
    periods: list[Any] = []
    rules: list[Any] = []
    examples: list[Any] = []


# --- rules -------------------------------------------------------------------


class Escalation(Model):
    during: Name
    action: Action | None = None
    severity: Severity | None = None
    route: Name | None = None
    approvals: PositiveInt | None = None


class RuleCommon(Model):
    """Fields every rule has, whatever its kind."""

    id: RuleId
    title: Name | None = None  # what staff read as the finding's heading (default: made from the id)
    kind: str
    severity: Severity
    action: Action
    route: Name | None = None
    approvals: PositiveInt = 1
    message: Name
    source: Name
    during: Name | None = None
    escalate: list[Escalation] = []
    enabled: bool = True


class Disabled(Model):
    """`{id: x, enabled: false}`: switch off a rule inherited through `extends`."""

    id: RuleId
    enabled: Literal[False]


# Kind-specific fields: shared by whole rules and by `context.match` bodies.


class LexiconFields(Model):
    kind: str
    terms: Terms
    whole_word: bool = True
    allow: list[Name] = []


class RegexFields(Model):
    kind: str
    patterns: Annotated[list[Name], Field(min_length=1)]
    flags: list[Literal[REGEX_FLAGS]] = ["ignorecase"]
    allow: list[Name] = []  # patterns whose matches cancel the matches of `patterns` they overlap


class PiiFields(Model):
    kind: str
    detect: Annotated[
        list[Literal[PII_DETECT]],
        Field(min_length=1),
    ]
    regions: list[Literal[REGIONS]] = list(REGIONS)
    case_ref_patterns: list[Name] = []
    # As a regex rule's `flags`: case-insensitive unless `case_ref_flags: []`.
    case_ref_flags: list[Literal[REGEX_FLAGS]] = ["ignorecase"]
    allow: list[Name] = []
    # Emails on these domains are official, not personal (patterns as links `allowed_domains`: "*.gov.uk").
    official_domains: list[Name] = []
    # Phone-number types that are an organisation's channels; a policy may list fewer to be stricter.
    official_numbers: list[Literal["toll_free", "shared_cost", "uan", "short_code"]] = [
        "toll_free", "shared_cost", "uan", "short_code"
    ]


class LexiconRule(RuleCommon, LexiconFields):
    pass


class RegexRule(RuleCommon, RegexFields):
    pass


class PiiRule(RuleCommon, PiiFields):
    pass


class TopicRule(RuleCommon, LexiconFields):
    route: Name
    action: Action = "review"


class LinksDomainsRule(RuleCommon):
    check: Literal["domains"]
    allowed_domains: Annotated[list[Name], Field(min_length=1)]


class LinksShortenersRule(RuleCommon):
    check: Literal["shorteners"]
    domains: list[Name] | None = None


class LinksCountRule(RuleCommon):
    check: Literal["count"]
    max: NonNegativeInt


class LengthRule(RuleCommon):
    limits: dict[Platform, PositiveInt] = {}
    link_length: dict[Platform, NonNegativeInt] = {}


class ToneCapitalsRule(RuleCommon):
    check: Literal["capitals"]
    max_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    min_letters: PositiveInt = 12


class TonePunctuationRule(RuleCommon):
    check: Literal["punctuation"]
    max_run: PositiveInt = 2


class TonePhrasesRule(RuleCommon, LexiconFields):
    check: Literal["phrases"]


class HashtagCountRule(RuleCommon):
    check: Literal["hashtag_count"]
    max: NonNegativeInt = 3


class HashtagCaseRule(RuleCommon):
    check: Literal["hashtag_case"]


class EmojiRunRule(RuleCommon):
    check: Literal["emoji_run"]
    max: PositiveInt = 3


class ToxicityRule(RuleCommon):
    thresholds: Annotated[dict[Name, Annotated[float, Field(ge=0, le=1)]], Field(min_length=1)]


class SemanticRule(RuleCommon):
    """Sentences that read like `like` and not like `unlike`, by sentence-encoder similarity."""

    like: Annotated[list[Name], Field(min_length=1)]
    unlike: list[Name] = []
    # The classifier score above which a sentence fires (about -1 to 1); None: chosen at load by
    # cross-validation (see `false_alarm_rate`).
    threshold: float | None = None
    # This rule's own share of negatives it may fire on (instead of the policy's `semantic.false_alarm_rate`):
    # higher where a miss costs more than a second look, as for safeguarding.
    false_alarm_rate: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    target: Literal["draft", "inbound", "both"] = "draft"


class SemanticExamples(Model):
    like: list[Name] = []
    unlike: list[Name] = []


class SemanticAddition(Model):
    """`{id: x, add: {like: [...], unlike: [...]}}`: more examples for a semantic rule inherited through `extends`."""

    id: RuleId
    add: SemanticExamples


class ContextRule(RuleCommon):
    match: dict[str, Any]
    # `action` may be left out when the match is a topic (it defaults to review).
    action: Action | None = None  # type: ignore[assignment]
    # The validated body of `match`, filled in by the loader.
    body: LexiconFields | RegexFields | PiiFields | None = None


def field_names(model: type[BaseModel]) -> list[str]:
    """The keys a YAML mapping may use for `model` (aliases where set)."""
    return [info.alias or name for name, info in model.model_fields.items() if name != "body"]
