"""Helpers for the policy engine's unit tests: write a policy, load it, list its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy_helpers import FIXTURES

from reviewer.policy import PolicyError, load_policy


@pytest.fixture
def write(tmp_path: Path):
    """write(text, name="policy.yaml") -> path of a policy file in a temp folder."""

    def _write(text: str, name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def errors(write):
    """errors(text) -> the PolicyError lines for that policy text (it must fail)."""

    def _errors(text: str, name: str = "policy.yaml") -> list[str]:
        path = write(text, name)
        with pytest.raises(PolicyError) as info:
            load_policy(path)
        prefix = str(path.parent) + "/"
        return [line.replace(prefix, "") for line in str(info.value).splitlines()]

    return _errors


@pytest.fixture
def policy_of(write):
    """policy_of(text) -> the loaded Policy."""

    def _policy(text: str, name: str = "policy.yaml"):
        return load_policy(write(text, name))

    return _policy


@pytest.fixture(scope="session")
def every_kind():
    return load_policy(FIXTURES / "every_kind.yaml")
