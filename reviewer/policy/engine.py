"""The compiled policy and its decision: draft in, Verdict out.

All lexicon-like terms of a policy (lexicon, topic, tone phrases) share one
LexiconMatcher keyed by rule id, so each text is normalised and scanned once;
context rules have their own matcher for the post being answered. Compiled
policies are cached by the sha256 of their resolved content.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from reviewer.vocabulary import PLATFORM_NAMES

from . import kinds, schema
from .lexicon import LexiconMatcher
from .periods import Period, active_periods, local_date, selector_active
from .rules.base import CompiledRule, Hit, RuleMeta, Scan, Span
from .rules.links import LengthRule, canonical_platform
from .rules.toxicity import ToxicityRule
from .rules import semantic
from .rules.lexical import LiteralFinder
from .semantic_space import SemanticSpace
from .verdict import FINDING_TARGETS, Finding, PolicyRef, ScorerRef, Verdict, default_title, excerpt_of, merge_spans

ACTION_RANK = {"note": 0, "review": 1, "block": 2}
DECISION_BY_RANK = {0: "pass", 1: "review", 2: "block"}


@runtime_checkable
class Scorer(Protocol):
    """Anything that scores texts for toxicity labels (see reviewer.toxicity)."""

    name: str
    version: str
    labels: tuple[str, ...]

    def score(self, texts: list[str]) -> list[dict[str, float]]: ...


@dataclass(frozen=True)
class Draft:
    """One text to check, with what the rules may need to know about it."""

    text: str
    platform: str | None = None
    date: dt.date | dt.datetime | None = None
    in_reply_to: str | None = None


@dataclass(frozen=True)
class _RuleSet:
    """The rules for one target (draft or in_reply_to) and their shared matcher.

    Term rules (lexicon, topic, tone phrases) fire exactly when the matcher
    reports their id, so only the ids it reports are looked at; the other
    rules are evaluated one by one.
    """

    rules: tuple[CompiledRule, ...]
    matcher: LexiconMatcher | None
    term_rules: dict[str, tuple[int, CompiledRule]]
    other_rules: tuple[tuple[int, CompiledRule], ...]
    literal_finder: LiteralFinder | None  # the regex rules' literals, found in one pass per text
    other_rules_during: tuple[tuple[int, CompiledRule, str | None], ...]  # other_rules with their `during`

    @classmethod
    def build(cls, rules: list[CompiledRule]) -> _RuleSet:
        entries = [e for rule in rules for e in rule.lexicon_entries()]
        literals = set().union(*(rule.required_literals() for rule in rules))
        return cls(
            rules=tuple(rules),
            matcher=LexiconMatcher(entries) if entries else None,
            literal_finder=LiteralFinder(literals) if literals else None,
            term_rules={r.meta.id: (i, r) for i, r in enumerate(rules) if r.reads_hits},
            other_rules=tuple((i, r) for i, r in enumerate(rules) if not r.reads_hits),
            other_rules_during=tuple((i, r, r.meta.during) for i, r in enumerate(rules) if not r.reads_hits),
        )


@dataclass(frozen=True)
class _Compiled:
    """What is shared by every load of the same resolved policy content."""

    id: str
    version: str
    sha256: str
    title: str | None
    description: str | None
    zone: ZoneInfo
    default_route: str | None
    periods: tuple[Period, ...]
    draft: _RuleSet
    context: _RuleSet
    required_labels: frozenset[str]
    encoder: Any  # the sentence encoder its semantic rules were built with (None: it has none)


_CACHE: dict[tuple[str, str | None], _Compiled] = {}  # (policy sha256, encoder digest)
_CACHE_LOCK = threading.Lock()


def _compile(resolved: Any, sha256: str, encoder: Any) -> _Compiled:
    rules: list[CompiledRule] = []
    context_rules: list[CompiledRule] = []
    semantic_models = [i.model for i in resolved.rules if i.model.enabled and kinds.needs_encoder(i.model)]
    space = None
    if semantic_models and encoder is not None:
        space = SemanticSpace(encoder, semantic_models, resolved.neutral,
                              resolved.false_alarm_rate or semantic.FALSE_ALARM_RATE)
    for item in resolved.rules:
        if not item.model.enabled:
            continue
        compiled = kinds.compile_rule(item.model, space)
        for target in kinds.targets(item.model):
            (context_rules if target == "inbound" else rules).append(compiled)
    labels = frozenset(label for rule in rules if isinstance(rule, ToxicityRule) for label in rule.labels)
    return _Compiled(
        id=resolved.id,
        version=resolved.version,
        sha256=sha256,
        title=resolved.title,
        description=resolved.description,
        zone=ZoneInfo(resolved.timezone),
        default_route=resolved.default_route,
        periods=tuple(Period(p.model.name, p.model.kind, p.model.start, p.model.end) for p in resolved.periods),
        draft=_RuleSet.build(rules),
        context=_RuleSet.build(context_rules),
        required_labels=labels,
        encoder=encoder if space is not None else None,
    )


def _hits(matcher: LexiconMatcher | None, text: str) -> dict[str, list[Span]]:
    if matcher is None:
        return {}
    hits: dict[str, list[Span]] = {}
    for match in matcher.find(text):
        hits.setdefault(match.key, []).append((match.start, match.end))
    return hits


class Policy:
    """A loaded, compiled policy. Build one with `load_policy(path)`."""

    def __init__(self, compiled: _Compiled, path: str, resolved: Any) -> None:
        self._compiled = compiled
        self.path = path
        self.sources: tuple[str, ...] = tuple(resolved.sources)  # the files it was read from, parents after it
        self.examples = list(resolved.examples)  # validation.Item: model, doc, loc
        self._label_places = [
            (label, item.model.id, item.doc.path, *item.doc.where(item.loc + ("thresholds", label), key=True))
            for item in resolved.rules
            if item.model.enabled and isinstance(item.model, schema.ToxicityRule)
            for label in item.model.thresholds
        ]
        self._ref = PolicyRef(compiled.id, compiled.version, compiled.sha256)

    @classmethod
    def from_resolved(cls, resolved: Any, encoder: Any = None) -> Policy:
        sha256 = resolved.sha256()
        key = (sha256, getattr(encoder, "digest", None))
        with _CACHE_LOCK:
            compiled = _CACHE.get(key)
            if compiled is None:
                compiled = _CACHE[key] = _compile(resolved, sha256, encoder)
        return cls(compiled, resolved.path, resolved)

    id = property(lambda self: self._compiled.id)
    version = property(lambda self: self._compiled.version)
    sha256 = property(lambda self: self._compiled.sha256)
    title = property(lambda self: self._compiled.title)
    description = property(lambda self: self._compiled.description)
    timezone = property(lambda self: self._compiled.zone.key)
    periods = property(lambda self: self._compiled.periods)
    required_labels = property(lambda self: set(self._compiled.required_labels))

    @property
    def rule_ids(self) -> list[str]:
        """The ids of the rules that apply (enabled), draft rules then context rules, in policy order."""
        return [r.meta.id for r in self._compiled.draft.rules + self._compiled.context.rules]

    @property
    def rule_titles(self) -> dict[str, str]:
        """Each applying rule's title (its `title:`, or one made from its id), by rule id."""
        return {r.meta.id: r.meta.title or default_title(r.meta.id) for r in self._compiled.draft.rules + self._compiled.context.rules}

    def character_limit(self, platform: str | None) -> int | None:
        """The platform's character limit under this policy's length rule (None: no length rule, or no limit)."""
        if not platform:
            return None
        for rule in self._compiled.draft.rules:
            if isinstance(rule, LengthRule):
                return rule.limits.get(canonical_platform(platform))
        return None

    def __repr__(self) -> str:
        return f"<Policy {self.id} {self.version} {self.sha256[:12]} from {self.path}>"

    def unknown_labels(self, scorer_labels: Any) -> list[str]:
        """One message per toxicity label a rule names that the scorer does not produce."""
        known = set(scorer_labels)
        return [
            f"{path}:{line}:{column}: [{rule_id}] toxicity label '{label}' is not produced by the scorer "
            f"(it gives: {', '.join(sorted(known)) or 'nothing'}); this threshold never fires"
            for label, rule_id, path, line, column in self._label_places
            if label not in known
        ]

    def check(self, text: str, platform: str | None = None, date: dt.date | dt.datetime | None = None,
              in_reply_to: str | None = None, scorer: Scorer | None = None) -> Verdict:
        """Check one draft. Raises ValueError on a bad platform, date or text."""
        return self.check_batch([Draft(text, platform, date, in_reply_to)], scorer=scorer)[0]

    def check_batch(self, drafts: list[Draft], scorer: Scorer | None = None) -> list[Verdict]:
        """Check many drafts; the scorer sees all texts in one `score` call."""
        drafts = list(drafts)
        for draft in drafts:
            _validate(draft)
        scores: list[dict[str, float] | None] = [None] * len(drafts)
        scorer_ref = None
        if scorer is not None:
            scorer_ref = ScorerRef(str(scorer.name), str(scorer.version))
            if drafts:
                scores = list(scorer.score([d.text for d in drafts]))
                if len(scores) != len(drafts):
                    raise RuntimeError(f"scorer {scorer.name} returned {len(scores)} results for {len(drafts)} texts")
        self._encode_sentences(drafts)
        return [self._check_one(d, s, scorer_ref) for d, s in zip(drafts, scores)]

    @property
    def encoder(self) -> Any:
        """The sentence encoder of this policy's semantic rules (None when it has none)."""
        return self._compiled.encoder

    def _encode_sentences(self, drafts: list[Draft]) -> None:
        """Encode every sentence of a batch in one call (it lands in the encoder's sentence cache)."""
        encoder = self._compiled.encoder
        if encoder is None or len(drafts) < 2:
            return
        from .rules.semantic import sentence_spans

        texts = [d.text for d in drafts]
        if self._compiled.context.rules:
            texts += [d.in_reply_to for d in drafts if d.in_reply_to]
        sentences = list(dict.fromkeys(t[s:e] for t in texts for s, e in sentence_spans(t)))
        if sentences:
            encoder.encode(sentences)

    def _check_one(self, draft: Draft, scores: dict[str, float] | None, scorer: ScorerRef | None) -> Verdict:
        compiled = self._compiled
        active = active_periods(compiled.periods, local_date(draft.date, compiled.zone)) if compiled.periods else ()
        platform = canonical_platform(draft.platform) if draft.platform else None
        findings: list[tuple[tuple[int, int, int], Finding]] = []
        text = draft.text
        rules = compiled.draft
        scan = Scan(text, _hits(rules.matcher, text), platform, scores, rules.literal_finder, compiled.encoder)
        self._run(rules, scan, active, 0, findings)
        if draft.in_reply_to and compiled.context.rules:
            rules = compiled.context
            reply = draft.in_reply_to
            self._run(rules, Scan(reply, _hits(rules.matcher, reply), literal_finder=rules.literal_finder,
                                  encoder=compiled.encoder), active, 1, findings)
        findings.sort(key=lambda pair: pair[0])
        ordered = tuple(f for _, f in findings)
        return Verdict(
            decision=DECISION_BY_RANK[max((ACTION_RANK[f.action] for f in ordered), default=0)],
            routes=tuple(sorted({f.route for f in ordered if f.action != "note" and f.route})),
            approvals=max((f.approvals for f in ordered if f.action != "note" and f.route), default=1),
            findings=ordered,
            scores=dict(scores) if scores else {},
            periods=tuple(p.name for p in active),
            policy=self._ref,
            scorer=scorer,
        )

    def _run(self, rules: _RuleSet, scan: Scan, active: tuple[Period, ...], target_rank: int,
             out: list[tuple[tuple[int, int, int], Finding]]) -> None:
        """Evaluate the rules that apply on this date; add a finding for each that fires."""
        target = FINDING_TARGETS[target_rank]  # 0: the draft, 1: the post it answers
        fired: list[tuple[int, CompiledRule, list[Span] | Hit]] = []
        for order, rule, during in rules.other_rules_during:
            if during is None or (active and selector_active(during, active)):
                spans = rule.evaluate(scan)
                if spans is not None:
                    fired.append((order, rule, spans))
        for key, spans in scan.hits.items():
            order, rule = rules.term_rules[key]
            during = rule.meta.during
            if during is None or selector_active(during, active):
                fired.append((order, rule, spans))
        for order, rule, found in fired:
            meta = rule.meta
            note = None
            if isinstance(found, Hit):
                found, note = found.spans, found.note
            merged = merge_spans(found)
            finding = self._finding(meta, merged, scan.text, target, active, note)
            out.append(((target_rank, merged[0][0] if merged else -1, order), finding))

    def _finding(self, meta: RuleMeta, spans: tuple[Span, ...], text: str, target: str,
                 active: tuple[Period, ...], note: str | None = None) -> Finding:
        severity, action, route, approvals = meta.severity, meta.action, meta.route, meta.approvals
        for step in meta.escalate if active else ():
            if selector_active(step.during, active):
                severity = step.severity or severity
                action = step.action or action
                route = step.route or route
                approvals = step.approvals or approvals
        if route is None and action == "review":
            route = self._compiled.default_route
        return Finding(
            rule=meta.id, kind=meta.kind, severity=severity, action=action, route=route, target=target,
            message=f"{meta.message} {note}" if note else meta.message, source=meta.source, spans=spans, excerpt=excerpt_of(text, spans),
            approvals=approvals, title=meta.title,
        )


def _validate(draft: Draft) -> None:
    if not isinstance(draft.text, str):
        raise ValueError(f"text: expected a string, got {type(draft.text).__name__}")
    if draft.platform is not None and draft.platform not in PLATFORM_NAMES:
        raise ValueError(f"platform '{draft.platform}' is not one of: {', '.join(PLATFORM_NAMES)}")
    if draft.in_reply_to is not None and not isinstance(draft.in_reply_to, str):
        raise ValueError(f"in_reply_to: expected a string, got {type(draft.in_reply_to).__name__}")
    if draft.date is not None:
        if not isinstance(draft.date, dt.date):
            raise ValueError(f"date: expected a date or datetime, got {type(draft.date).__name__}")
        if isinstance(draft.date, dt.datetime) and draft.date.utcoffset() is None:
            raise ValueError("date: a datetime must be timezone-aware; pass a date or an aware datetime")
