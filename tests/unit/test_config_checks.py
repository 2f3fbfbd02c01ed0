"""Configuration checked at start-up (reviewer.config_checks) and `reviewer config check`."""

from __future__ import annotations

import json
import re
import secrets
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer import config as config_module
from reviewer import create_app
from reviewer.audit import load_or_create_key
from reviewer.config_checks import ConfigError, coerce_settings, mask_url, setting_names, setting_problems

ROOT = Path(__file__).resolve().parent.parent.parent
GOOD_KEY = secrets.token_hex(32)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REVIEWER_* setting from the outer environment leaks into these checks."""
    for name in setting_names():
        monkeypatch.delenv(f"REVIEWER_{name}", raising=False)
    monkeypatch.delenv("REVIEWER_INSTANCE_PATH", raising=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production(tmp_path: Path, policy_dir: Path, database_url: str, **extra: object) -> dict:
    """A production configuration that passes every check; `extra` overrides."""
    config = {
        "ENV": "production",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": GOOD_KEY,
        "SESSION_COOKIE_SECURE": True,
        "POLICY_DIR": str(policy_dir),
        "TOXICITY": "none",
    }
    config.update(extra)
    return config


def problems_of(excinfo: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    assert "Traceback" not in excinfo.value.message
    return excinfo.value.problems


# --- Types ------------------------------------------------------------------------


def test_a_bad_type_names_the_variable_and_the_value(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("REVIEWER_LOGIN_MAX_FAILURES", "abc")
    monkeypatch.setenv("REVIEWER_SQLITE_BUSY_TIMEOUT_SECONDS", "soon")
    monkeypatch.setenv("REVIEWER_SESSION_COOKIE_SECURE", "maybe")
    with pytest.raises(ConfigError) as excinfo:
        create_app({"INSTANCE_PATH": str(tmp_path), "TOXICITY": "none"})
    assert problems_of(excinfo) == [
        "REVIEWER_SQLITE_BUSY_TIMEOUT_SECONDS must be a number, got 'soon'",
        "REVIEWER_SESSION_COOKIE_SECURE must be true or false, got 'maybe'",
        "REVIEWER_LOGIN_MAX_FAILURES must be an integer, got 'abc'",
    ]
    assert "`reviewer config check` lists every problem" in excinfo.value.message


def test_values_are_coerced_where_the_intent_is_clear() -> None:
    env = {"REVIEWER_AGENCY_NAME": "1234", "REVIEWER_SESSION_COOKIE_SECURE": "1"}
    config = {"AGENCY_NAME": 1234, "SESSION_COOKIE_SECURE": 1, "LOGIN_MAX_FAILURES": "7", "ACCESS_LOG": "off",
              "SQLITE_BUSY_TIMEOUT_SECONDS": 2.5, "POLICY_DIR": Path("/srv/policies"), "REPORTS_INLINE_MAX_DRAFTS": None}
    assert coerce_settings(config, env) == []
    assert config == {"AGENCY_NAME": "1234", "SESSION_COOKIE_SECURE": True, "LOGIN_MAX_FAILURES": 7,
                      "ACCESS_LOG": False, "SQLITE_BUSY_TIMEOUT_SECONDS": 2.5, "POLICY_DIR": "/srv/policies",
                      "REPORTS_INLINE_MAX_DRAFTS": None}


def test_booleans_are_not_integers_and_none_only_where_allowed() -> None:
    config = {"LOGIN_MAX_FAILURES": True, "TOXICITY": None, "PASSWORD_HASH_PARAMS": [1, 2]}
    assert coerce_settings(config, {}) == [
        "PASSWORD_HASH_PARAMS must be a JSON object, got [1, 2]",
        "LOGIN_MAX_FAILURES must be an integer, got True",
        "TOXICITY must be a string, got None",
    ]


def test_a_later_source_overrides_the_environment_for_string_settings(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("REVIEWER_TOXICITY", "no-such-backend")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TOXICITY": "none", "SCHEMA_CHECK": False})
    assert app.config["TOXICITY"] == "none"


def test_enumerated_settings_name_the_choices() -> None:
    config = {"ENV": "prod", "LOG_FORMAT": "xml", "LOG_LEVEL": "loud", "TRUSTED_PROXIES": 99, "REPORT_FILE_KEEP_HOURS": 0}
    assert setting_problems(config, {"REVIEWER_ENV": "prod"}) == [
        "REVIEWER_ENV must be one of development, production, got 'prod'",
        "LOG_FORMAT must be one of text, json, got 'xml'",
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'",
        "TRUSTED_PROXIES must be from 0 to 10 (the proxies in front of the app), got 99",
        "REPORT_FILE_KEEP_HOURS must be at least 1 (hours a report's PDF is kept), got 0",
    ]


def test_session_and_token_lifetimes_have_a_floor() -> None:
    config = {"ENV": "development", "LOG_LEVEL": "INFO", "SESSION_ABSOLUTE_LIFETIME": 0, "API_TOKEN_LIFETIME_DAYS": -1}
    assert setting_problems(config, {}) == [
        "SESSION_ABSOLUTE_LIFETIME must be at least 60 (seconds after sign-in when a session ends), got 0",
        "API_TOKEN_LIFETIME_DAYS must be at least 1 (days an API token works), got -1",
    ]


# --- Production settings --------------------------------------------------------------


def test_production_needs_an_explicit_long_secret_key_and_secure_cookies(tmp_path, policy_dir) -> None:
    config = production(tmp_path, policy_dir, "sqlite://", SECRET_KEY=None, SESSION_COOKIE_SECURE=False,
                        WTF_CSRF_ENABLED=False)
    with pytest.raises(ConfigError) as excinfo:
        create_app(config)
    found = problems_of(excinfo)
    assert len(found) == 3
    assert found[0].startswith("REVIEWER_SECRET_KEY is not set. Production needs it set explicitly")
    assert found[1].startswith("SESSION_COOKIE_SECURE is false: set REVIEWER_SESSION_COOKIE_SECURE=true")
    assert found[2] == "WTF_CSRF_ENABLED is false: production needs CSRF protection on"
    assert not (tmp_path / "instance" / "secret_key").exists(), "production must not generate a per-machine key"


def test_a_short_secret_key_and_an_allowed_insecure_cookie(tmp_path, policy_dir, monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_SECRET_KEY", "too-short")
    config = production(tmp_path, policy_dir, "sqlite://", SESSION_COOKIE_SECURE=False, ALLOW_INSECURE_COOKIES=True)
    del config["SECRET_KEY"]
    with pytest.raises(ConfigError) as excinfo:
        create_app(config)
    assert problems_of(excinfo) == ["REVIEWER_SECRET_KEY is 9 characters long; production needs at least 32"]


def test_development_still_generates_a_key(tmp_path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TOXICITY": "none", "SCHEMA_CHECK": False})
    assert len(app.config["SECRET_KEY"]) >= 32 and (tmp_path / "secret_key").is_file()


# --- Production services ---------------------------------------------------------------


def test_production_starts_when_everything_is_right(make_app, tmp_path, policy_dir, database_url) -> None:
    make_app()  # migrates the database
    app = create_app(production(tmp_path, policy_dir, database_url, TOXICITY="embedded"))
    checker = app.extensions["reviewer.checker"]
    assert set(checker._policies) == {"city-council.yaml", "government.yaml"}, "every policy loaded at start-up"


def test_an_unreachable_database_names_host_and_port_never_the_password(tmp_path, policy_dir) -> None:
    port = free_port()
    url = f"postgresql+psycopg://reviewer:s3cret-pw@127.0.0.1:{port}/reviewer?connect_timeout=3"
    with pytest.raises(ConfigError) as excinfo:
        create_app(production(tmp_path, policy_dir, url))
    (problem,) = problems_of(excinfo)
    assert problem.startswith(f"DATABASE_URL: cannot connect to postgresql+psycopg://reviewer:***@127.0.0.1:{port}/reviewer")
    assert "s3cret-pw" not in excinfo.value.message


def test_every_bad_policy_is_listed_with_file_and_line(make_app, make_account, tmp_path, database_url) -> None:
    make_app()
    account = make_account(handle="@Harbour", policy_file="city-council.yaml")
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "good.yaml").write_text("id: good\nversion: '1'\nrules: []\n", encoding="utf-8")
    (folder / "broken.yaml").write_text("id: broken\nversion: '1'\nrules:\n  - id: x\n    kind: nope\n", encoding="utf-8")
    (folder / "unparsable.yml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        create_app(production(tmp_path, folder, database_url))
    found = problems_of(excinfo)
    assert any(re.match(rf"policy {re.escape(str(folder / 'broken.yaml'))}:\d+:\d+: ", p) for p in found), found
    assert any(p.startswith(f"policy {folder / 'unparsable.yml'}:") for p in found), found
    assert any(str(folder / "city-council.yaml") in p and account.label in p for p in found), found
    assert not any("good.yaml" in p for p in found)


def test_another_audit_key_than_the_one_that_signed_the_trail_is_refused(make_app, make_user, tmp_path, policy_dir, database_url) -> None:
    make_app()
    make_user("signed", roles=["staff"])  # an audit event, signed with this test's instance key
    same_key = production(tmp_path, policy_dir, database_url)
    create_app(same_key)
    other_instance = production(tmp_path / "elsewhere", policy_dir, database_url)
    load_or_create_key(tmp_path / "elsewhere" / "instance")  # another instance's key
    with pytest.raises(ConfigError) as excinfo:
        create_app(other_instance)
    (problem,) = problems_of(excinfo)
    assert problem.startswith(f"audit key {tmp_path / 'elsewhere' / 'instance' / 'audit.key'} did not sign")
    assert "every instance needs the same audit key" in problem


def test_missing_model_files_stop_start_up(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REVIEWER_DETOXIFY_CHECKPOINT", str(tmp_path / "missing.ckpt"))
    monkeypatch.setenv("REVIEWER_DETOXIFY_CONFIG_DIR", str(tmp_path))
    with pytest.raises(Exception) as excinfo:  # a click error either way; its text is the point
        create_app({"INSTANCE_PATH": str(tmp_path), "TOXICITY": "detoxify", "SCHEMA_CHECK": False})
    message = excinfo.value.format_message()
    assert message.startswith("TOXICITY=detoxify: ") and ("missing.ckpt" in message or "pip install" in message)


def test_an_unreachable_redis_is_a_problem(make_app, tmp_path, policy_dir, database_url) -> None:
    make_app()
    config = production(tmp_path, policy_dir, database_url, REDIS_URL=f"redis://:pw@127.0.0.1:{free_port()}/0")
    with pytest.raises(ConfigError) as excinfo:
        create_app(config)
    (problem,) = problems_of(excinfo)
    assert problem.startswith("REDIS_URL: cannot reach Redis at redis://:***@127.0.0.1:")


def test_mask_url() -> None:
    assert mask_url("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"
    assert mask_url("postgresql://user:pw@db/x") == "postgresql://user:***@db/x"
    assert mask_url("redis://host/0") == "redis://host/0"


# --- reviewer config check ---------------------------------------------------------------


def test_config_check_lists_every_problem_and_masks_secrets(tmp_path, monkeypatch) -> None:
    from reviewer.cli import main

    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: broken\nrules: 7\n", encoding="utf-8")
    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("REVIEWER_ENV", "production")
    monkeypatch.setenv("REVIEWER_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("REVIEWER_POLICY_DIR", str(folder))
    monkeypatch.setenv("REVIEWER_TOXICITY", "none")
    monkeypatch.setenv("REVIEWER_LOGIN_LOCKOUT_SECONDS", "forever")
    result = CliRunner().invoke(main, ["config", "check"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "k" * 40 not in result.output
    assert "SECRET_KEY                    '*** (40 characters)'" in result.output
    assert "REVIEWER_LOGIN_LOCKOUT_SECONDS must be an integer, got 'forever'" in result.output
    assert "REVIEWER_SESSION_COOKIE_SECURE=true" in result.output
    assert "has no tables yet. Run `reviewer db upgrade`" in result.output
    assert f"policy {folder / 'broken.yaml'}:" in result.output

    as_json = CliRunner().invoke(main, ["config", "check", "--format", "json"])
    data = json.loads(as_json.output)
    assert data["settings"]["ENV"] == "production" and len(data["problems"]) == 4


def test_config_check_passes_a_good_configuration(tmp_path, monkeypatch, policy_dir) -> None:
    from reviewer.cli import main

    monkeypatch.setenv("REVIEWER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("REVIEWER_POLICY_DIR", str(policy_dir))
    monkeypatch.setenv("REVIEWER_TOXICITY", "none")
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(main, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("No problems found.")


# --- The deployment guide names every setting ----------------------------------------------


def test_every_setting_is_documented_in_the_deployment_guide() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    missing = [name for name in setting_names() if f"REVIEWER_{name}" not in guide]
    assert missing == [], f"docs/deployment.md does not name {', '.join(f'REVIEWER_{n}' for n in missing)}"
    assert config_module.Defaults.ENV == "development"


def test_an_unusable_database_url_is_reported_without_its_password(tmp_path):
    from reviewer import create_app
    from reviewer.db import DatabaseConfigError

    with pytest.raises(DatabaseConfigError) as caught:
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "nosuchdialect://alice:hunter2@db.example/x"})
    assert "hunter2" not in caught.value.message
    assert "alice:***@db.example" in caught.value.message
