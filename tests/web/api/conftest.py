"""Fixtures for the /api/v1 tests: a small real policy, tokens, and a client that sends them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_helpers import ApiClient

# pass: anything else; block: "idiot"; review → legal: "lawsuit"; review → comms (default route): "we promise".
TEST_POLICY = """\
id: api-test
version: "1"
title: API test policy
defaults:
  route: comms
rules:
  - id: abuse.insults
    kind: lexicon
    severity: high
    action: block
    message: Remove the insult; say what we can do instead.
    source: API test policy
    terms: [idiot]
  - id: topic.legal
    kind: topic
    severity: medium
    route: legal
    message: Legal should see anything about lawsuits.
    source: API test policy
    terms: [lawsuit]
  - id: tone.promises
    kind: lexicon
    severity: low
    action: review
    message: Comms should check promises.
    source: API test policy
    terms: [we promise]
"""


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The policy folder, with the two file names the demo and the factories use, both the test policy."""
    folder = tmp_path_factory.mktemp("api-policies")
    for name in ("city-council.yaml", "government.yaml"):
        (folder / name).write_text(TEST_POLICY, encoding="utf-8")
    return folder


@pytest.fixture
def make_token(db_session) -> Callable[..., str]:
    """make_token(user, name="tests"): a committed token for `user`; returns the secret."""
    from reviewer.api.services import create_token

    def make(user: Any, name: str = "tests") -> str:
        db_session.commit()
        new = create_token(db_session, None, user, name)
        db_session.commit()
        return new.secret

    return make


@pytest.fixture
def api_as(app, make_token) -> Callable[..., ApiClient]:
    """api_as(user): a client authenticated with a fresh token of `user`."""

    def as_user(user: Any) -> ApiClient:
        return ApiClient(app.test_client(), make_token(user))

    return as_user


@pytest.fixture
def people(make_user, make_account) -> dict[str, Any]:
    """A staff writer, approvers in comms and legal, an auditor, and one account."""
    return {
        "staff": make_user("sam.staff", roles=["staff"]),
        "comms": make_user("mere.comms", roles=["approver"], groups=["comms"]),
        "legal": make_user("kim.legal", roles=["approver"], groups=["legal"]),
        "auditor": make_user("pat.auditor", roles=["auditor"]),
        "account": make_account("@HarbourCityNZ"),
    }
