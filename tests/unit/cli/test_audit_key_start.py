"""Production never makes an audit key on its own: `reviewer audit init-key` does, once, on an empty trail.

A production operator who lost `audit.key`, or pointed REVIEWER_INSTANCE_PATH
at the wrong folder, must be stopped, not handed a new key that starts a
chain nobody can tie to the old one. Development keeps making the key.
"""

from __future__ import annotations

import json
import secrets
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer import create_app
from reviewer.audit import load_or_create_key
from reviewer.cli import main
from reviewer.config_checks import ConfigError, setting_names

CHEAP = json.dumps({"time_cost": 1, "memory_cost": 8, "parallelism": 1})


@pytest.fixture
def production_env(tmp_path: Path, policy_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A production configuration in the environment (fresh SQLite file); returns the instance folder."""
    for name in setting_names():
        monkeypatch.delenv(f"REVIEWER_{name}", raising=False)
    instance = tmp_path / "instance"
    for name, value in {
        "REVIEWER_ENV": "production",
        "REVIEWER_INSTANCE_PATH": str(instance),
        "REVIEWER_DATABASE_URL": f"sqlite:///{tmp_path / 'reviewer.sqlite3'}",
        "REVIEWER_SECRET_KEY": secrets.token_hex(32),
        "REVIEWER_SESSION_COOKIE_SECURE": "true",
        "REVIEWER_POLICY_DIR": str(policy_dir),
        "REVIEWER_TOXICITY": "none",
        "REVIEWER_PASSWORD_HASH_PARAMS": CHEAP,
    }.items():
        monkeypatch.setenv(name, value)
    return instance


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _with_one_event(production_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """init-key, migrate, then one audit event (a user created)."""
    assert _run("audit", "init-key")[0] == 0
    assert _run("db", "upgrade")[0] == 0
    code, output = _run("create-user", "kim", "--role", "staff")
    assert code == 0, output


def test_a_production_upgrade_without_a_key_refuses_naming_the_path_and_the_command(production_env: Path) -> None:
    code, output = _run("db", "upgrade")
    assert code == 1
    assert str(production_env / "audit.key") in output
    assert "reviewer audit init-key" in output
    assert not (production_env / "audit.key").exists(), "production must not make a key on its own"


def test_a_production_start_without_a_key_refuses_naming_the_path_and_the_command(production_env: Path, monkeypatch) -> None:
    _with_one_event(production_env, monkeypatch)
    (production_env / "audit.key").unlink()  # lost, or the wrong instance folder
    with pytest.raises(ConfigError) as excinfo:
        create_app()
    (problem,) = excinfo.value.problems
    assert problem.startswith(f"audit key {production_env / 'audit.key'} is missing")
    assert "reviewer audit init-key" in problem
    assert "1 audit event" in problem and "restore audit.key from backup" in problem
    assert not (production_env / "audit.key").exists()
    code, output = _run("config", "check")  # the same problem, listed
    assert code == 1 and f"audit key {production_env / 'audit.key'} is missing" in output


def test_init_key_makes_a_private_key_then_production_starts(production_env: Path) -> None:
    code, output = _run("audit", "init-key")
    path = production_env / "audit.key"
    assert code == 0, output
    assert str(path) in output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_bytes()
    assert _run("db", "upgrade")[0] == 0
    create_app()  # starts: the trail is empty and the operator made its key
    code, output = _run("audit", "init-key")
    assert code == 0 and "already exists" in output
    assert path.read_bytes() == key, "an existing key is never replaced"


def test_init_key_refuses_when_the_trail_has_events(production_env: Path, monkeypatch) -> None:
    _with_one_event(production_env, monkeypatch)
    (production_env / "audit.key").unlink()
    code, output = _run("audit", "init-key")
    assert code == 1
    assert "1 audit event" in output and "restore audit.key from backup" in output
    assert not (production_env / "audit.key").exists()


def test_a_key_that_did_not_sign_the_trail_is_refused(production_env: Path, monkeypatch) -> None:
    _with_one_event(production_env, monkeypatch)
    (production_env / "audit.key").unlink()
    load_or_create_key(production_env)  # another key in its place
    with pytest.raises(ConfigError) as excinfo:
        create_app()
    (problem,) = excinfo.value.problems
    assert problem.startswith(f"audit key {production_env / 'audit.key'} did not sign the database's newest audit event")


def test_development_still_makes_the_key(tmp_path: Path, policy_dir: Path) -> None:
    create_app({"INSTANCE_PATH": str(tmp_path), "TOXICITY": "none", "SCHEMA_CHECK": False, "POLICY_DIR": str(policy_dir),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'reviewer.sqlite3'}"})
    assert stat.S_IMODE((tmp_path / "audit.key").stat().st_mode) == 0o600
