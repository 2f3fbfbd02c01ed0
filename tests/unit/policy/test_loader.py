"""load_policy: the public API, the compiled-policy cache, files that cannot be read."""

from __future__ import annotations

import pytest
from policy_helpers import BASE, FIXTURES

import reviewer.policy as api
from reviewer.policy import Policy, PolicyError, PolicyIssue, load_policy


def test_public_api() -> None:
    assert set(api.__all__) >= {"load_policy", "PolicyError", "PolicyIssue", "Policy", "Verdict", "Draft", "Scorer"}


def test_a_loaded_policy_describes_itself(write) -> None:
    path = write(BASE)
    policy = load_policy(str(path))
    assert isinstance(policy, Policy)
    assert (policy.id, policy.version, policy.path, policy.timezone) == ("test", "1", str(path), "UTC")
    assert len(policy.sha256) == 64 and policy.required_labels == set()
    assert repr(policy).startswith("<Policy test 1 ")
    assert (policy.title, policy.description) == (None, None)
    assert load_policy(FIXTURES / "every_kind.yaml").title == "Every rule kind"


def test_compiled_policies_are_cached_by_content(write) -> None:
    first = load_policy(write(BASE, "one.yaml"))
    second = load_policy(write("# same rules, other file\n" + BASE, "two.yaml"))
    assert first.sha256 == second.sha256
    assert first._compiled is second._compiled
    assert (first.path, second.path) != (second.path, second.path)
    third = load_policy(write(BASE.replace("idiot", "moron"), "three.yaml"))
    assert third.sha256 != first.sha256 and third._compiled is not first._compiled


def test_policy_issue_format() -> None:
    issue = PolicyIssue("p.yaml", 3, 7, "a.b", "bad")
    assert str(issue) == "p.yaml:3:7: [a.b] bad"
    assert str(PolicyIssue("p.yaml", 1, 1, None, "bad")) == "p.yaml:1:1: bad"
    error = PolicyError([issue, PolicyIssue("p.yaml", 4, 1, None, "worse")])
    assert str(error) == "p.yaml:3:7: [a.b] bad\np.yaml:4:1: worse"
    assert len(error.issues) == 2


def test_unreadable_files(tmp_path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"id: caf\xe9\n")
    with pytest.raises(PolicyError, match=r"latin1.yaml:1:1: not UTF-8 text \(invalid continuation byte at byte 7\)"):
        load_policy(tmp_path / "latin1.yaml")
    with pytest.raises(PolicyError, match="is a directory, not a policy file"):
        load_policy(tmp_path)


def test_an_empty_rules_list_is_allowed(write) -> None:
    assert load_policy(write("id: empty\nversion: '1'\nrules:\n")).check("anything").decision == "pass"


def test_the_fixture_policy_runs_its_own_examples() -> None:
    from reviewer.policy.examples import run_examples

    results = run_examples(load_policy(FIXTURES / "every_kind.yaml"))
    assert len(results) == 4 and all(r.ok for r in results)


TOXICITY_RULE = """\
  - id: a.tox
    kind: toxicity
    severity: high
    action: review
    message: Calm it.
    source: s.2
    thresholds: {toxicity: 0.8}
"""


def test_an_example_with_scores_is_checked_with_exactly_those_scores(write) -> None:
    from reviewer.policy.examples import run_examples

    examples = ("examples:\n"
                "  - {text: 'hello', expect: review, rules: [a.tox], scores: {toxicity: 0.8}}\n"
                "  - {text: 'hello', expect: pass, rules: [], scores: {toxicity: 0.7999}}\n"
                "  - {text: 'hello', expect: pass, rules: []}\n")
    policy = load_policy(write(BASE + TOXICITY_RULE + examples))
    results = run_examples(policy)
    assert [r.ok for r in results] == [True, True, True]
    assert [r.verdict.scores for r in results] == [{"toxicity": 0.8}, {"toxicity": 0.7999}, {}]
    assert results[0].verdict.scorer is not None and results[2].verdict.scorer is None

    class Always:
        name, version, labels = "always", "1", ("toxicity",)

        def score(self, texts: list[str]) -> list[dict[str, float]]:
            return [{"toxicity": 1.0} for _ in texts]

    results = run_examples(policy, scorer=Always())  # the example's own scores win over the scorer's
    assert [r.ok for r in results] == [True, True, False]


def test_a_failing_example_with_scores_shows_them(write) -> None:
    from reviewer.policy.examples import run_examples

    path = write(BASE + TOXICITY_RULE + "examples:\n  - {text: hi, expect: block, scores: {toxicity: 0.9}}\n")
    [result] = run_examples(load_policy(path))
    assert "  scores: {toxicity: 0.9}" in result.diff().splitlines()


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ("{toxicty: 0.9}", "19:57: example scores label 'toxicty', which no toxicity rule of this policy names; "
                           "did you mean 'toxicity'? (labels: toxicity)"),
        ("{toxicity: 1.5}", "19:67: example score for 'toxicity' is 1.5; a score must be between 0 and 1"),
        ("{toxicity: high}", "19:67: 'scores.toxicity' must be a number; got 'high'"),
        ("[0.9]", "19:56: 'scores' must be a mapping; got a list"),
    ],
)
def test_bad_example_scores_are_reported_at_their_line(errors, scores: str, message: str) -> None:
    text = BASE + TOXICITY_RULE + f"examples:\n  - {{text: hi, expect: review, rules: [a.tox], scores: {scores}}}\n"
    assert errors(text) == [f"policy.yaml:{message}"]


def test_a_failing_example_is_shown_as_a_diff(write) -> None:
    from reviewer.policy.examples import run_examples

    path = write(BASE + "examples:\n  - {text: 'you idiot', expect: pass, rules: []}\n")
    [result] = run_examples(load_policy(path))
    assert not result.ok
    assert result.diff() == "\n".join([
        f"FAIL {path}:12:5",
        "  text: 'you idiot'",
        "  --- expected",
        "  +++ got",
        "  @@ -1,2 +1,2 @@",
        "  -decision: pass",
        "  -rules: []",
        "  +decision: block",
        "  +rules: [a.one]",
        "  # fired a.one (block) on draft: 'idiot'",
    ])
