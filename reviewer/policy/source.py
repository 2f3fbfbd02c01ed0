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


#: The most values (scalars, lists, mappings) a policy may hold once aliases are expanded. The shipped
#: government policy has about 3,000; a few aliases nested in each other (an "alias bomb") would have billions.
MAX_VALUES = 200_000


# libyaml's parser when PyYAML has it (about 10 times faster on a policy with thousands of examples;
# the same nodes and marks), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _syntax_issue(path: str, exc: BaseException) -> PolicyIssue:
    if isinstance(exc, RecursionError):
        return PolicyIssue(path, 1, 1, None, "the YAML is nested too deeply; a policy needs a few levels, not hundreds")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = _position(mark) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        return PolicyIssue(path, line, column, None, f"YAML syntax error: {problem}{context}; fix the YAML at this place")
    return PolicyIssue(path, 1, 1, None, f"YAML error: {exc}")


def _position(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def parse_source(path: str, text: str, loader_class: Any = None) -> tuple[SourceDoc, list[PolicyIssue]]:
    """Parse YAML text; return the document and any syntax or structure issues.

    libyaml parses; a text it refuses is parsed again by the pure-Python loader,
    whose messages say more ("expected ',' or ']', but got '<stream end>'").
    """
    loader_class = loader_class or _LOADER
    doc = SourceDoc(path=path, text=text)
    issues: list[PolicyIssue] = []
    try:
        yaml.reader.Reader(text)  # checks every character, as the pure-Python loader would
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:  # a control character (NUL, ...) anywhere in the text
        return doc, [_unreadable_character(path, text, exc)]
    try:
        node = loader.get_single_node()
    except (yaml.YAMLError, RecursionError) as exc:
        loader.dispose()
        if loader_class is not yaml.SafeLoader:
            return parse_source(path, text, yaml.SafeLoader)
        return doc, [_syntax_issue(path, exc)]
    if node is None:
        issues.append(PolicyIssue(path, 1, 1, None, "the policy file is empty; it needs at least `id`, `version` and `rules`"))
        loader.dispose()
        return doc, issues

    inside: set[int] = set()  # the mappings and lists being built: an alias to one of them is a loop
    budget = [MAX_VALUES]

    def build(current: yaml.Node, loc: Loc) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooBig()
        doc.values[loc] = _position(current.start_mark)
        if isinstance(current, (yaml.MappingNode, yaml.SequenceNode)):
            if id(current) in inside:
                line, column = _position(current.start_mark)
                issues.append(PolicyIssue(path, line, column, None,
                                          "an alias refers to the mapping or list it is inside (a loop); remove it"))
                return None
            inside.add(id(current))
            try:
                return build_collection(current, loc)
            finally:
                inside.discard(id(current))
        try:
            return loader.construct_object(current, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            # e.g. a date like 2026-13-01: YAML reads it as a date, which does not exist
            line, column = _position(current.start_mark)
            problem = getattr(exc, "problem", None) or str(exc)
            issues.append(PolicyIssue(path, line, column, None,
                                      f"bad value {current.value!r}: {problem}; correct it (quote it if it is text)"))
            return None

    def build_collection(current: yaml.Node, loc: Loc) -> Any:
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
        return [build(item, loc + (index,)) for index, item in enumerate(current.value)]

    try:
        doc.data = build(node, ())
    except _TooBig:
        doc.data = None
        issues.append(PolicyIssue(path, 1, 1, None, f"the policy holds more than {MAX_VALUES:,} values once its aliases "
                                                    "are expanded; use fewer aliases (`*name`) or split the lists"))
    except RecursionError:
        doc.data = None
        issues.append(PolicyIssue(path, 1, 1, None, "the YAML is nested too deeply; a policy needs a few levels, not hundreds"))
    finally:
        loader.dispose()
    return doc, issues


class _TooBig(Exception):
    """More values than MAX_VALUES: stop building (an alias bomb would otherwise take all memory)."""


def _unreadable_character(path: str, text: str, exc: yaml.reader.ReaderError) -> PolicyIssue:
    """Where the character YAML refuses sits (its position counts characters), and which one it is."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return PolicyIssue(path, line, column, None,
                       f"the character U+{exc.character:04X} is not allowed in a YAML file; delete it")
