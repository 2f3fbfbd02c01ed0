"""Read a YAML policy file into plain data plus a path -> (line, column) map.

The schema reports errors by data path (`rules.3.severity`); this map turns
each path back into the place in the file the author must edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import PolicyIssue

Loc = tuple[Any, ...]
Position = tuple[int, int]


@dataclass
class SourceDoc:
    """One parsed policy file: its data and where every value and key sits."""

    path: str
    text: str
    data: Any = None
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def where(self, loc: Loc, *, key: bool = False) -> Position:
        """Line and column (1-based) of `loc`, or of its nearest existing parent."""
        loc = tuple(loc)
        if key and loc in self.keys:
            return self.keys[loc]
        while loc:
            if loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return self.values.get((), (1, 1))

    def issue(self, loc: Loc, message: str, rule_id: str | None = None, *, key: bool = False) -> PolicyIssue:
        line, column = self.where(loc, key=key)
        return PolicyIssue(self.path, line, column, rule_id, message)


def _position(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def parse_source(path: str, text: str) -> tuple[SourceDoc, list[PolicyIssue]]:
    """Parse YAML text; return the document and any syntax or structure issues."""
    doc = SourceDoc(path=path, text=text)
    issues: list[PolicyIssue] = []
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _position(mark) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        issues.append(PolicyIssue(path, line, column, None, f"YAML syntax error: {problem}{context}; fix the YAML at this place"))
        loader.dispose()
        return doc, issues
    except yaml.YAMLError as exc:
        issues.append(PolicyIssue(path, 1, 1, None, f"YAML error: {exc}"))
        loader.dispose()
        return doc, issues
    if node is None:
        issues.append(PolicyIssue(path, 1, 1, None, "the policy file is empty; it needs at least `id`, `version` and `rules`"))
        loader.dispose()
        return doc, issues

    def build(current: yaml.Node, loc: Loc) -> Any:
        doc.values[loc] = _position(current.start_mark)
        if isinstance(current, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in current.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    line, column = _position(key_node.start_mark)
                    issues.append(PolicyIssue(path, line, column, None, "a mapping key must be a plain word; check the indentation"))
                    continue
                key = key_node.value
                if key in out:
                    first = doc.keys[loc + (key,)]
                    line, column = _position(key_node.start_mark)
                    issues.append(PolicyIssue(path, line, column, None,
                                              f"duplicate key '{key}' (first at line {first[0]}); keep one"))
                    continue
                doc.keys[loc + (key,)] = _position(key_node.start_mark)
                out[key] = build(value_node, loc + (key,))
            return out
        if isinstance(current, yaml.SequenceNode):
            return [build(item, loc + (index,)) for index, item in enumerate(current.value)]
        try:
            return loader.construct_object(current, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            # e.g. a date like 2026-13-01: YAML reads it as a date, which does not exist
            line, column = _position(current.start_mark)
            problem = getattr(exc, "problem", None) or str(exc)
            issues.append(PolicyIssue(path, line, column, None,
                                      f"bad value {current.value!r}: {problem}; correct it (quote it if it is text)"))
            return None

    try:
        doc.data = build(node, ())
    finally:
        loader.dispose()
    return doc, issues
