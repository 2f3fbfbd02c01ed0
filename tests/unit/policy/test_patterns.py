"""Policy regexes run on RE2 (reviewer.policy.patterns): linear time, Python's meaning kept, refusals at file:line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_helpers import RULE_HEAD

from reviewer.policy import load_policy
from reviewer.policy.patterns import PatternError, compile_pattern, translate
from reviewer.policy.rules.base import Scan
from reviewer.policy.rules.lexical import RegexRule

ROOT = Path(__file__).resolve().parents[3]
GOVERNMENT = ROOT / "policies" / "government.yaml"
OLD_PATTERNS = Path(__file__).resolve().parent / "fixtures" / "government_lookaround_patterns.yaml"
QUALITY = ROOT / "bench" / "data" / "quality" / "drafts.jsonl"
REDOS_TEXT = "a" * 41 + "!"


def python_spans(pattern: str, text: str, flags: int = 0) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(pattern, text, flags) if m.end() > m.start()]


@pytest.mark.parametrize(
    ("pattern", "flags", "text"),
    [
        (r"\w+", 0, "héllo wörld ٣٤ x_y"),  # \w is Unicode, as in Python
        (r"\d+", 0, "a ٣٤5 b"),  # \d matches any decimal digit
        (r"\s+", 0, "a\x1c\u2003b\x85c\u00a0d"),  # \s is str.isspace
        (r"[^\W\d_]+", 0, "ab1_é2ç"),  # letters only: negated categories inside a class
        (r"[\W_]+", 0, "a_ -b"),
        (r"(?a)\w+", 0, "héllo"),  # ASCII-only classes under (?a)
        (r"(?a:\s)+", 0, "a\x1c \tb"),
        (r"café", re.IGNORECASE, "CAFÉ Café café"),
        (r"k", re.IGNORECASE, "k K \u212a"),  # the Kelvin sign folds to k, in both engines
        (r"[hi]+", re.IGNORECASE, "Hİ hı HI"),  # Python also folds the Turkish İ and ı with i; RE2 is told
        (r"[a-z]+", re.IGNORECASE, "ABC \u017f"),
        (r"[^a]", re.IGNORECASE, "aAb\n"),  # case folding before negation
        (r"a.c", 0, "a\nc abc"),
        (r"a.c", re.DOTALL, "a\nc"),
        (r"^x", re.MULTILINE, "x\nx"),
        (r"x$", re.MULTILINE, "x\nx"),
        (r"a{2,3}?", 0, "aaaa"),  # lazy repeats
        (r"(?:a|ab)(?:c|bcd)", 0, "abcd"),  # leftmost-first alternation, as Python's
        (r"(?-i:[A-Z])\w+", re.IGNORECASE, "ab Cd"),  # local flags
        ("a # the letter a\n b", re.VERBOSE, "ab a b"),  # verbose is read by Python's parser
        (r"\bCC-\d{4}-\d{5}\b", re.IGNORECASE, "cc-2027-00451 xCC-2027-00451"),
        (r"(?P<ref>REF)-(\d+)", 0, "REF-12 REF-3"),  # groups (named or not) change nothing
        (r"[\u0400-\u04ff]+", 0, "abc Привет"),
        ("\U0001f600+", 0, "hi \U0001f600\U0001f600"),
    ],
)
def test_translation_keeps_pythons_meaning(pattern: str, flags: int, text: str) -> None:
    assert compile_pattern(pattern, flags).spans(text) == python_spans(pattern, text, flags)


@pytest.mark.parametrize(
    ("pattern", "flags", "text"),
    [
        (r"\bcafé\b", 0, "café au lait, cafés"),  # RE2's `\b` after "é" is written `\B`
        (r"\bÉcole\b", 0, "une École, xÉcole"),  # and before "É"
        (r"(?:Cafe|Café)\b", 0, "Café. Cafés Cafe"),  # Python's parser makes this Caf[eé]\b: split per letter
        (r"(?-i:(?:Bakery|Café|Coffee))\b", re.IGNORECASE, "Café Coffee Cafés"),  # into groups and alternatives
        (r"x[a-zé]\b", 0, "xé xa xéa"),
        (r"a\bb", 0, "ab a b"),  # settled by the pattern alone: never
        (r"é\B\w", 0, "éa é a"),
        (r"\bwhānau\b", 0, "our whānau."),
        (r"\b\w+\b", 0, "café au lait, ÉCOLE whānau é"),  # a repeat's first and last repetitions set apart
        (r"\bsalary\s+of\s+\w+\b", 0, "salary of Zoë."),
        (r"\b[a-zé]{1,2}\b", re.IGNORECASE, "é éé ab abc"),
    ],
)
def test_word_boundaries_next_to_letters_outside_ascii(pattern: str, flags: int, text: str) -> None:
    """RE2's `\b` knows only ASCII word characters; where the pattern spells out the character beside the
    boundary, the translation keeps Python's meaning."""
    assert compile_pattern(pattern, flags).spans(text) == python_spans(pattern, text, flags)


def test_the_two_documented_differences() -> None:
    """docs/policy-format.md: where the pattern does not say what is beside `\b` and the text has a letter
    outside ASCII there, RE2 sees a non-word character; and `$` is the very end of the text."""
    assert python_spans(r"\bWe", "éWe") == []
    assert compile_pattern(r"\bWe").spans("éWe") == [(1, 3)]
    assert python_spans(r"\bcaf\b", "café") == []
    assert compile_pattern(r"\bcaf\b").spans("café") == [(0, 3)]
    assert python_spans(r"end$", "the end\n") == [(4, 7)]
    assert compile_pattern(r"end$").spans("the end\n") == []
    assert compile_pattern(r"end\s*$").spans("the end\n") == [(4, 8)]


def test_a_lone_surrogate_in_the_text_changes_no_offset() -> None:
    assert compile_pattern("ab").spans("\ud800ab\udfffab") == [(1, 3), (4, 6)]


@pytest.mark.parametrize(
    ("pattern", "construct", "position"),
    [
        (r"idiot(?!\w)", "a lookahead `(?!...)`", 5),
        (r"x(?=y)", "a lookahead `(?=...)`", 1),
        (r"[Hh](?<!\w.)is", "a lookbehind `(?<!...)`", 4),
        (r"(?<=\$)\d+", "a lookbehind `(?<=...)`", 0),
        (r"(\w)\1", "a backreference", 4),
        (r"(?P<d>-)\d+(?P=d)", "a backreference", 11),
        (r"(?>ab)c", "an atomic group `(?>...)`", 0),
        (r"a++b", "a possessive repeat (`*+`, `++`, `?+`)", 1),
        (r"x{1001}", "a repeat of 1001", 1),
    ],
)
def test_what_re2_cannot_run_is_refused_with_where_and_how(pattern: str, construct: str, position: int) -> None:
    with pytest.raises(PatternError) as info:
        translate(pattern)
    message = str(info.value)
    assert message.startswith(f"RE2 cannot run {construct} at position {position}: ")
    assert info.value.position == position


def test_redos_pattern_finishes_at_once() -> None:
    """`(a+)+$` took minutes in Python's `re` on this 42-character text; RE2 is linear."""
    started = time.perf_counter()
    assert compile_pattern(r"(a+)+$").spans(REDOS_TEXT) == []
    assert compile_pattern(r"(a|aa)+$").spans("a" * 5000 + "!") == []
    assert time.perf_counter() - started < 30  # a generous bound: the point is "not minutes"


REDOS_POLICY = """\
id: redos
version: "1"
rules:
  - id: a.redos
    kind: regex
{head}    patterns: ['(a+)+$']
"""


def test_reviewer_check_on_a_redos_pattern_finishes(write) -> None:
    """Before RE2, this `reviewer check` ran for minutes; it must now answer within a generous bound."""
    path = write(REDOS_POLICY.format(head=RULE_HEAD))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REVIEWER_ENCODER": "none"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "reviewer", "check", REDOS_TEXT, "--policy", str(path), "--scorer", "none",
         "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"] == "pass"
    print(f"reviewer check with (a+)+$ on {len(REDOS_TEXT)} characters: {elapsed:.2f} s (process start included)")


def test_an_unsupported_construct_is_a_file_line_error(errors) -> None:
    text = "id: t\nversion: '1'\nrules:\n  - id: a.re\n    kind: regex\n" + RULE_HEAD + r"    patterns: ['ok', 'idiot(?!\w)']" + "\n"
    [line] = errors(text)
    assert line.startswith("policy.yaml:10:22: [a.re] pattern 'idiot(?!\\\\w)': RE2 cannot run a lookahead "
                           "`(?!...)` at position 5: ")
    assert "`word(?!\\w)` becomes `word\\b`" in line


def test_case_ref_and_allow_patterns_are_checked_too(errors) -> None:
    text = ("id: t\nversion: '1'\nrules:\n  - id: a.ref\n    kind: pii\n" + RULE_HEAD
            + "    detect: [case_ref]\n    case_ref_patterns: ['(\\d)\\1']\n"
            + "  - id: a.re\n    kind: regex\n" + RULE_HEAD + "    patterns: ['x']\n    allow: ['(?<=a)x']\n")
    lines = errors(text)
    assert lines[0].startswith("policy.yaml:11:25: [a.ref] pattern '(\\\\d)\\\\1': RE2 cannot run a backreference")
    assert lines[1].startswith("policy.yaml:19:13: [a.re] pattern '(?<=a)x': RE2 cannot run a lookbehind")


def test_policy_validate_on_the_command_line_names_file_and_line(write) -> None:
    path = write(REDOS_POLICY.format(head=RULE_HEAD).replace("'(a+)+$'", "'(a+)+(?=!)'"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REVIEWER_ENCODER": "none"}
    result = subprocess.run([sys.executable, "-m", "reviewer", "policy", "validate", str(path)],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 3
    assert f"{path}:10:16: [a.redos] pattern '(a+)+(?=!)': RE2 cannot run a lookahead `(?=...)` at position 5" \
        in result.stdout


def test_allow_patterns_cancel_the_matches_they_overlap(write) -> None:
    path = write("id: t\nversion: '1'\nrules:\n  - id: a.rec\n    kind: regex\n" + RULE_HEAD
                 + "    patterns: ['\\brecommend\\s+\\w+']\n    allow: ['\\bNHS\\b']\n")
    policy = load_policy(path)
    assert [f.excerpt for f in policy.check("We recommend Acme.").findings] == ["recommend Acme"]
    assert policy.check("We recommend NHS services.").findings == ()


# --- The shipped policy: its RE2 rewrites find what the lookaround originals found ---------------------


def _texts() -> list[str]:
    policy = yaml.safe_load(GOVERNMENT.read_text(encoding="utf-8"))
    texts = [e["text"] for e in policy.get("examples") or []]
    texts += [e["in_reply_to"] for e in policy.get("examples") or [] if e.get("in_reply_to")]
    for line in QUALITY.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        texts += [case["text"]] + ([case["in_reply_to"]] if case.get("in_reply_to") else [])
    return texts + [
        "We recommend the NHS.", "We'd recommend Citizens Advice for this.", "I love Lifeline's work.",
        "We recommend NHS-funded clinics.", "We recommend Citizens Bank.", "We recommend NHSX.",
        "Call Bob's Café today", "Check out Bob's Cafés", "Check out Acme Bakery!", "Try Zoë's Café.",
        "What the f*ck", "f**king hell", "sh!tty", "Sarah is off sick", "Their salary is",
        "His home address", "the officer's salary", "We will have it fixed by Friday", "We'll fix it by Monday.",
    ]


@pytest.fixture(scope="module")
def shipped_rules() -> dict[str, RegexRule]:
    rules = load_policy(GOVERNMENT, skip_semantic=True)._compiled.draft.rules
    return {rule.meta.id: rule for rule in rules if isinstance(rule, RegexRule)}


def _old_spans(rule: dict, text: str) -> list[tuple[int, int]] | None:
    flags = re.IGNORECASE if "ignorecase" in rule["flags"] else 0
    spans = [span for pattern in rule["patterns"] for span in python_spans(pattern, text, flags)]
    return spans or None


def test_rewritten_shipped_patterns_match_what_the_originals_matched(shipped_rules) -> None:
    old = yaml.safe_load(OLD_PATTERNS.read_text(encoding="utf-8"))["rules"]
    texts = _texts()
    assert len(texts) > 1000
    fired = dict.fromkeys(old, 0)
    for rule_id, original in old.items():
        rule = shipped_rules[rule_id]
        for text in texts:
            expected = _old_spans(original, text)
            assert rule.evaluate(Scan(text, {})) == expected, (rule_id, text)
            fired[rule_id] += expected is not None
    assert all(fired.values()), fired  # each rule fires on some text, so the comparison means something


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    " ", "\n", "’", "'", "s ", "We ", "I ", "recommend ", "the ", "NHS", "Citizens ", "Advice", "Acme", "Cafe",
    "Bob", " Plumbing", "Sarah ", "is ", "off sick", "officer", "Their ", "salary", "will ", "be fixed ", "by ",
    "Friday", "f", "*", "ck", "ing", "sh", "!", "t", "x", ".", "\u00a0", "call ", "Ltd",
]), max_size=16).map("".join))
def test_rewritten_shipped_patterns_agree_on_generated_texts(shipped_rules, text: str) -> None:
    """No letter outside ASCII in these pieces: next to one, `\\b` differs by design (see the documented differences)."""
    old = yaml.safe_load(OLD_PATTERNS.read_text(encoding="utf-8"))["rules"]
    for rule_id, original in old.items():
        assert shipped_rules[rule_id].evaluate(Scan(text, {})) == _old_spans(original, text), (rule_id, text)


PROPERTY_PATTERNS = [
    r"\w+", r"\W+", r"\d+", r"\s+", r"[^\W\d_]+", r"[\w&'’-]+", r"a+?", r"(?i)ab|a", r"x+", r"[^a-c]",
    r"(?i:é)\w{1,3}", r"(?:ab|a)(?:bc|c)?", r"[.,!?]{2,}", r"^\w", r"(?m)\w$", r"(?s).{2}",
]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PROPERTY_PATTERNS),
       st.text(alphabet="abcxABÉé_ ’'-.,!?\n\t٣5\u00a0\u2003\U0001f600", max_size=20))
def test_spans_are_pythons_on_ascii_and_other_text(pattern: str, text: str) -> None:
    """Both ways a text is matched (ASCII straight to RE2's matcher, other text through the re2 module) give
    Python's spans."""
    assert compile_pattern(pattern).spans(text) == python_spans(pattern, text)
    assert compile_pattern(pattern).search(text) == bool(re.search(pattern, text))


@pytest.mark.parametrize("pattern", [r"x*", r"a|", r"\b", r"(?:\bREF)?", r"b*?", r"^$"])
def test_a_pattern_that_matches_empty_text_is_refused(pattern: str) -> None:
    """Python's finditer goes on from an empty match to a longer one at the same place and RE2's does not;
    a rule reports no empty match anyway, so such a pattern is an author's slip."""
    with pytest.raises(PatternError, match="matches empty text"):
        translate(pattern)


def test_the_shipped_unicode_classes_are_what_re_finds_on_this_python() -> None:
    import unicodedata

    from reviewer.policy._text import char_sets

    shipped = char_sets._shipped()
    assert shipped["unicode"] == unicodedata.unidata_version, "rewrite it: char_sets.write_shipped()"
    for letter in "dsw":
        assert tuple(map(tuple, shipped[letter])) == char_sets.scan(letter, ascii_only=False)
