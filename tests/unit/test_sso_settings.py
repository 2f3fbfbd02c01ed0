"""The OIDC_* and LOCAL_LOGIN settings: each problem names the variable and says what to do."""

from __future__ import annotations

import pytest

from reviewer.config_checks import ConfigError, setting_names


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in setting_names():
        monkeypatch.delenv(f"REVIEWER_{name}", raising=False)
    monkeypatch.delenv("REVIEWER_INSTANCE_PATH", raising=False)


def start(tmp_path, monkeypatch, **env: str):
    """create_app with these REVIEWER_* variables; the problems it refuses, or the app."""
    from reviewer import create_app

    for key, value in env.items():
        monkeypatch.setenv(f"REVIEWER_{key}", value)
    return create_app({"INSTANCE_PATH": str(tmp_path), "TOXICITY": "none", "SCHEMA_CHECK": False})


def test_good_settings_from_the_environment_configure_single_sign_on(tmp_path, monkeypatch) -> None:
    from reviewer.sso.client import EXTENSION_KEY

    app = start(tmp_path, monkeypatch, OIDC_ISSUER="https://login.agency.example/realms/staff", OIDC_CLIENT_ID="reviewer",
                OIDC_CLIENT_SECRET="s3cret-value", OIDC_SCOPES="openid profile email groups", OIDC_GROUPS_CLAIM="roles",
                OIDC_GROUP_ROLES='{"reviewer.admin": ["admin"], "reviewer.approver": ["approver", "staff"]}',
                OIDC_GROUP_APPROVER_GROUPS='{"reviewer.approver": ["comms"]}', LOCAL_LOGIN="false")
    settings = app.extensions[EXTENSION_KEY].settings
    assert settings.claims.groups == "roles" and settings.scopes == "openid profile email groups"
    assert settings.mapping.roles_for(["reviewer.approver", "other"]) == ["approver", "staff"]
    assert settings.mapping.approver_groups_for(["reviewer.approver"]) == ["comms"]
    assert app.config["LOCAL_LOGIN"] is False


def test_each_bad_setting_is_named_with_what_to_do(tmp_path, monkeypatch) -> None:
    with pytest.raises(ConfigError) as refused:
        start(tmp_path, monkeypatch, OIDC_ISSUER="login.agency.example", OIDC_SCOPES="profile email",
              OIDC_USERNAME_CLAIM=" ", OIDC_GROUP_ROLES='{"staff-group": ["superuser"], "admins": "admin"}',
              OIDC_GROUP_APPROVER_GROUPS='{"x": ["Not A Group!"]}', OIDC_LEEWAY_SECONDS="3600")
    assert refused.value.problems == [
        "REVIEWER_OIDC_ISSUER must be the provider's issuer URL (https://...), got 'login.agency.example'",
        "OIDC_CLIENT_ID is not set: copy it from the application registered at the provider",
        "OIDC_CLIENT_SECRET is not set: copy it from the application registered at the provider",
        "REVIEWER_OIDC_SCOPES must include openid, got 'profile email'",
        "REVIEWER_OIDC_USERNAME_CLAIM must name a claim, got ' '",
        "REVIEWER_OIDC_GROUP_ROLES['staff-group']: unknown role 'superuser' (roles: staff, approver, auditor, admin)",
        "REVIEWER_OIDC_GROUP_ROLES['admins'] must be a list of role names, got 'admin'",
        "REVIEWER_OIDC_GROUP_APPROVER_GROUPS['x']: 'not a group!' is not an approver group name",
        "REVIEWER_OIDC_LEEWAY_SECONDS must be from 0 to 600 seconds, got 3600",
    ]


def test_production_wants_https_and_a_role_mapping() -> None:
    from reviewer.config_checks import setting_problems

    config = {"ENV": "development", "OIDC_ISSUER": "http://login.agency.example", "OIDC_CLIENT_ID": "reviewer",
              "OIDC_CLIENT_SECRET": "s", "OIDC_SCOPES": "openid", "OIDC_USERNAME_CLAIM": "preferred_username",
              "OIDC_DISPLAY_NAME_CLAIM": "name", "OIDC_EMAIL_CLAIM": "email", "OIDC_GROUPS_CLAIM": "groups",
              "OIDC_GROUP_ROLES": {}, "LOCAL_LOGIN": True, "LOG_LEVEL": "INFO", "REPORT_FILE_KEEP_HOURS": 24}
    assert setting_problems(config, {}) == [
        "OIDC_GROUP_ROLES is empty: nobody could sign in with single sign-on. Map provider groups to roles, "
        'e.g. {"reviewer-admins": ["admin"], "comms-team": ["staff"]}'
    ]
    production = {**config, "ENV": "production", "OIDC_GROUP_ROLES": {"admins": ["admin"]}}
    assert "OIDC_ISSUER must use https in production, got 'http://login.agency.example'" in setting_problems(production, {})
