"""A plain title per rule (#14 item 6): `title:` in the policy, else a sensible default from the rule id."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.policy import PolicyError, load_policy
from reviewer.policy.verdict import default_title

SHIPPED = Path(__file__).resolve().parents[3] / "policies"

POLICY = """\
id: t
version: '1'
rules:
  - id: abuse.insults
    title: An insult
    kind: lexicon
    severity: high
    action: block
    message: Take out the insult.
    source: s.1
    terms: [idiot]
  - id: commitments.hard_dates
    kind: lexicon
    severity: medium
    action: review
    message: Don't name a date.
    source: s.2
    terms: [friday]
"""


def test_a_finding_carries_the_rule_title_or_one_made_from_its_id(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(POLICY)
    verdict = load_policy(path).check("You idiot, it opens Friday.")
    titles = {f.rule: f.to_dict()["title"] for f in verdict.findings}
    assert titles == {"abuse.insults": "An insult", "commitments.hard_dates": "Commitments: hard dates"}


@pytest.mark.parametrize(("rule", "title"), [
    ("abuse.toxicity", "Abuse: toxicity"),
    ("pii.public", "Personal information: public"),
    ("links.too_many", "Links: too many"),
    ("platform", "Platform"),
    ("safeguarding.inbound_threats", "Safeguarding: inbound threats"),
])
def test_default_titles_read_as_words(rule: str, title: str) -> None:
    assert default_title(rule) == title


def test_an_empty_title_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(POLICY.replace("title: An insult", "title: ''"))
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert f"{path}:5" in str(error.value) and "title" in str(error.value)


def test_the_shipped_policy_titles_the_rules_staff_meet_most() -> None:
    policy = load_policy(SHIPPED / "government.yaml", skip_semantic=True)
    titles = policy.rule_titles
    assert titles["abuse.toxicity"] == "Hostile or abusive tone"
    assert titles["pii.public"] == "Personal details in a public reply"
    assert all(titles[rule] for rule in policy.rule_ids)


def test_the_policy_knows_each_platform_character_limit() -> None:
    policy = load_policy(SHIPPED / "government.yaml", skip_semantic=True)
    assert policy.character_limit("x") == 280
    assert policy.character_limit("twitter") == 280
    assert policy.character_limit("facebook") == 63206
