"""The settings checked at start-up, with errors that name the variable.

Start-up checks come in two stages, both called from `create_app`:

- `check_settings(app)` (here) right after the config is loaded: every setting has
  the type `config.Defaults` declares (values are coerced where the intent is
  clear, e.g. "1" for a boolean), enumerated ones hold a known value, and in
  production the secret key, cookies and CSRF are set safely.
- `check_services(app)` (reviewer/service_checks.py, production only) once the
  database and scorer are built: the services the settings point at answer.

`effective_settings` shows the settings as the app sees them, secrets masked.
"""

from __future__ import annotations

import functools
import json
import os
import types
import typing
from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click
from flask import Flask

from reviewer import config as config_module
from reviewer.notify.settings_check import notify_problems
from reviewer.numbers import is_ascii_digits

ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SECRET_KEY_LENGTH = 32
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_TYPE_WORDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string", dict: "a JSON object",
               timedelta: "a duration"}
# Settings whose values must not be printed (webhook URLs carry their tokens).
SECRET_SETTINGS = ("SECRET_KEY", "OIDC_CLIENT_SECRET", "SMTP_PASSWORD", "NOTIFY_WEBHOOKS")


class ConfigError(click.ClickException):
    """The configuration cannot be used; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"The configuration has {len(self.problems)} problem(s):\n{lines}\n"
            "Fix them (environment variables REVIEWER_*, or instance/config.py) and start again; "
            "`reviewer config check` lists every problem at once."
        )


def setting_types() -> dict[str, tuple[type, ...]]:
    """Each documented setting's accepted types, from Defaults' annotations or default values."""
    hints = typing.get_type_hints(config_module.Defaults)
    found: dict[str, tuple[type, ...]] = {}
    for name in setting_names():
        hint = hints.get(name)
        if hint is None:
            found[name] = (type(getattr(config_module.Defaults, name)),)
        elif isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            found[name] = tuple(typing.get_origin(arg) or arg for arg in typing.get_args(hint))
        else:
            found[name] = (typing.get_origin(hint) or hint,)
    return found


def setting_names() -> list[str]:
    """Every setting listed in config.Defaults, in the order written there."""
    return [name for name in vars(config_module.Defaults) if name.isupper()]


def variable_name(key: str, env: Mapping[str, str] | None = None) -> str:
    """How to name a setting in a message: its REVIEWER_ variable when that is set, else the setting."""
    env = os.environ if env is None else env
    return f"REVIEWER_{key}" if f"REVIEWER_{key}" in env else key


def coerce_settings(config: MutableMapping[str, Any], env: Mapping[str, str] | None = None) -> list[str]:
    """Give every documented setting its declared type in place; return a problem per value that has none."""
    env = os.environ if env is None else env
    problems = []
    for key, accepted in setting_types().items():
        if key not in config:
            continue
        if str in accepted and _came_from_env(config[key], env.get(f"REVIEWER_{key}")):
            # Flask parses REVIEWER_* values as JSON ("123" -> 123): a string setting keeps what was typed.
            config[key] = env[f"REVIEWER_{key}"]
            continue
        ok, value = _coerce(config[key], accepted)
        if ok:
            config[key] = value
        else:
            wanted = " or ".join(_TYPE_WORDS.get(kind, kind.__name__) for kind in accepted if kind is not type(None))
            raw = env.get(f"REVIEWER_{key}", config[key])
            problems.append(f"{variable_name(key, env)} must be {wanted}, got {raw!r}")
    return problems


def _came_from_env(value: Any, raw: str | None) -> bool:
    """True when `value` is what Flask made of the variable's text `raw` (nothing later overrode it)."""
    if raw is None:
        return False
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw
    return type(parsed) is type(value) and parsed == value


def _coerce(value: Any, accepted: tuple[type, ...]) -> tuple[bool, Any]:
    if value is None:
        return type(None) in accepted, value
    if bool in accepted:
        if isinstance(value, bool):
            return True, value
        if isinstance(value, int) and value in (0, 1):
            return True, bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return True, value.strip().lower() in _TRUE
        return False, value
    if isinstance(value, bool):  # True is an int to Python, never to an operator
        return False, value
    if int in accepted:
        if isinstance(value, int):
            return True, value
        if isinstance(value, str) and is_ascii_digits(value.strip()[1:] if value.strip()[:1] in "+-" else value.strip()):
            return True, int(value)
    if float in accepted:
        if isinstance(value, (int, float)):
            return True, value
        if isinstance(value, str):
            try:
                return True, float(value)
            except ValueError:
                pass
    if str in accepted and isinstance(value, os.PathLike):
        return True, os.fspath(value)
    for kind in accepted:
        if kind not in (bool, int, float, type(None)) and isinstance(value, kind):
            return True, value
    return False, value


# (setting, its least value, what it counts): a smaller number is refused at start-up.
_LEAST_VALUES = (
    ("REPORT_FILE_KEEP_HOURS", 1, "hours a report's PDF is kept"),
    ("SESSION_ABSOLUTE_LIFETIME", 60, "seconds after sign-in when a session ends"),
    ("API_TOKEN_LIFETIME_DAYS", 1, "days an API token works"),
)


def setting_problems(config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> list[str]:
    """Problems with enumerated settings, and (in production) with the secret key, cookies and CSRF."""
    env = os.environ if env is None else env
    name = functools.partial(variable_name, env=env)
    problems = []
    environment = str(config.get("ENV") or "").strip().lower()
    if environment not in ENVIRONMENTS:
        problems.append(f"{name('ENV')} must be one of {', '.join(ENVIRONMENTS)}, got {config.get('ENV')!r}")
    log_format = config.get("LOG_FORMAT")
    if log_format is not None and str(log_format).strip().lower() not in LOG_FORMATS:
        problems.append(f"{name('LOG_FORMAT')} must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    if str(config.get("LOG_LEVEL") or "").strip().upper() not in LOG_LEVELS:
        problems.append(f"{name('LOG_LEVEL')} must be one of {', '.join(LOG_LEVELS)}, got {config.get('LOG_LEVEL')!r}")
    proxies = config.get("TRUSTED_PROXIES")
    if isinstance(proxies, int) and not isinstance(proxies, bool) and not 0 <= proxies <= 10:
        problems.append(f"{name('TRUSTED_PROXIES')} must be from 0 to 10 (the proxies in front of the app), got {proxies}")
    for setting, least, meaning in _LEAST_VALUES:
        value = config.get(setting)
        if isinstance(value, int) and not isinstance(value, bool) and value < least:
            problems.append(f"{name(setting)} must be at least {least} ({meaning}), got {value}")
    from reviewer.sso.settings import sso_problems  # imports the accounts models: only when checking

    problems += sso_problems(config, environment == "production", name)
    problems += notify_problems(config, name)
    if environment != "production":
        return problems
    key = config.get("SECRET_KEY")
    if not key:
        problems.append(
            "REVIEWER_SECRET_KEY is not set. Production needs it set explicitly, the same on every instance "
            f"(at least {MIN_SECRET_KEY_LENGTH} characters), e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    elif len(str(key)) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"{name('SECRET_KEY')} is {len(str(key))} characters long; production needs at least {MIN_SECRET_KEY_LENGTH}"
        )
    if not config.get("SESSION_COOKIE_SECURE") and not config.get("ALLOW_INSECURE_COOKIES"):
        problems.append(
            f"{name('SESSION_COOKIE_SECURE')} is false: set REVIEWER_SESSION_COOKIE_SECURE=true (people reach the site "
            "over HTTPS, also through a TLS-terminating proxy), or REVIEWER_ALLOW_INSECURE_COOKIES=true for a site "
            "served over plain HTTP"
        )
    if not config.get("WTF_CSRF_ENABLED"):
        problems.append(f"{name('WTF_CSRF_ENABLED')} is false: production needs CSRF protection on")
    if config.get("TESTING"):
        problems.append(f"{name('TESTING')} is true: never in production")
    return problems


def check_settings(app: Flask) -> None:
    """Coerce and check the loaded settings; raise ConfigError listing every problem."""
    problems = coerce_settings(app.config) + setting_problems(app.config)
    if problems:
        raise ConfigError(problems)


def effective_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every documented setting's value as the app sees it, secrets masked."""
    shown = {}
    for name in setting_names():
        value = config.get(name)
        if name in SECRET_SETTINGS and value:
            value = f"*** ({len(str(value))} characters)"
        elif name in ("DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI") and value:
            value = mask_url(str(value))
        shown[name] = value
    return shown


def mask_url(url: str) -> str:
    """`url` with any password replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparseable URL)"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
