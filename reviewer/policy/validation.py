"""Validate one parsed policy file against the schema, item by item.

pydantic reports errors by data path; this module turns each into a
`PolicyIssue` at the YAML position of that path, worded so the author knows
what to change (allowed keys, the closest valid name, the expected type).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from . import kinds, schema
from .errors import PolicyIssue
from .source import Loc, SourceDoc

_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD) without a time",
}


def closest(word: Any, choices: list[str] | tuple[str, ...]) -> str:
    """A "; did you mean 'x'?" hint, or "" when nothing is close."""
    found = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{found[0]}'?" if found else ""


def _field_label(loc: Loc) -> str:
    parts = [str(p) for p in loc if p != "[key]"]
    return ".".join(parts) if parts else "this item"


def _last_name(loc: Loc) -> str | None:
    for part in reversed(loc):
        if isinstance(part, str) and part != "[key]":
            return part
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


def translate(
    exc: ValidationError,
    model: type[BaseModel],
    doc: SourceDoc,
    base: Loc,
    rule_id: str | None,
    what: str,
) -> list[PolicyIssue]:
    """Turn a pydantic error into issues at the YAML positions of their paths."""
    issues = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input")
        label = _field_label(loc)
        name = _last_name(loc)
        if kind == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = _allowed_keys(parent) if parent else []
            hint = closest(loc[-1], allowed)
            where = f" in {what}" if len(loc) == 1 else f" in {_field_label(loc[:-1])}"
            if hint:
                message = f"unknown key '{loc[-1]}'{where}{hint} (allowed: {', '.join(allowed)})"
            else:
                message = f"unknown key '{loc[-1]}'{where}; allowed keys: {', '.join(allowed)}"
            issues.append(doc.issue(base + loc, message, rule_id, key=True))
            continue
        if kind == "missing":
            message = f"missing required field '{label}' in {what}"
            if label == "route" and "topic" in what:
                message += "; a topic rule must name the group that sees the draft (route: legal, safeguarding, ...)"
            else:
                message += f"; add `{loc[-1]}:`"
            issues.append(doc.issue(base + loc[:-1], message, rule_id))
            continue
        if kind in ("literal_error", "enum"):
            is_key = bool(loc) and loc[-1] == "[key]"
            if is_key:
                name = next((p for p in reversed(loc[:-2]) if isinstance(p, str)), name)
                label = f"key in {_field_label(loc[:-2])}"
            allowed = list(schema.ENUMS.get(name or "", ()))
            if not allowed:
                expected = err.get("ctx", {}).get("expected", "")
                message = f"'{label}' must be {expected}; got {_show(value)}"
            else:
                noun = f"key in {name}" if is_key else name
                message = f"{_show(value)} is not a valid {noun}{closest(value, allowed)} (allowed: {', '.join(allowed)})"
            issues.append(doc.issue(base + (loc[:-1] if is_key else loc), message, rule_id, key=is_key))
            continue
        if kind in _TYPE_WORDS:
            message = f"'{label}' must be {_TYPE_WORDS[kind]}; got {_show(value)}"
            if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
                message += "; put it in quotes"
            issues.append(doc.issue(base + loc, message, rule_id))
            continue
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            if name and len(loc) >= 2 and loc[-2] == "thresholds":
                message = f"toxicity threshold for '{loc[-1]}' is {value}; a threshold must be between 0 and 1"
            elif len(loc) >= 2 and loc[-2] == "scores":
                message = f"example score for '{loc[-1]}' is {value}; a score must be between 0 and 1"
            else:
                bound = {"greater_than_equal": "at least", "less_than_equal": "at most",
                         "greater_than": "more than", "less_than": "less than"}[kind]
                limit = next(iter(err.get("ctx", {}).values()), "")
                message = f"'{label}' must be {bound} {limit}; got {_show(value)}"
            issues.append(doc.issue(base + loc, message, rule_id))
            continue
        if kind == "too_short":
            issues.append(doc.issue(base + loc, f"'{label}' is empty; give at least one item", rule_id))
            continue
        if kind == "string_too_short":
            issues.append(doc.issue(base + loc, f"'{label}' is empty; give a value", rule_id))
            continue
        if kind == "string_pattern_mismatch":
            message = f"'{label}' {_show(value)} may use only lowercase letters, digits, '_', '.' and '-'"
            issues.append(doc.issue(base + loc, message, rule_id))
            continue
        issues.append(doc.issue(base + loc, f"'{label}': {err['msg']}", rule_id))
    return issues


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys of a model, the ones every rule has first."""
    names = schema.field_names(model)
    if issubclass(model, schema.RuleCommon):
        common = schema.field_names(schema.RuleCommon)
        names = common + [n for n in names if n not in common]
    return names


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The nested model class at a data path (for listing allowed keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


@dataclass
class Item:
    """A validated item of a file (period, rule or example) and where it sits."""

    model: Any
    doc: SourceDoc
    loc: Loc

    def issue(self, message: str, sub: Loc = (), *, key: bool = False) -> PolicyIssue:
        rule_id = getattr(self.model, "id", None) if self.loc[:1] == ("rules",) else None
        return self.doc.issue(self.loc + sub, message, rule_id, key=key)


@dataclass
class FileSpec:
    """One file, validated: its header and its periods, rules and examples."""

    doc: SourceDoc
    header: schema.PolicyHeader
    periods: list[Item] = field(default_factory=list)
    rules: list[Item] = field(default_factory=list)
    examples: list[Item] = field(default_factory=list)


def validate_file(doc: SourceDoc) -> tuple[FileSpec | None, list[PolicyIssue]]:
    """Check every part of one file; return its spec (None if unusable) and all issues.

    With issues, the spec holds only the parts that validated: enough for the
    per-file checks, not to be compiled.
    """
    data = doc.data
    if not isinstance(data, dict):
        return None, [doc.issue((), "a policy file must be a mapping of keys (id, version, rules, ...)")]
    issues: list[PolicyIssue] = []
    # An empty `rules:` (or periods/examples) is an empty list, not an error.
    data = {k: ([] if v is None and k in ("periods", "rules", "examples") else v) for k, v in data.items()}
    try:
        header = schema.PolicyHeader.model_validate(data)
    except ValidationError as exc:
        # Keep going with what is usable, so one pass reports every problem.
        issues = translate(exc, schema.PolicyHeader, doc, (), None, "the policy")
        usable = {k: v for k, v in data.items() if k in schema.PolicyHeader.model_fields and k not in ("periods", "rules", "examples")}
        lists = {k: data.get(k) if isinstance(data.get(k), list) else [] for k in ("periods", "rules", "examples")}
        header = schema.PolicyHeader.model_construct(**usable, **lists)
    spec = FileSpec(doc, header)
    issues += _validate_items(spec)
    return spec, issues


def _validate_items(spec: FileSpec) -> list[PolicyIssue]:
    issues: list[PolicyIssue] = []
    doc = spec.doc
    for index, raw in enumerate(spec.header.periods):
        loc = ("periods", index)
        try:
            spec.periods.append(Item(schema.Period.model_validate(raw), doc, loc))
        except ValidationError as exc:
            issues += translate(exc, schema.Period, doc, loc, None, "the period")
    for index, raw in enumerate(spec.header.rules):
        loc = ("rules", index)
        model, found = validate_rule(raw, doc, loc)
        issues += found
        if model is not None:
            spec.rules.append(Item(model, doc, loc))
    for index, raw in enumerate(spec.header.examples):
        loc = ("examples", index)
        try:
            spec.examples.append(Item(schema.Example.model_validate(raw), doc, loc))
        except ValidationError as exc:
            issues += translate(exc, schema.Example, doc, loc, None, "the example")
    return issues


def validate_rule(raw: Any, doc: SourceDoc, loc: Loc) -> tuple[Any, list[PolicyIssue]]:
    """Validate one rule by the model of its kind (and check)."""
    if not isinstance(raw, dict):
        return None, [doc.issue(loc, f"a rule must be a mapping with id, kind, severity, ...; got {_show(raw)}")]
    rule_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    if "add" in raw and set(raw) <= {"id", "add"}:
        try:
            return schema.SemanticAddition.model_validate(raw), []
        except ValidationError as exc:
            return None, translate(exc, schema.SemanticAddition, doc, loc, rule_id, "the addition to an inherited rule")
    if raw.get("enabled") is False and set(raw) <= {"id", "enabled"}:
        try:
            return schema.Disabled.model_validate(raw), []
        except ValidationError as exc:
            return None, translate(exc, schema.Disabled, doc, loc, rule_id, "the rule")
    kind = raw.get("kind")
    if kind is None:
        return None, [doc.issue(loc, f"missing required field 'kind' in the rule; one of: {', '.join(kinds.KIND_NAMES)}", rule_id)]
    if kind not in kinds.KIND_NAMES:
        message = f"{_show(kind)} is not a valid kind{closest(kind, kinds.KIND_NAMES)} (allowed: {', '.join(kinds.KIND_NAMES)})"
        return None, [doc.issue(loc + ("kind",), message, rule_id)]
    check = None
    if kind in kinds.CHECKS:
        check = raw.get("check")
        checks = kinds.CHECKS[kind]
        if check is None:
            return None, [doc.issue(loc, f"missing required field 'check' in the {kind} rule; one of: {', '.join(checks)}", rule_id)]
        if check not in checks:
            message = f"{_show(check)} is not a valid check for {kind}{closest(check, checks)} (allowed: {', '.join(checks)})"
            return None, [doc.issue(loc + ("check",), message, rule_id)]
    model_class = kinds.RULE_MODELS[(kind, check)]
    what = f"{kind} rule" if check is None else f"{kind} rule (check: {check})"
    try:
        model = model_class.model_validate(raw)
    except ValidationError as exc:
        return None, translate(exc, model_class, doc, loc, rule_id, f"the {what}")
    if isinstance(model, schema.ContextRule):
        return _validate_context(model, doc, loc)
    return model, []


def _validate_context(model: schema.ContextRule, doc: SourceDoc, loc: Loc) -> tuple[Any, list[PolicyIssue]]:
    body = model.match
    kind = body.get("kind")
    if kind not in kinds.CONTEXT_KINDS:
        if kind is None:
            message = f"missing required field 'kind' in context.match; one of: {', '.join(kinds.CONTEXT_KINDS)}"
            return None, [doc.issue(loc + ("match",), message, model.id)]
        message = (f"context.match of kind {_show(kind)} is not supported{closest(kind, kinds.CONTEXT_KINDS)}; "
                   f"use one of: {', '.join(kinds.CONTEXT_KINDS)}")
        return None, [doc.issue(loc + ("match", "kind"), message, model.id)]
    body_class = kinds.MATCH_MODELS[kind]
    try:
        parsed = body_class.model_validate(body)
    except ValidationError as exc:
        issues = translate(exc, body_class, doc, loc + ("match",), model.id, f"context.match ({kind})")
        for issue in issues:
            if "'route'" in issue.message or "'severity'" in issue.message or "'action'" in issue.message:
                issues[issues.index(issue)] = replace(issue, message=issue.message + "; put it on the context rule itself, not under match")
        return None, issues
    issues = []
    action = model.action
    if action is None:
        if kind == "topic":
            action = "review"
        else:
            issues.append(doc.issue(loc, "missing required field 'action' in the context rule; add `action:` (note, review or block)", model.id))
    if kind == "topic" and model.route is None:
        issues.append(doc.issue(loc, "a context rule that matches a topic needs a `route`: the group that must see the draft", model.id))
    if issues:
        return None, issues
    return model.model_copy(update={"action": action, "body": parsed}), []
