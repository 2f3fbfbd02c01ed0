"""A small policy with known routes, so multi-group and two-approval flows are easy to set up."""

from __future__ import annotations

from pathlib import Path

import pytest

ROUTING_POLICY = """\
schema: 1
id: workflow-test
version: "1"
defaults:
  route: comms
rules:
  - id: topic.budget
    kind: topic
    severity: high
    route: legal
    approvals: 2
    message: Budget talk needs legal sign-off by two people.
    source: test policy
    terms: [budget]
  - id: topic.child
    kind: topic
    severity: high
    route: safeguarding
    message: Anything about a child needs safeguarding.
    source: test policy
    terms: [child]
  - id: tone.sorry
    kind: lexicon
    severity: low
    action: review
    message: Apologies go past comms.
    source: test policy
    terms: [sorry]
  - id: secret.password
    kind: lexicon
    severity: high
    action: block
    message: Never post a password.
    source: test policy
    terms: [password]
"""


@pytest.fixture(scope="session")
def routing_checker(tmp_path_factory: pytest.TempPathFactory):
    """A Checker whose city-council.yaml is ROUTING_POLICY: 'budget' → legal x2, 'child' → safeguarding,
    'sorry' → comms, 'password' → block. No scorer."""
    from reviewer.checking import Checker

    folder: Path = tmp_path_factory.mktemp("routing-policy")
    (folder / "city-council.yaml").write_text(ROUTING_POLICY, encoding="utf-8")
    return Checker(folder, None)
