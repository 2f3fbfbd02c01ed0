"""`reviewer db upgrade|current`, `reviewer create-user`, `reviewer demo`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer.cli import main

CHEAP = json.dumps({"time_cost": 1, "memory_cost": 8, "parallelism": 1})


@pytest.fixture
def env(tmp_path: Path, policy_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh instance folder and database, as on a fresh clone."""
    values = {
        "REVIEWER_INSTANCE_PATH": str(tmp_path / "instance"),
        "REVIEWER_POLICY_DIR": str(policy_dir),
        "REVIEWER_PASSWORD_HASH_PARAMS": CHEAP,
    }
    monkeypatch.delenv("REVIEWER_DATABASE_URL", raising=False)
    monkeypatch.delenv("REVIEWER_DEMO_PASSWORD", raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def sign_in_works(instance: str, username: str, password: str) -> bool:
    from reviewer import create_app
    from reviewer.accounts.throttle import ThrottleSettings, authenticate
    from reviewer.db import app_session, get_database

    app = create_app()
    with app_session(app) as session:
        ok = authenticate(session, username, password, "127.0.0.1", ThrottleSettings()).ok
        session.commit()
    get_database(app).engine.dispose()
    return ok


def test_db_upgrade_creates_the_instance_folder_and_database(env, tmp_path) -> None:
    current = run("db", "current")
    assert current.exit_code == 1
    assert "none (empty database): out of date: run `reviewer db upgrade`" in current.output
    first = run("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert re.search(r"Upgraded database sqlite:///.*reviewer\.sqlite3 from empty to \S+\.", first.output)
    assert (tmp_path / "instance" / "reviewer.sqlite3").is_file()
    assert (tmp_path / "instance" / "audit.key").is_file()
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    again = run("db", "upgrade")
    assert "is up to date" in again.output
    assert run("db", "current").exit_code == 0


def test_commands_refuse_an_unmigrated_database(env) -> None:
    result = run("create-user", "sam", "--role", "staff")
    assert result.exit_code == 1
    assert "Run `reviewer db upgrade`" in result.output
    assert "Traceback" not in result.output


def test_create_user_generates_and_prints_a_password(env) -> None:
    run("db", "upgrade")
    result = run("create-user", "Sam", "--role", "staff", "--role", "approver", "--group", "comms", "--email", "s@example.org")
    assert result.exit_code == 0, result.output
    assert "Created sam (approver, staff)." in result.output
    password = re.search(r"Password: (\S+)", result.output).group(1)
    assert sign_in_works(env["REVIEWER_INSTANCE_PATH"], "sam", password)


def test_create_user_reads_the_password_from_stdin(env) -> None:
    run("db", "upgrade")
    result = run("create-user", "jo", "--role", "admin", "--password-stdin", stdin="chosen-by-a-script\n")
    assert result.exit_code == 0, result.output
    assert "Password:" not in result.output
    assert sign_in_works(env["REVIEWER_INSTANCE_PATH"], "jo", "chosen-by-a-script")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["x!", "--role", "staff"], None, "USERNAME: Usernames are 2 to 64 characters"),
        (["jo", "--role", "staff", "--group", "treaty"], None, "--group: Unknown approver group: treaty"),
        (["jo", "--role", "staff", "--password-stdin"], "short\n", "password: Use at least 12 characters."),
        (["jo", "--role", "staff", "--password-stdin"], "", "standard input was empty"),
        (["jo", "--role", "owner"], None, "Invalid value for '--role'"),
        (["jo"], None, "Missing option '--role'"),
    ],
)
def test_create_user_errors_name_the_option(env, args, stdin, message) -> None:
    run("db", "upgrade")
    result = run("create-user", *args, stdin=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_demo_loads_once_and_prints_the_passwords(env) -> None:
    run("db", "upgrade")
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "Loaded the demo agency: Harbour City Council." in result.output
    assert "Harbour City Council on X (@HarbourCityNZ on X)" in result.output
    rows = re.findall(r"^  (\S+)\s+(\S+-\S+-\S+-\S+)\s+(.+)$", result.output, flags=re.M)
    users = {username: password for username, password, _ in rows}
    assert set(users) == {"admin", "sam.staff", "jo.staff", "mere.comms", "lee.safeguarding", "kim.legal", "pat.auditor"}
    roles = {username: what for username, _, what in rows}
    assert roles["lee.safeguarding"] == "approver (safeguarding)" and roles["sam.staff"] == "staff"
    assert sign_in_works(env["REVIEWER_INSTANCE_PATH"], "lee.safeguarding", users["lee.safeguarding"])
    again = run("demo")
    assert again.exit_code == 0
    assert "already loaded; nothing to do" in again.output
    assert "reviewer reset-password USERNAME" in again.output


def test_demo_roles_and_groups(env) -> None:
    from reviewer import create_app
    from reviewer.accounts.services import list_users
    from reviewer.db import app_session, get_database
    from reviewer.orgs.services import list_accounts

    run("db", "upgrade")
    run("demo")
    app = create_app()
    with app_session(app) as session:
        users = {u.username: (sorted(u.roles), u.group_names) for u in list_users(session)}
        accounts = [(a.platform, a.handle, a.policy_file) for a in list_accounts(session)]
    get_database(app).engine.dispose()
    assert users["admin"] == (["admin"], [])
    assert users["mere.comms"] == (["approver"], ["comms", "press"])
    assert users["lee.safeguarding"] == (["approver"], ["safeguarding"])
    assert [u for u, (roles, _) in users.items() if roles == ["staff"]] == ["jo.staff", "sam.staff"]
    assert users["pat.auditor"] == (["auditor"], [])
    assert sorted(accounts) == [
        ("facebook", "HarbourCityCouncil", "city-council.yaml"),
        ("instagram", "@harbourcitynz", "city-council.yaml"),
        ("x", "@HarbourCityNZ", "city-council.yaml"),
    ]


def test_demo_password_from_the_environment(env, monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_DEMO_PASSWORD", "demo-password-2026")
    run("db", "upgrade")
    result = run("demo")
    assert result.output.count("demo-password-2026") == 7
    assert sign_in_works(env["REVIEWER_INSTANCE_PATH"], "admin", "demo-password-2026")


def test_demo_refuses_a_database_with_other_users(env) -> None:
    run("db", "upgrade")
    run("create-user", "someone", "--role", "staff")
    result = run("demo")
    assert result.exit_code == 1
    assert "loads only into an empty database" in result.output


def test_demo_needs_a_policy_file(env, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_POLICY_DIR", str(tmp_path / "empty"))
    run("db", "upgrade")
    result = run("demo")
    assert result.exit_code == 1
    assert "No demo policy in" in result.output and "city-council.yaml, government.yaml" in result.output


@pytest.mark.slow  # a fresh `flask` process loads the whole app
def test_flask_db_upgrade_runs_on_an_empty_database(env) -> None:
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "reviewer", "db", "upgrade"],
        env=os.environ.copy(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "from empty to" in result.stdout


def test_reset_password_gives_a_one_time_password(env) -> None:
    run("db", "upgrade")
    run("create-user", "boss", "--role", "admin", "--password-stdin", stdin="forgotten-password\n")
    result = run("reset-password", "BOSS")
    assert result.exit_code == 0, result.output
    password = re.search(r"One-time password: (\S+)", result.output).group(1)
    assert not sign_in_works(env["REVIEWER_INSTANCE_PATH"], "boss", "forgotten-password")
    assert sign_in_works(env["REVIEWER_INSTANCE_PATH"], "boss", password)
    chosen = run("reset-password", "boss", "--password-stdin", stdin="a-new-chosen-password\n")
    assert chosen.exit_code == 0 and "One-time" not in chosen.output
    assert sign_in_works(env["REVIEWER_INSTANCE_PATH"], "boss", "a-new-chosen-password")
    missing = run("reset-password", "nobody")
    assert missing.exit_code == 1 and "there is no user 'nobody'" in missing.output


def demo_scorers() -> set:
    """The scorer each demo draft version was checked with (None: no toxicity scorer)."""
    from sqlalchemy import select

    from reviewer import create_app
    from reviewer.db import app_session, get_database
    from reviewer.drafting.models import DraftVersion

    app = create_app({"TOXICITY": "none"})
    with app_session(app) as session:
        versions = list(session.scalars(select(DraftVersion)))
        found = {(v.scorer_version, json.dumps(v.verdict.get("scorer"), sort_keys=True)) for v in versions}
    get_database(app).engine.dispose()
    assert versions, "the demo made no drafts"
    return found


@pytest.mark.parametrize("toxicity", ["none", "embedded"])
def test_demo_checks_its_drafts_with_the_configured_scorer(env, monkeypatch, policy_dir, toxicity) -> None:
    from reviewer.checking import build_checker

    monkeypatch.setenv("REVIEWER_TOXICITY", toxicity)
    run("db", "upgrade")
    assert run("demo").exit_code == 0
    info = build_checker({"TOXICITY": toxicity, "POLICY_DIR": str(policy_dir)}).scorer_info
    assert demo_scorers() == {(f"{info['name']} {info['version']}" if info else None, json.dumps(info, sort_keys=True))}


def test_only_the_demo_loads_the_configured_scorer(env, monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_TOXICITY", "no-such-backend")
    assert run("db", "upgrade").exit_code == 0  # the db commands never load a scorer: fast, and unaffected
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1
    assert "TOXICITY=no-such-backend" in result.output and "Traceback" not in result.output
    assert run("create-user", "sam", "--role", "staff").exit_code == 0


def test_weak_passwords_are_refused_by_every_command_naming_why(env, monkeypatch) -> None:
    run("db", "upgrade")
    weak = run("create-user", "tamaki", "--role", "staff", "--password-stdin", stdin="tamakitamaki\n")
    assert weak.exit_code == 1
    assert "password: This password is too easy to guess" in weak.output
    run("create-user", "tamaki", "--role", "staff", "--password-stdin", stdin="a-long-enough-password\n")
    reset = run("reset-password", "tamaki", "--password-stdin", stdin="123456789012\n")
    assert reset.exit_code == 1 and "password: This password is too easy to guess" in reset.output
    assert sign_in_works(env["REVIEWER_INSTANCE_PATH"], "tamaki", "a-long-enough-password")


def test_a_weak_demo_password_is_refused_naming_the_variable(env, monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_DEMO_PASSWORD", "passwordpassword")
    run("db", "upgrade")
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1, result.output
    assert "REVIEWER_DEMO_PASSWORD: This password is too easy to guess" in result.output
    assert "Traceback" not in result.output
