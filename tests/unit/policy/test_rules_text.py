"""lexicon, regex, topic, tone phrases and context rules."""

from __future__ import annotations

from policy_helpers import rule_policy


def spans(verdict):
    return [(f.rule, list(f.spans), f.excerpt) for f in verdict.findings]


def test_lexicon_whole_word_avoids_scunthorpe_errors(policy_of) -> None:
    policy = policy_of(rule_policy("kind: lexicon\nterms: [ass, cunt, idiot]"))
    for clean in ("Scunthorpe council", "your assessment", "a class act", "Idiotic? no: idiosyncratic"):
        assert policy.check(clean).decision == "pass", clean
    assert spans(policy.check("What an idiot.")) == [("r.x", [(8, 13)], "idiot")]


def test_lexicon_resists_evasion_and_points_at_the_typed_text(policy_of) -> None:
    policy = policy_of(rule_policy("kind: lexicon\nterms: [idiot, stupid]"))
    for text, typed in [("you 1d10t", "1d10t"), ("s t u p i d", "s t u p i d"), ("stuuupid", "stuuupid"),
                        ("ID\u200bIOT", "ID\u200bIOT"), ("\uff49\uff44\uff49\uff4f\uff54", "\uff49\uff44\uff49\uff4f\uff54")]:
        verdict = policy.check(text)
        assert verdict.decision == "block", text
        assert verdict.findings[0].excerpt == typed


def test_lexicon_whole_word_false_matches_inside_words(policy_of) -> None:
    policy = policy_of(rule_policy("kind: lexicon\nwhole_word: false\nterms: [shit]"))
    assert spans(policy.check("bullshit")) == [("r.x", [(4, 8)], "shit")]


def test_lexicon_allow_cancels_overlapping_matches(policy_of) -> None:
    policy = policy_of(rule_policy("kind: lexicon\nterms: [stupid]\nallow: [stupid question]"))
    assert policy.check("There is no stupid question.").decision == "pass"
    assert policy.check("That was stupid, a stupid question.").findings[0].spans == ((9, 15),)


def test_one_finding_per_rule_with_every_span(policy_of) -> None:
    policy = policy_of(rule_policy("kind: lexicon\nterms: [idiot, moron]"))
    assert spans(policy.check("moron and idiot and moron")) == [
        ("r.x", [(0, 5), (10, 15), (20, 25)], "moron … idiot … moron")]


def test_regex_runs_on_the_original_text_with_flags(policy_of) -> None:
    policy = policy_of(rule_policy(r"kind: regex" + "\n" + r"patterns: ['\bINT-\d{4}\b']"))
    assert spans(policy.check("see int-1234 now")) == [("r.x", [(4, 12)], "int-1234")]
    strict = policy_of(rule_policy("kind: regex\npatterns: ['^INT']\nflags: [multiline]"), "strict.yaml")
    assert strict.check("ok\nint").decision == "pass"
    assert strict.check("ok\nINT").findings[0].spans == ((3, 6),)


def test_regex_that_matches_empty_text_is_refused_at_load(errors) -> None:
    """Empty matches are nothing to report, and RE2 steps past them differently from Python's `re`."""
    [line] = errors(rule_policy("kind: regex\npatterns: ['x*']"))
    assert "pattern 'x*': the pattern matches empty text" in line
    assert "make it require at least one character" in line


def test_topic_routes_for_review_by_default(policy_of) -> None:
    text = rule_policy("kind: topic\nroute: legal\nterms: [court case, sub judice]",
                       common="    severity: medium\n    message: m\n    source: s\n")
    verdict = policy_of(text).check("About the Court  Case: no comment.")
    assert (verdict.decision, verdict.routes) == ("review", ("legal",))
    assert verdict.findings[0].excerpt == "Court  Case"


def test_tone_phrases(policy_of) -> None:
    policy = policy_of(rule_policy("kind: tone\ncheck: phrases\nterms: [you people]"))
    assert spans(policy.check("You-people never read")) == [("r.x", [(0, 10)], "You-people")]


CONTEXT = """\
kind: context
match: {kind: topic, terms: [end it all, suicide]}
"""


def test_context_rule_checks_the_post_answered(policy_of) -> None:
    policy = policy_of(rule_policy(CONTEXT, common="    severity: high\n    route: safeguarding\n    message: m\n    source: s\n"))
    verdict = policy.check("We'll look into it.", in_reply_to="I can't go on, I want to end it all")
    assert (verdict.decision, verdict.routes) == ("review", ("safeguarding",))
    finding = verdict.findings[0]
    assert (finding.target, finding.spans, finding.excerpt, finding.kind) == ("in_reply_to", ((25, 35),), "end it all", "context")
    assert policy.check("We'll look into it.").decision == "pass"
    assert policy.check("end it all").decision == "pass"  # the draft itself is not the context


def test_context_with_regex_and_pii(policy_of) -> None:
    regex = policy_of(rule_policy(r"kind: context" + "\n" + r"match: {kind: regex, patterns: ['\bREF\d+']}"), "r.yaml")
    assert regex.check("ok", in_reply_to="my REF123").findings[0].spans == ((3, 9),)
    pii = policy_of(rule_policy("kind: context\nmatch: {kind: pii, detect: [email]}"), "p.yaml")
    assert pii.check("ok", in_reply_to="mail jo@example.org").findings[0].excerpt == "jo@example.org"
    lexicon = policy_of(rule_policy("kind: context\nmatch: {kind: lexicon, terms: [idiot]}"), "l.yaml")
    assert lexicon.check("ok", in_reply_to="you 1d10t").findings[0].action == "block"


def test_regex_reports_overlapping_matches_of_several_patterns(policy_of) -> None:
    policy = policy_of(rule_policy("kind: regex\npatterns: ['abc', 'bcde', 'zz']"))
    assert spans(policy.check("xabcdex")) == [("r.x", [(1, 6)], "abcde")]
    assert policy.check("nothing here").decision == "pass"


def test_regex_with_a_global_inline_flag_still_works(policy_of) -> None:
    policy = policy_of(rule_policy("kind: regex\npatterns: ['(?s)a.b', 'zz']\nflags: []"))
    assert spans(policy.check("a\nb")) == [("r.x", [(0, 3)], "a\nb")]
    assert policy.check("A\nB").decision == "pass"
