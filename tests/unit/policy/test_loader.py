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
