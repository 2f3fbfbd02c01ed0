"""Every loader error path: exact file:line:column, rule id and wording."""

from __future__ import annotations

import pytest

from reviewer.policy import PolicyError, load_policy

from policy_helpers import BASE, RULE_HEAD


def test_the_base_policy_is_valid(policy_of) -> None:
    assert policy_of(BASE).id == "test"


def test_yaml_syntax_error_names_the_mark(errors) -> None:
    lines = errors(BASE.replace("terms: [idiot]", "terms: [idiot"))
    assert len(lines) == 1
    assert lines[0].startswith("policy.yaml:11:1: YAML syntax error: expected ',' or ']', but got '<stream end>'")


def test_bad_indentation_is_a_yaml_error(errors) -> None:
    lines = errors(BASE.replace("    kind: lexicon", "   kind: lexicon"))
    assert lines[0].startswith("policy.yaml:5:4: YAML syntax error:")


def test_empty_file(errors) -> None:
    assert errors("") == ["policy.yaml:1:1: the policy file is empty; it needs at least `id`, `version` and `rules`"]


def test_top_level_must_be_a_mapping(errors) -> None:
    assert errors("- a\n- b\n") == ["policy.yaml:1:1: a policy file must be a mapping of keys (id, version, rules, ...)"]


def test_duplicate_yaml_key(errors) -> None:
    lines = errors(BASE.replace('version: "1"', 'id: other'))
    assert lines == ["policy.yaml:2:1: duplicate key 'id' (first at line 1); keep one"]


def test_unknown_top_level_key_suggests_the_closest(errors) -> None:
    lines = errors(BASE.replace('version: "1"', 'version: "1"\ntitel: x'))
    assert lines == [
        "policy.yaml:3:1: unknown key 'titel' in the policy; did you mean 'title'? (allowed: schema, id, version, "
        "title, description, extends, timezone, defaults, semantic, periods, rules, examples)"
    ]


def test_unknown_rule_key_names_the_rule_and_allowed_keys(errors) -> None:
    lines = errors(BASE.replace("terms: [idiot]", "termz: [idiot]"))
    assert "policy.yaml:10:5: [a.one] unknown key 'termz' in the lexicon rule; did you mean 'terms'? (allowed: id, title, kind, " \
           "severity, action, route, approvals, message, source, during, escalate, enabled, terms, whole_word, allow)" in lines
    assert "policy.yaml:4:5: [a.one] missing required field 'terms' in the lexicon rule; add `terms:`" in lines


def test_unknown_key_without_a_close_match(errors) -> None:
    lines = errors(BASE + "    zzz: 1\n")
    assert lines[0].startswith("policy.yaml:11:5: [a.one] unknown key 'zzz' in the lexicon rule; allowed keys: id, title, kind,")


def test_wrong_type_says_what_was_expected(errors) -> None:
    assert errors(BASE.replace('version: "1"', "version: 2026.1")) == [
        "policy.yaml:2:10: 'version' must be text; got 2026.1 (float); put it in quotes"
    ]
    assert errors(BASE.replace("terms: [idiot]", "terms: idiot")) == [
        "policy.yaml:10:12: [a.one] 'terms' must be a list; got 'idiot'"
    ]
    assert errors(BASE + "    whole_word: maybe\n") == [
        "policy.yaml:11:17: [a.one] 'whole_word' must be true or false; got 'maybe'"
    ]


def test_missing_required_field(errors) -> None:
    assert errors(BASE.replace("    message: Fix it.\n", "")) == [
        "policy.yaml:4:5: [a.one] missing required field 'message' in the lexicon rule; add `message:`"
    ]


def test_missing_id_and_version_at_the_top(errors) -> None:
    assert errors(BASE.replace('id: test\nversion: "1"\n', "")) == [
        "policy.yaml:1:1: missing required field 'id' at the top of the policy; add `id:`",
        "policy.yaml:1:1: missing required field 'version' at the top of the policy; add `version:`",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("severity: high", "severity: hgh",
         "policy.yaml:6:15: [a.one] 'hgh' is not a valid severity; did you mean 'high'? (allowed: low, medium, high, critical)"),
        ("action: block", "action: blok",
         "policy.yaml:7:13: [a.one] 'blok' is not a valid action; did you mean 'block'? (allowed: note, review, block)"),
        ("kind: lexicon", "kind: lexicn",
         "policy.yaml:5:11: [a.one] 'lexicn' is not a valid kind; did you mean 'lexicon'? (allowed: lexicon, regex, pii, "
         "links, length, tone, accessibility, toxicity, topic, semantic, context)"),
        ("kind: lexicon", "kind: tone\n    check: capital",
         "policy.yaml:6:12: [a.one] 'capital' is not a valid check for tone; did you mean 'capitals'? "
         "(allowed: capitals, punctuation, phrases)"),
        ("kind: lexicon", "kind: links",
         "policy.yaml:4:5: [a.one] missing required field 'check' in the links rule; one of: domains, shorteners, count"),
    ],
)
def test_bad_enums(errors, old: str, new: str, expected: str) -> None:
    assert expected in errors(BASE.replace(old, new))


def test_bad_platform_in_an_example(errors) -> None:
    lines = errors(BASE + "examples:\n  - {text: hi, expect: pass, platform: tweeter}\n")
    assert lines == ["policy.yaml:12:40: 'tweeter' is not a valid platform; did you mean 'twitter'? "
                     "(allowed: x, twitter, facebook, instagram, linkedin)"]


def test_bad_platform_key_in_length_limits(errors) -> None:
    text = "id: t\nversion: '1'\nrules:\n  - id: a.len\n    kind: length\n" + RULE_HEAD + "    limits: {tweeter: 10}\n"
    assert errors(text) == ["policy.yaml:10:14: [a.len] 'tweeter' is not a valid key in limits; did you mean 'twitter'? "
                            "(allowed: x, twitter, facebook, instagram, linkedin)"]


def test_duplicate_rule_ids_name_both_lines(errors) -> None:
    second = BASE[BASE.index("  - id: a.one"):]
    lines = errors(BASE + second)
    message = "[a.one] duplicate rule id 'a.one' (lines 4 and 11); give each rule its own id"
    assert lines == [f"policy.yaml:4:9: {message}", f"policy.yaml:11:9: {message}"]


def test_invalid_regex_reports_the_regex_error_and_position(errors) -> None:
    text = "id: t\nversion: '1'\nrules:\n  - id: a.re\n    kind: regex\n" + RULE_HEAD + "    patterns: ['ok', '(abc']\n"
    assert errors(text) == [
        "policy.yaml:10:22: [a.re] invalid regex '(abc': missing ), unterminated subpattern at position 0; "
        "fix the pattern (Python `re` syntax; in YAML prefer single quotes)"
    ]


def test_bad_timezone_suggests_the_closest(errors) -> None:
    assert errors(BASE.replace('version: "1"', 'version: "1"\ntimezone: Pacific/Aukland')) == [
        "policy.yaml:3:11: unknown timezone 'Pacific/Aukland'; did you mean 'Pacific/Auckland'? "
        "Use an IANA name such as Pacific/Auckland or Europe/London"
    ]


def test_period_ending_before_it_starts(errors) -> None:
    text = BASE + "periods:\n  - {name: vote, kind: election, start: 2026-10-01, end: 2026-09-01}\n"
    assert errors(text) == [
        "policy.yaml:12:58: period 'vote' ends (2026-09-01) before it starts (2026-10-01); swap or correct the dates"
    ]


def test_during_naming_no_period(errors) -> None:
    text = BASE + "    during: electoin\nperiods:\n  - {name: vote, kind: election, start: 2026-09-01, end: 2026-10-01}\n"
    assert errors(text) == [
        "policy.yaml:11:13: [a.one] during: 'electoin' names no declared period kind or name; "
        "did you mean 'election'? (periods: election, vote)"
    ]


def test_escalate_naming_no_period(errors) -> None:
    text = BASE + "    escalate:\n      - {during: election, action: block}\n"
    assert errors(text) == [
        "policy.yaml:12:18: [a.one] escalate during: 'election' names no declared period kind or name "
        "(periods: none are declared)"
    ]


@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_toxicity_threshold_outside_zero_to_one(errors, value: str) -> None:
    text = ("id: t\nversion: '1'\nrules:\n  - id: a.tox\n    kind: toxicity\n" + RULE_HEAD
            + f"    thresholds: {{toxicity: 0.5, insult: {value}}}\n")
    assert errors(text) == [
        f"policy.yaml:10:41: [a.tox] toxicity threshold for 'insult' is {value}; a threshold must be between 0 and 1"
    ]


def test_topic_without_route(errors) -> None:
    text = "id: t\nversion: '1'\nrules:\n  - id: a.topic\n    kind: topic\n" + RULE_HEAD + "    terms: [court]\n"
    assert errors(text) == [
        "policy.yaml:4:5: [a.topic] missing required field 'route' in the topic rule; a topic rule must name the "
        "group that sees the draft (route: legal, safeguarding, ...)"
    ]


def test_context_match_of_unsupported_kind(errors) -> None:
    text = ("id: t\nversion: '1'\nrules:\n  - id: a.ctx\n    kind: context\n" + RULE_HEAD
            + "    match: {kind: links, check: count}\n")
    assert errors(text) == [
        "policy.yaml:10:19: [a.ctx] context.match of kind 'links' is not supported; use one of: lexicon, regex, pii, topic"
    ]


def test_context_match_with_rule_fields_says_where_they_go(errors) -> None:
    text = ("id: t\nversion: '1'\nrules:\n  - id: a.ctx\n    kind: context\n" + RULE_HEAD
            + "    match: {kind: topic, terms: [x], route: legal}\n")
    lines = errors(text)
    assert len(lines) == 1
    assert lines[0].startswith("policy.yaml:10:38: [a.ctx] unknown key 'route' in context.match (topic)")
    assert lines[0].endswith("; put it on the context rule itself, not under match")


def test_context_topic_needs_a_route(errors) -> None:
    text = ("id: t\nversion: '1'\nrules:\n  - id: a.ctx\n    kind: context\n    severity: high\n"
            "    message: m\n    source: s\n    match: {kind: topic, terms: [suicide]}\n")
    assert errors(text) == [
        "policy.yaml:4:5: [a.ctx] a context rule that matches a topic needs a `route`: the group that must see the draft"
    ]


def test_examples_naming_unknown_rules(errors) -> None:
    text = BASE + "examples:\n  - {text: hi, expect: block, rules: [a.one, a.two]}\n"
    assert errors(text) == ["policy.yaml:12:46: example names unknown rule 'a.two'; did you mean 'a.one'?"]


def test_case_ref_without_patterns(errors) -> None:
    text = "id: t\nversion: '1'\nrules:\n  - id: a.pii\n    kind: pii\n" + RULE_HEAD + "    detect: [email, case_ref]\n"
    assert errors(text) == ["policy.yaml:10:13: [a.pii] detect names case_ref but no case_ref_patterns are given; "
                            "add the agency's reference format as a regex"]


def test_bad_case_ref_flag(errors) -> None:
    text = ("id: t\nversion: '1'\nrules:\n  - id: a.pii\n    kind: pii\n" + RULE_HEAD
            + "    detect: [case_ref]\n    case_ref_patterns: ['CC-\\d+']\n    case_ref_flags: [ignorecas]\n")
    assert errors(text) == ["policy.yaml:12:22: [a.pii] 'ignorecas' is not a valid case_ref_flags; did you mean "
                            "'ignorecase'? (allowed: ignorecase, multiline, dotall, verbose)"]


def test_bad_rule_id(errors) -> None:
    assert errors(BASE.replace("id: a.one", "id: A One")) == [
        "policy.yaml:4:9: [A One] 'id' 'A One' may use only lowercase letters, digits, '_', '.' and '-'"
    ]


def test_all_errors_are_collected_in_one_pass(errors) -> None:
    text = (BASE.replace('version: "1"', 'version: 1\ntimezone: Mars/Olympus')
            .replace("severity: high", "severity: huge") + "    wat: 1\n"
            + "  - id: a.re\n    kind: regex\n" + RULE_HEAD + "    patterns: ['[']\n"
            + "periods:\n  - {name: p, kind: k, start: 2026-02-01, end: 2026-01-01}\n")
    lines = errors(text)
    assert [line.split(": ", 1)[0] for line in lines] == [
        "policy.yaml:2:10", "policy.yaml:3:11", "policy.yaml:7:15", "policy.yaml:12:5", "policy.yaml:19:16",
        "policy.yaml:21:48",
    ]


def test_a_bad_policy_never_half_loads(write) -> None:
    path = write(BASE.replace("severity: high", "severity: huge"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    issue = info.value.issues[0]
    assert (issue.path, issue.line, issue.column, issue.rule_id) == (str(path), 6, 15, "a.one")


def test_missing_file(tmp_path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path}/nope.yaml:1:1: file not found; check the path"


def test_disabling_a_rule_that_no_parent_defines(errors) -> None:
    lines = errors(BASE + "  - {id: a.two, enabled: false}\n")
    assert lines == ["policy.yaml:11:5: [a.two] disables rule 'a.two', but no parent policy defines it; did you mean 'a.one'?"]


def test_an_impossible_date(errors) -> None:
    text = BASE + "periods:\n  - {name: vote, kind: election, start: 2026-13-01, end: 2026-12-01}\n"
    assert errors(text) == [
        "policy.yaml:12:41: bad value '2026-13-01': month must be in 1..12; correct it (quote it if it is text)"]


def test_unknown_key_in_an_escalation(errors) -> None:
    text = BASE + "    escalate:\n      - {during: vote, actoin: block}\n"
    assert errors(text) == [
        "policy.yaml:12:24: [a.one] unknown key 'actoin' in escalate.0; did you mean 'action'? "
        "(allowed: during, action, severity, route, approvals)"]


def test_a_term_with_nothing_to_match(errors) -> None:
    assert errors(BASE.replace("terms: [idiot]", "terms: [idiot, ':']\n    allow: ['--']")) == [
        "policy.yaml:10:20: [a.one] terms entry ':' has no letters or digits left after normalisation; "
        "remove it or write it with letters",
        "policy.yaml:11:13: [a.one] allow entry '--' has no letters or digits left after normalisation; "
        "remove it or write it with letters",
    ]


def test_a_domain_pattern_that_cannot_match(errors) -> None:
    text = ("id: t\nversion: '1'\nrules:\n  - id: a.links\n    kind: links\n    check: domains\n" + RULE_HEAD
            + "    allowed_domains: ['*.gov.uk', '*']\n")
    [line] = errors(text)
    assert line.startswith("policy.yaml:11:35: [a.links] domain pattern '*' is not valid")
