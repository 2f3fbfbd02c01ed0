"""Load a policy file: YAML -> positions -> schema -> `extends` -> checks -> compiled Policy.

Every problem found on the way is collected and raised together as one
`PolicyError`; nothing half-loads. Compiled policies are cached by the sha256
of their resolved content, so loading the same policy again is cheap.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import zoneinfo
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import kinds, schema
from .errors import PolicyError, PolicyIssue
from .normalise import normalise
from .patterns import PatternError, PatternSyntaxError, compile_pattern
from .urls import host_matches
from .rules.lexical import flag_bits
from .source import SourceDoc, parse_source
from .validation import FileSpec, Item, closest, validate_file

Chain = tuple[tuple[Path, str], ...]  # files being resolved: (real path, path as shown)


@dataclass
class Resolved:
    """A policy after `extends`: the merged header, periods and rules, and this file's examples."""

    path: str
    doc: SourceDoc
    id: str | None = None
    version: str | None = None
    title: str | None = None
    description: str | None = None
    timezone: str = "UTC"
    default_route: str | None = None
    periods: list[Item] = field(default_factory=list)
    rules: list[Item] = field(default_factory=list)
    examples: list[Item] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)  # `semantic.neutral`, parents' first
    false_alarm_rate: float | None = None  # `semantic.false_alarm_rate`, the nearest file's
    sources: tuple[str, ...] = ()  # this file, then each parent it `extends`, as read

    def canonical(self) -> dict[str, Any]:
        """The resolved content that defines the policy's behaviour (examples excluded)."""
        return {
            "schema": 1,
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "timezone": self.timezone,
            "defaults": {"route": self.default_route},
            "periods": [p.model.model_dump(mode="json") for p in self.periods],
            "rules": [r.model.model_dump(mode="json", exclude={"match"}) for r in self.rules if r.model.enabled],
            "semantic": {"neutral": self.neutral, "false_alarm_rate": self.false_alarm_rate},
        }

    def sha256(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dedupe(issues: list[PolicyIssue]) -> list[PolicyIssue]:
    return list(dict.fromkeys(issues))


def _read(path: str) -> tuple[str | None, str | None]:
    try:
        return Path(path).read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, "file not found"
    except IsADirectoryError:
        return None, "is a directory, not a policy file"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        return None, f"cannot read the file ({exc.strerror})"


def resolve(path: str | os.PathLike[str]) -> tuple[Resolved | None, list[PolicyIssue]]:
    """Resolve a policy file and its parents; return it (None on error) and every issue."""
    shown = str(path)
    text, problem = _read(shown)
    if text is None:
        return None, [PolicyIssue(shown, 1, 1, None, f"{problem}; check the path")]
    resolved, issues = _resolve_text(shown, text, chain=())
    if resolved is not None:
        issues += _check_root(resolved)
    issues = sorted(_dedupe(issues), key=lambda i: (i.path, i.line, i.column))
    return (None if issues else resolved), issues


def _resolve_text(shown: str, text: str, chain: Chain) -> tuple[Resolved | None, list[PolicyIssue]]:
    doc, issues = parse_source(shown, text)
    if issues:
        return None, issues
    spec, issues = validate_file(doc)
    if spec is None:
        return None, issues
    issues += _check_file(spec)
    if issues:
        return None, issues
    parent: Resolved | None = None
    if spec.header.extends:
        parent, parent_issues = _resolve_parent(spec, chain + ((Path(shown).resolve(), shown),))
        if parent is None:
            return None, issues + parent_issues
    resolved = _merge(spec, parent, issues)
    resolved.sources = (shown, *(parent.sources if parent else ()))
    issues += _check_resolved(resolved)
    return (None if issues else resolved), issues


def _resolve_parent(spec: FileSpec, chain: Chain) -> tuple[Resolved | None, list[PolicyIssue]]:
    doc = spec.doc
    target = os.path.normpath(os.path.join(os.path.dirname(doc.path), spec.header.extends or ""))
    home = chain[0][0].parent  # the folder of the policy being loaded: parents come from it (or below it) only
    if not Path(target).resolve().is_relative_to(home):
        return None, [doc.issue(("extends",), f"extends '{spec.header.extends}': a parent policy must be in this policy's "
                                              f"folder ({home}) or below it; copy the parent there")]
    if Path(target).resolve() in [real for real, _ in chain]:
        names = [shown for _, shown in chain] + [target]
        return None, [doc.issue(("extends",), f"extends cycle: {' -> '.join(names)}; remove one of these `extends`")]
    text, problem = _read(target)
    if text is None:
        return None, [doc.issue(("extends",), f"extends '{spec.header.extends}': {problem} ({target}); "
                                              "the path is relative to this file")]
    return _resolve_text(target, text, chain)


def _merge(spec: FileSpec, parent: Resolved | None, issues: list[PolicyIssue]) -> Resolved:
    header = spec.header
    base = parent or Resolved(path=spec.doc.path, doc=spec.doc)
    resolved = Resolved(
        path=spec.doc.path,
        doc=spec.doc,
        id=header.id if header.id is not None else base.id,
        version=header.version if header.version is not None else base.version,
        title=header.title if header.title is not None else base.title,
        description=header.description if header.description is not None else base.description,
        timezone=header.timezone if header.timezone is not None else base.timezone,
        default_route=(header.defaults.route if header.defaults and header.defaults.route is not None
                       else base.default_route),
        periods=_merge_by(base.periods, spec.periods, "name"),
        examples=list(spec.examples),
        neutral=[*base.neutral, *(header.semantic.neutral if header.semantic else [])],
        false_alarm_rate=(header.semantic.false_alarm_rate if header.semantic and header.semantic.false_alarm_rate
                          else base.false_alarm_rate),
    )
    rules = list(base.rules)
    index = {item.model.id: i for i, item in enumerate(rules)}
    for item in spec.rules:
        if isinstance(item.model, schema.Disabled):
            if item.model.id not in index:
                issues.append(item.issue(f"disables rule '{item.model.id}', but no parent policy defines it"
                                         f"{closest(item.model.id, list(index))}"))
                continue
            inherited = rules[index[item.model.id]]
            item = Item(inherited.model.model_copy(update={"enabled": False}), item.doc, item.loc)
        if isinstance(item.model, schema.SemanticAddition):
            inherited_at = index.get(item.model.id)
            inherited = rules[inherited_at].model if inherited_at is not None else None
            if not isinstance(inherited, schema.SemanticRule):
                what = "no parent policy defines it" if inherited is None else f"it is a {inherited.kind} rule, not semantic"
                issues.append(item.issue(f"adds examples to rule '{item.model.id}', but {what}"
                                         f"{closest(item.model.id, list(index)) if inherited is None else ''}"))
                continue
            added = item.model.add
            merged = inherited.model_copy(update={"like": [*inherited.like, *added.like],
                                                  "unlike": [*inherited.unlike, *added.unlike]})
            rules[inherited_at] = Item(merged, rules[inherited_at].doc, rules[inherited_at].loc)
            continue
        if item.model.id in index:
            rules[index[item.model.id]] = item
        else:
            index[item.model.id] = len(rules)
            rules.append(item)
    resolved.rules = rules
    return resolved


def _merge_by(parent: list[Item], child: list[Item], key: str) -> list[Item]:
    merged = list(parent)
    where = {getattr(item.model, key): i for i, item in enumerate(merged)}
    for item in child:
        name = getattr(item.model, key)
        if name in where:
            merged[where[name]] = item
        else:
            where[name] = len(merged)
            merged.append(item)
    return merged


def _check_file(spec: FileSpec) -> list[PolicyIssue]:
    """Checks that concern one file on its own: ids, regexes, timezone, period dates."""
    issues: list[PolicyIssue] = []
    doc = spec.doc
    if isinstance(spec.header.timezone, str):
        try:
            zoneinfo.ZoneInfo(spec.header.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            found = difflib.get_close_matches(spec.header.timezone, sorted(zoneinfo.available_timezones()), n=1)
            hint = f"; did you mean '{found[0]}'?" if found else ""
            issues.append(doc.issue(("timezone",), f"unknown timezone '{spec.header.timezone}'{hint} "
                                                   "Use an IANA name such as Pacific/Auckland or Europe/London"))
    seen: dict[str, int] = {}
    for index, raw in enumerate(spec.header.rules):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(rule_id, str):
            continue
        if rule_id in seen:
            first = doc.where(("rules", seen[rule_id], "id"))[0]
            line = doc.where(("rules", index, "id"))[0]
            message = f"duplicate rule id '{rule_id}' (lines {first} and {line}); give each rule its own id"
            issues.append(doc.issue(("rules", seen[rule_id], "id"), message, rule_id))
            issues.append(doc.issue(("rules", index, "id"), message, rule_id))
        else:
            seen[rule_id] = index
    for item in spec.rules:
        issues += _check_patterns(item) + _check_terms(item) + _check_domains(item)
    names: dict[str, Item] = {}
    for item in spec.periods:
        period = item.model
        if period.end < period.start:
            issues.append(item.issue(f"period '{period.name}' ends ({period.end}) before it starts ({period.start}); "
                                     "swap or correct the dates", ("end",)))
        if period.name in names:
            first = doc.where(names[period.name].loc)[0]
            issues.append(item.issue(f"duplicate period name '{period.name}' (first at line {first}); "
                                     "give each period its own name", ("name",)))
        names[period.name] = item
    return issues


_TERM_MODELS = (schema.LexiconRule, schema.TopicRule, schema.TonePhrasesRule)


def _check_terms(item: Item) -> list[PolicyIssue]:
    """Terms must keep a letter or digit after normalisation, or they could match nothing sensible."""
    model = item.model
    if isinstance(model, _TERM_MODELS):
        body, base = model, ()
    elif isinstance(model, schema.ContextRule) and isinstance(model.body, schema.LexiconFields):
        body, base = model.body, ("match",)
    else:
        return []
    issues = []
    for field_name in ("terms", "allow"):
        for i, term in enumerate(getattr(body, field_name)):
            if not any(ch.isalnum() for ch in normalise(term).text):
                issues.append(item.issue(f"{field_name} entry {term!r} has no letters or digits left after "
                                         "normalisation; remove it or write it with letters", base + (field_name, i)))
    return issues


def _check_domains(item: Item) -> list[PolicyIssue]:
    """Domain patterns of links rules and pii `official_domains` must be usable by host_matches."""
    model = item.model
    if isinstance(model, schema.LinksDomainsRule):
        where, patterns = ("allowed_domains",), model.allowed_domains
    elif isinstance(model, schema.LinksShortenersRule) and model.domains:
        where, patterns = ("domains",), model.domains
    elif isinstance(model, schema.PiiRule):
        where, patterns = ("official_domains",), model.official_domains
    elif isinstance(model, schema.ContextRule) and isinstance(model.body, schema.PiiFields):
        where, patterns = ("match", "official_domains"), model.body.official_domains
    else:
        return []
    issues = []
    for i, pattern in enumerate(patterns):
        try:
            host_matches("example.invalid", pattern)
        except ValueError as exc:
            issues.append(item.issue(str(exc), (*where, i)))
    return issues


def _pattern_fields(item: Item) -> list[tuple[tuple[Any, ...], str, int]]:
    """Every regex a rule supplies: (where in the rule, pattern, `re` flag bits)."""
    model = item.model
    if isinstance(model, schema.ContextRule):
        body, base = model.body, ("match",)
    else:
        body, base = model, ()
    if isinstance(body, schema.RegexFields):
        bits = flag_bits(body.flags)
        return ([((*base, "patterns", i), p, bits) for i, p in enumerate(body.patterns)]
                + [((*base, "allow", i), p, bits) for i, p in enumerate(body.allow)])
    if isinstance(body, schema.PiiFields):
        bits = flag_bits(body.case_ref_flags)
        return [((*base, "case_ref_patterns", i), p, bits) for i, p in enumerate(body.case_ref_patterns)]
    return []


def _check_patterns(item: Item) -> list[PolicyIssue]:
    """Every regex must parse and be one RE2 can run (linear time: see .patterns)."""
    model = item.model
    if isinstance(model, schema.PiiRule) or (isinstance(model, schema.ContextRule) and isinstance(model.body, schema.PiiFields)):
        body = model.body if isinstance(model, schema.ContextRule) else model
        if "case_ref" in body.detect and not body.case_ref_patterns:
            sub = ("match", "detect") if isinstance(model, schema.ContextRule) else ("detect",)
            return [item.issue("detect names case_ref but no case_ref_patterns are given; "
                               "add the agency's reference format as a regex", sub)]
    issues = []
    for sub, pattern, bits in _pattern_fields(item):
        try:
            compile_pattern(pattern, bits)
        except PatternSyntaxError as exc:
            where = f" at position {exc.position}" if exc.position is not None else ""
            issues.append(item.issue(f"invalid regex {pattern!r}: {exc.msg}{where}; fix the pattern "
                                     "(Python `re` syntax; in YAML prefer single quotes)", sub))
        except PatternError as exc:
            issues.append(item.issue(f"pattern {pattern!r}: {exc}", sub))
    return issues


def _check_resolved(resolved: Resolved) -> list[PolicyIssue]:
    """Checks that need the merged policy: period selectors and example rule ids."""
    issues: list[PolicyIssue] = []
    selectors = {p.model.kind for p in resolved.periods} | {p.model.name for p in resolved.periods}
    choices = sorted(selectors)
    declared = ", ".join(choices) if choices else "none are declared"
    for item in resolved.rules:
        model = item.model
        if model.during is not None and model.during not in selectors:
            issues.append(item.issue(f"during: '{model.during}' names no declared period kind or name"
                                     f"{closest(model.during, choices)} (periods: {declared})", ("during",)))
        for i, step in enumerate(model.escalate):
            if step.during not in selectors:
                issues.append(item.issue(f"escalate during: '{step.during}' names no declared period kind or name"
                                         f"{closest(step.during, choices)} (periods: {declared})",
                                         ("escalate", i, "during")))
    rules = {item.model.id: item.model for item in resolved.rules}
    labels = sorted({label for model in rules.values() if isinstance(model, schema.ToxicityRule) and model.enabled
                     for label in model.thresholds})
    for example in resolved.examples:
        for label in example.model.scores or {}:
            if label not in labels:
                issues.append(example.issue(
                    f"example scores label '{label}', which no toxicity rule of this policy names"
                    f"{closest(label, labels)} (labels: {', '.join(labels) or 'none'})", ("scores", label), key=True))
        for i, rule_id in enumerate(example.model.rules or []):
            if rule_id not in rules:
                issues.append(example.issue(f"example names unknown rule '{rule_id}'{closest(rule_id, list(rules))}",
                                            ("rules", i)))
            elif not rules[rule_id].enabled:
                issues.append(example.issue(f"example expects rule '{rule_id}', which this policy disables",
                                            ("rules", i)))
    return issues


def _check_root(resolved: Resolved) -> list[PolicyIssue]:
    issues = []
    for name in ("id", "version"):
        if getattr(resolved, name) is None:
            issues.append(resolved.doc.issue((), f"missing required field '{name}' at the top of the policy; add `{name}:`"))
    return issues


def load_policy(path: str | os.PathLike[str], encoder: Any = None, skip_semantic: bool = False):
    """Load, validate and compile a policy file; raise PolicyError listing every problem.

    `encoder` (see reviewer.encoder) embeds sentences for semantic rules; a
    policy with semantic rules and no encoder is refused here, naming each
    rule, unless `skip_semantic` (REVIEWER_ENCODER=none chosen on purpose):
    then its semantic rules do not apply, as toxicity rules without a scorer.
    `encoder` may be a Future of one still loading: only compiling waits.
    """
    from .engine import Policy

    resolved, issues = resolve(path)
    if resolved is None:
        raise PolicyError(issues)
    encoder = encoder.result() if isinstance(encoder, Future) else encoder  # read and validated; now compile
    if skip_semantic:
        encoder = None
        resolved.rules = [item for item in resolved.rules if not kinds.needs_encoder(item.model)]
    elif encoder is None:
        missing = [item.issue(f"rule '{item.model.id}' is a semantic rule, which needs a sentence encoder, and none "
                              "is configured (REVIEWER_ENCODER=none, or the model is not built): set "
                              "REVIEWER_ENCODER=embedded and run `reviewer encoder build`, or disable the rule",
                              ("kind",))
                   for item in resolved.rules if item.model.enabled and kinds.needs_encoder(item.model)]
        if missing:
            raise PolicyError(missing)
    try:
        return Policy.from_resolved(resolved, encoder)
    except (ValueError, re.error) as exc:  # a matcher refused its config: still the author's to fix
        raise PolicyError([PolicyIssue(resolved.path, 1, 1, None, f"cannot compile the policy: {exc}")]) from None

