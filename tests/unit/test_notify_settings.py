"""Notification settings are checked when the app starts; each problem names the setting and the entry."""

from __future__ import annotations

import pytest

from reviewer import create_app
from reviewer.config_checks import ConfigError, effective_settings, setting_problems

GOOD = {"ENV": "development", "LOG_LEVEL": "INFO"}


def test_good_webhooks_and_escalation_rules_pass() -> None:
    config = {**GOOD, "EXTERNAL_BASE_URL": "https://reviewer.example.govt.nz",
              "NOTIFY_WEBHOOKS": {"comms": [{"kind": "teams", "url": "https://x.example/hook"},
                                            {"kind": "json", "url": "http://127.0.0.1:9/in", "secret": "s"}]},
              "ESCALATION": {"legal": {"after_minutes": 120, "to": "comms"},
                             "comms": {"before_target_minutes": 30, "to": "leads"}}}
    assert setting_problems(config, {}) == []


def test_each_bad_entry_is_named() -> None:
    config = {**GOOD, "EXTERNAL_BASE_URL": "reviewer.example.govt.nz", "NOTIFY_DIGEST_HOUR": 24,
              "NOTIFY_WEBHOOKS": {"comms": [{"kind": "team", "url": "https://x.example/hook"},
                                            {"kind": "json", "url": "ftp://x.example"}], "legal": "https://x"},
              "ESCALATION": {"legal": {"after_minutes": -5, "to": ""}, "comms": {"to": "leads"}}}
    assert setting_problems(config, {}) == [
        "NOTIFY_WEBHOOKS['comms'][0].kind must be one of teams, slack, json, got 'team'",
        "NOTIFY_WEBHOOKS['comms'][1].url must be an http(s) URL, got 'ftp://x.example'",
        "NOTIFY_WEBHOOKS['comms'][1].secret is required for a json webhook (the HMAC key its receiver checks)",
        "NOTIFY_WEBHOOKS['legal'] must be a list of webhooks, got str",
        "ESCALATION['legal'].to must name the group to escalate to, got ''",
        "ESCALATION['legal'].after_minutes must be a number of minutes, 0 or more, got -5",
        "ESCALATION['comms'] needs after_minutes or before_target_minutes (when to escalate)",
        "NOTIFY_DIGEST_HOUR must be from 0 to 23, got 24",
        "EXTERNAL_BASE_URL must start with https:// (the links in messages), got 'reviewer.example.govt.nz'",
    ]


def test_the_app_refuses_to_start_with_a_bad_webhook_naming_the_variable(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("REVIEWER_NOTIFY_WEBHOOKS", '{"comms": [{"kind": "webex", "url": "https://x.example"}]}')
    with pytest.raises(ConfigError) as excinfo:
        create_app({"INSTANCE_PATH": str(tmp_path), "TOXICITY": "none"})
    assert excinfo.value.problems == [
        "REVIEWER_NOTIFY_WEBHOOKS['comms'][0].kind must be one of teams, slack, json, got 'webex'"]


def test_the_smtp_password_and_webhook_urls_are_never_shown() -> None:
    shown = effective_settings({"SMTP_PASSWORD": "hunter2", "NOTIFY_WEBHOOKS": {"c": [{"url": "https://x/T0KEN"}]}})
    assert "hunter2" not in str(shown) and "T0KEN" not in str(shown)
