"""Text split into display segments: findings highlighted on the exact words, and word diffs.

Pure functions over plain data (a verdict's JSON findings), so the staff
pages, the approver pages and the live check endpoint all highlight the
same way, and templates or JavaScript render the segments as inert text.

`segments(text, findings)` merges overlapping spans into one highlighted
segment that carries every finding touching it (rule ids, severities,
messages, sources); spans that only touch stay separate segments, so two
neighbouring words flagged by different rules keep their own marks.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reviewer.policy.schema import SEVERITIES
from reviewer.policy.verdict import default_title

ACTION_ORDER = ("note", "review", "block")


@dataclass(frozen=True)
class Mark:
    """One finding's note on a highlighted segment; `number` is its place (1-based) in the findings list."""

    number: int
    rule: str
    severity: str
    action: str
    message: str
    source: str
    also: tuple[str, ...] = ()  # rules merged under this one (same words)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "rule": self.rule,
            "severity": self.severity,
            "action": self.action,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True)
class Segment:
    """A run of the text: plain (no marks) or highlighted by one or more findings."""

    text: str
    start: int
    end: int
    marks: tuple[Mark, ...] = ()

    @property
    def highlighted(self) -> bool:
        return bool(self.marks)

    @property
    def rules(self) -> list[str]:
        return list(dict.fromkeys(rule for mark in self.marks for rule in (mark.rule, *mark.also)))

    @property
    def action(self) -> str | None:
        """The strongest action among the marks (block > review > note)."""
        return _strongest((m.action for m in self.marks), ACTION_ORDER)

    @property
    def severity(self) -> str | None:
        """The highest severity among the marks."""
        return _strongest((m.severity for m in self.marks), SEVERITIES)

    @property
    def title(self) -> str:
        """A one-line summary for a tooltip: `rule: message` for each mark."""
        return "; ".join(f"{m.rule}: {m.message}" for m in self.marks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "action": self.action,
            "severity": self.severity,
            "marks": [m.to_dict() for m in self.marks],
        }


def _strongest(values: Iterable[str], order: Sequence[str]) -> str | None:
    best = None
    for value in values:
        rank = order.index(value) if value in order else -1
        if best is None or rank > best[0]:
            best = (rank, value)
    return None if best is None else best[1]


def numbered_findings(findings: Iterable[Mapping[str, Any]], target: str = "draft") -> list[tuple[int, Mapping[str, Any]]]:
    """The findings about `target` (a finding without a target is about the draft), merged, numbered from 1."""
    chosen = [f for f in findings if (f.get("target") or "draft") == target]
    return list(enumerate(merge_same_words(chosen), start=1))


def _same_words(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two findings about exactly the same words (or both about the whole text, from one family of rules),
    that do not ask different groups for approval."""
    spans_a, spans_b = sorted(map(tuple, a.get("spans") or ())), sorted(map(tuple, b.get("spans") or ()))
    if spans_a != spans_b:
        return False
    if not spans_a and str(a.get("rule", "")).split(".")[0] != str(b.get("rule", "")).split(".")[0]:
        return False
    blocks = "block" in (a.get("action"), b.get("action"))
    return blocks or a.get("route") == b.get("route")


def merge_same_words(findings: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings about the same words as one: the strongest leads (its title, message, action), the others
    are named under it in `also`; `rules` lists every rule id. Order: where the group's first finding was."""
    groups: list[list[Mapping[str, Any]]] = []
    for finding in findings:
        for group in groups:
            if _same_words(group[0], finding):
                group.append(finding)
                break
        else:
            groups.append([finding])
    merged: list[Mapping[str, Any]] = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        lead = max(group, key=lambda f: (ACTION_ORDER.index(f.get("action")) if f.get("action") in ACTION_ORDER else -1,
                                         SEVERITIES.index(f.get("severity")) if f.get("severity") in SEVERITIES else -1))
        others = [f for f in group if f is not lead]
        merged.append({
            **lead,
            "rules": [lead.get("rule"), *(f.get("rule") for f in others)],
            "also": [{"rule": f.get("rule"), "title": f.get("title") or f.get("rule"), "action": f.get("action")} for f in others],
        })
    return merged


def segments(text: str, findings: Iterable[Mapping[str, Any]], target: str = "draft") -> list[Segment]:
    """Split `text` into plain and highlighted segments from the findings' spans.

    Spans are code-point offsets into `text` (as the verdict gives them);
    ones outside the text are clipped, empty ones ignored. Overlapping spans
    (of one finding or several) become one segment carrying each finding
    once, in findings-list order; touching spans stay separate.
    """
    length = len(text)
    spans: list[tuple[int, int, Mark]] = []
    for number, finding in numbered_findings(findings, target):
        mark = Mark(
            number=number,
            rule=str(finding.get("rule", "")),
            severity=str(finding.get("severity", "")),
            action=str(finding.get("action", "")),
            message=str(finding.get("message", "")),
            source=str(finding.get("source", "")),
            also=tuple(str(other.get("rule", "")) for other in finding.get("also") or ()),
        )
        for span in finding.get("spans") or ():
            start, end = max(0, min(int(span[0]), length)), max(0, min(int(span[1]), length))
            if start < end:
                spans.append((start, end, mark))
    spans.sort(key=lambda item: (item[0], item[1]))

    groups: list[tuple[int, int, list[Mark]]] = []
    for start, end, mark in spans:
        if groups and start < groups[-1][1]:  # overlaps the group so far (touching does not)
            last_start, last_end, marks = groups[-1]
            if mark not in marks:
                marks.append(mark)
            groups[-1] = (last_start, max(last_end, end), marks)
        else:
            groups.append((start, end, [mark]))

    result: list[Segment] = []
    position = 0
    for start, end, marks in groups:
        if start > position:
            result.append(Segment(text[position:start], position, start))
        result.append(Segment(text[start:end], start, end, tuple(sorted(marks, key=lambda m: m.number))))
        position = end
    if position < length or not result:
        result.append(Segment(text[position:], position, length))
    return result


# --- Word diffs between versions ---------------------------------------------------

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class DiffPiece:
    """A run of a word diff: `op` is `equal`, `insert` (only in the newer text) or `delete` (only in the older)."""

    op: str
    text: str


def word_diff(old: str, new: str) -> list[DiffPiece]:
    """The difference between two texts word by word (difflib), as plain pieces to render escaped."""
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    pieces: list[DiffPiece] = []

    def add(op: str, tokens: list[str]) -> None:
        if not tokens:
            return
        joined = "".join(tokens)
        if pieces and pieces[-1].op == op:
            pieces[-1] = DiffPiece(op, pieces[-1].text + joined)
        else:
            pieces.append(DiffPiece(op, joined))

    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", old_tokens[a0:a1])
        else:
            add("delete", old_tokens[a0:a1])
            add("insert", new_tokens[b0:b1])
    return pieces


# --- The decision in words ------------------------------------------------------------


def decision_label(decision: str | None, routes: Sequence[str] = (), approvals: int = 1) -> str:
    """`Passes policy`, `Needs approval by comms, legal` or `Blocked: change the highlighted words`."""
    if decision == "pass":
        return "Passes policy"
    if decision == "review":
        groups = ", ".join(routes) or "comms"
        extra = f" ({approvals} approvals)" if approvals > 1 else ""
        return f"Needs approval by {groups}{extra}"
    if decision == "block":
        return "Blocked: change the highlighted words"
    return "Not checked yet"


def verdict_label(verdict: Mapping[str, Any] | None) -> str:
    """decision_label for a verdict's JSON (None: not checked yet)."""
    if not verdict:
        return decision_label(None)
    return decision_label(verdict.get("decision"), verdict.get("routes") or [], int(verdict.get("approvals") or 1))


def routing_reasons(verdict: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Why each approver group was asked: the findings that routed to it, as the pages number them.

    One entry per route, in the verdict's order: {"route", "about_post": ["P1", ...], "about_draft": ["2", ...]},
    so a page can say "Routed to safeguarding because of the post being answered (P1)" in text.
    """
    findings = (verdict or {}).get("findings") or []
    reasons = []
    for route in (verdict or {}).get("routes") or []:
        refs: dict[str, list[str]] = {"in_reply_to": [], "draft": []}
        for target, prefix in (("in_reply_to", "P"), ("draft", "")):
            for number, finding in numbered_findings(findings, target):
                if finding.get("route") == route and finding.get("action") == "review":
                    refs[target].append(f"{prefix}{number}")
        reasons.append({"route": route, "about_post": refs["in_reply_to"], "about_draft": refs["draft"]})
    return reasons


# --- What the editor's live check returns ------------------------------------------------


def submit_outcome(verdict: Mapping[str, Any] | None, back_to: Sequence[str] = ()) -> dict[str, Any]:
    """What Submit will do, as its label, and why it cannot when the policy blocks the text.

    {"label": "Send for comms approval", "blocked": None}; a block gives the reason to show beside a disabled button.
    `back_to`: the groups of who returned the draft; a passing text goes back to them (docs/workflow.md).
    """
    decision = (verdict or {}).get("decision")
    if decision == "pass" and back_to:
        return {"label": f"Send back to {' and '.join(back_to)} for approval", "blocked": None}
    if decision == "block":
        return {"label": "Blocked: cannot submit", "blocked": "Blocked by the policy: change the highlighted words before you submit."}
    if decision == "review":
        groups = " and ".join((verdict or {}).get("routes") or ["comms"])
        return {"label": f"Send for {groups} approval", "blocked": None}
    if decision == "pass":
        return {"label": "Submit: passes policy, approved at once", "blocked": None}
    return {"label": "Submit", "blocked": None}


def check_payload(
    text: str, verdict: Mapping[str, Any], inbound_text: str | None = None, *,
    limit: int | None = None, platform: str | None = None,
) -> dict[str, Any]:
    """What the editor's script draws: the decision in words, numbered findings, highlight segments,
    what Submit will do, and the length against the platform's limit (`limit` None: none known)."""
    payload: dict[str, Any] = {
        "decision": verdict["decision"],
        "label": verdict_label(verdict),
        "routes": verdict.get("routes", []),
        "approvals": verdict.get("approvals", 1),
        "findings": [_finding_json(n, f) for n, f in numbered_findings(verdict["findings"], "draft")],
        "context_findings": [_finding_json(n, f) for n, f in numbered_findings(verdict["findings"], "in_reply_to")],
        "segments": [s.to_dict() for s in segments(text, verdict["findings"], "draft")],
        "submit": submit_outcome(verdict),
        "length": {"count": len(text), "limit": limit, "platform": platform},
        "verdict": verdict,
    }
    if inbound_text is not None:
        payload["inbound_segments"] = [s.to_dict() for s in segments(inbound_text, verdict["findings"], "in_reply_to")]
    return payload


def finding_title(finding: Mapping[str, Any]) -> str:
    """The finding's plain title (stored verdicts from before titles: made from the rule id)."""
    return str(finding.get("title") or default_title(str(finding.get("rule", ""))))


def _finding_json(number: int, finding: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("rule", "severity", "action", "route", "message", "source", "excerpt", "spans")
    return {
        "number": number, **{key: finding.get(key) for key in keys}, "title": finding_title(finding),
        "also": list(finding.get("also") or ()), "rules": list(finding.get("rules") or [finding.get("rule")]),
    }
