"""The policies shipped in policies/: each loads, and each of its examples passes.

Every example of every `policies/*.yaml` is its own test case, so a failure
names the file, the example's index and first words, and shows the engine's
diff of expected and got. The examples run with the embedded sentence
encoder (semantic rules apply) and without a toxicity scorer; one slow test re-runs them with the embedded scorer, as
`reviewer policy test` does by default, and expects the same results.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from reviewer.encoder import load_encoder
from reviewer.policy import PolicyError
from reviewer.policy import load_policy as load_bare
from reviewer.policy.examples import ExampleResult, run_examples

POLICIES = Path(__file__).resolve().parents[3] / "policies"
POLICY_FILES = sorted(POLICIES.glob("*.yaml"))
MIN_EXAMPLES = {"government.yaml": 80, "city-council.yaml": 15}


def load_policy(path: Path):
    """A shipped policy as the product loads it: with the embedded sentence encoder (make test builds it)."""
    return load_bare(path, encoder=load_encoder("embedded"))


def _slug(text: str, words: int = 5) -> str:
    """The first few words of a text, safe for a test id."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words]) or "blank"


@cache
def _raw(path: Path) -> dict:
    """The file as plain YAML, for what the test needs to enumerate (not to check)."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def _results(path: Path) -> tuple[ExampleResult, ...]:
    """Every example of one policy file, run once (rules only) and shared by its cases."""
    return tuple(run_examples(load_policy(path)))


def _example_cases() -> list:
    cases = []
    for path in POLICY_FILES:
        try:
            examples = _raw(path).get("examples") or []
        except (yaml.YAMLError, AttributeError):
            continue  # test_policy_loads reports the broken file with the loader's file:line message
        for index, example in enumerate(examples):
            text = example.get("text", "") if isinstance(example, dict) else ""
            cases.append(pytest.param(path, index, id=f"{path.stem}-{index:03d}-{_slug(text)}"))
    return cases


def test_policies_are_shipped() -> None:
    assert {path.name for path in POLICY_FILES} >= set(MIN_EXAMPLES)


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.stem)
def test_policy_loads(path: Path) -> None:
    try:
        policy = load_policy(path)
    except PolicyError as error:
        pytest.fail(f"{path.name} does not load:\n{error}")
    assert policy.examples, f"{path.name} has no examples"


@pytest.mark.parametrize(("path", "index"), _example_cases())
def test_example(path: Path, index: int) -> None:
    result = _results(path)[index]
    assert result.ok, result.diff()


@pytest.mark.parametrize(("name", "minimum"), sorted(MIN_EXAMPLES.items()))
def test_enough_examples(name: str, minimum: int) -> None:
    examples = _raw(POLICIES / name)["examples"]
    assert len(examples) >= minimum
    assert sum(1 for example in examples if example["expect"] == "pass") >= minimum // 4, "too few hard negatives"


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.stem)
def test_every_rule_has_a_positive_example(path: Path) -> None:
    """Each enabled rule a file defines is fired by at least one of that file's examples
    (toxicity rules by examples that give their `scores`)."""
    raw = _raw(path)
    defined = {rule["id"] for rule in raw.get("rules") or [] if rule.get("enabled", True)}
    fired = {rule for example in raw.get("examples") or [] for rule in example.get("rules") or []}
    assert sorted(defined - fired) == []


@pytest.mark.parametrize(
    ("name", "date", "decision", "routes", "approvals"),
    [
        ("government.yaml", dt.date(2027, 6, 1), "pass", [], 1),      # outside the example general election
        ("government.yaml", dt.date(2027, 9, 20), "review", ["political"], 2),
        ("city-council.yaml", dt.date(2027, 3, 10), "review", ["political"], 2),  # the council's by-election
        ("city-council.yaml", dt.date(2027, 5, 1), "pass", [], 1),
    ],
)
def test_party_names_need_two_political_approvals_in_an_election(
    name: str, date: dt.date, decision: str, routes: list[str], approvals: int
) -> None:
    """Examples cannot state approvals, so the election escalation is checked here."""
    verdict = load_policy(POLICIES / name).check(
        "Both the Labour Party and the Green Party attended the opening.", platform="facebook", date=date
    ).to_dict()
    assert (verdict["decision"], verdict["routes"], verdict["approvals"]) == (decision, routes, approvals)
    assert [finding["rule"] for finding in verdict["findings"] if finding["kind"] != "semantic"] == ["politics.parties"]
    assert bool(verdict["periods"]) == (decision == "review")


@pytest.mark.slow
@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.stem)
def test_examples_also_pass_with_the_embedded_scorer(path: Path) -> None:
    """With the real embedded model (as `reviewer policy test` runs by default) every example holds too.

    So the model never flags a hard negative, and the rules listed in an
    example never depend on whether a scorer runs.
    """
    from reviewer.toxicity import load_scorer

    results = run_examples(load_policy(path), scorer=load_scorer("embedded"))
    assert [result.diff() for result in results if not result.ok] == []
    if path.name == "government.yaml":  # its abusive examples are caught by the model too
        assert any(f.kind == "toxicity" for result in results for f in result.verdict.findings)


def test_with_the_encoder_switched_off_the_rules_alone_still_load() -> None:
    """REVIEWER_ENCODER=none: semantic rules do not apply; every other rule does."""
    policy = load_bare(POLICIES / "government.yaml", skip_semantic=True)
    assert not any(rule.startswith(("tone.dismissive", "safeguarding.risk")) for rule in policy.rule_ids)
    assert policy.check("You are an idiot.").decision == "block"


def test_without_an_encoder_the_shipped_policy_is_refused_naming_each_semantic_rule() -> None:
    with pytest.raises(PolicyError) as caught:
        load_bare(POLICIES / "government.yaml")
    message = str(caught.value)
    assert re.search(r"government\.yaml:\d+:\d+: \[tone\.dismissive\] rule 'tone\.dismissive' is a semantic rule", message)
    assert "REVIEWER_ENCODER" in message


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.stem)
@pytest.mark.parametrize("text", [
    "Thanks, we will look into it",
    "Thank you, we'll look into this.",
    "Thanks, we'll look into it today.",
    "Thanks, we will look into it and get back to you.",
])
def test_everyday_acknowledgements_pass(path: Path, text: str) -> None:
    """The commonest reply of all once read as a business recommendation (the ridge model cannot
    fit short generic sentences; a sentence nearly one of the policy's neutral replies does not fire)."""
    verdict = load_policy(path).check(text, platform="x").to_dict()
    assert (verdict["decision"], [f["rule"] for f in verdict["findings"]]) == ("pass", [])
