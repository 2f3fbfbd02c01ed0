"""The services the settings point at, checked at start-up: errors that say what to fix.

- `check_services(app)` (production only, from `create_app`, once the database
  and scorer are built): the database answers and is migrated, the audit key
  signs its newest event, every policy in POLICY_DIR and every organisation
  account's policy loads, and Redis answers when configured.
- `collect_problems(app)` runs every check, settings included, without
  stopping at the first failure, for `reviewer config check`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import Flask

from reviewer.config_checks import ConfigError, coerce_settings, mask_url, setting_problems, variable_name


def database_problems(app: Flask) -> list[str]:
    """Connect once and run a trivial query; a problem names the host and port, never the password."""
    from sqlalchemy.exc import DBAPIError

    from reviewer.db import display_url, get_database

    engine = get_database(app).engine
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as error:
        reason = _first_line(error.orig) if error.orig is not None else _first_line(error)
        password = engine.url.password
        if password:
            reason = reason.replace(str(password), "***")
        return [
            f"DATABASE_URL: cannot connect to {display_url(app)}: {reason}. Check REVIEWER_DATABASE_URL and that "
            "the database server is running and reachable from here"
        ]
    finally:
        engine.dispose()  # no connection opened here outlives the check (e.g. into forked workers)
    return []


def policy_problems(app: Flask, include_accounts: bool = True) -> list[str]:
    """Load every policy in POLICY_DIR and every organisation account's policy; one problem per issue."""
    from reviewer.policy import PolicyError

    checker = app.extensions["reviewer.checker"]
    folder = Path(app.config["POLICY_DIR"])
    if not folder.is_dir():
        return [f"{variable_name('POLICY_DIR')}: {folder} is not a folder; point it at the folder of policy files"]
    names = sorted(path.name for path in folder.iterdir() if path.suffix in (".yaml", ".yml") and path.is_file())
    where: dict[str, list[str]] = {name: [] for name in names}
    if include_accounts:
        for label, policy_file in _account_policies(app):
            where.setdefault(policy_file, []).append(label)
    problems = []
    for name, accounts in where.items():
        try:
            checker.policy(name)
        except PolicyError as error:
            used_by = f" (policy of {', '.join(accounts)})" if accounts else ""
            problems.extend(f"policy {issue}{used_by}" for issue in error.issues)
    return problems


def _account_policies(app: Flask) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from reviewer.db import read_session
    from reviewer.orgs.models import OrgAccount

    with read_session(app) as session:
        accounts = session.execute(select(OrgAccount).where(OrgAccount.active.is_(True))).scalars()
        return [(account.label, account.policy_file) for account in accounts]


def audit_key_problems(app: Flask) -> list[str]:
    """The instance's audit key must exist and sign the newest event: every instance needs the same key file."""
    from sqlalchemy import select

    from reviewer.audit.chain import compute_mac
    from reviewer.audit.key_setup import event_count, missing_key_problem
    from reviewer.audit.keys import AuditKeyError, key_path, load_key
    from reviewer.audit.models import AuditEvent
    from reviewer.db import get_database, read_session

    if not key_path(app.instance_path).exists():  # production never makes it on its own (audit.key_setup)
        return [missing_key_problem(app.instance_path, event_count(get_database(app).engine))]
    try:
        key = load_key(app.instance_path)
    except AuditKeyError as error:
        return [str(error)]
    with read_session(app) as session:
        newest = session.execute(select(AuditEvent.seq, AuditEvent.hash, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if newest is None or compute_mac(key, newest.hash) == newest.mac:
        return []
    return [
        f"audit key {key_path(app.instance_path)} did not sign the database's newest audit event ({newest.seq}): "
        "every instance needs the same audit key. Copy audit.key from an instance already serving this database "
        "(or restore it from backup) into REVIEWER_INSTANCE_PATH; never replace it with a new one"
    ]


def group_warnings(app: Flask) -> list[str]:
    """Approver groups too small for separation of duties (warnings: the app still works)."""
    from reviewer.accounts.services import thin_group_warning, thin_groups
    from reviewer.db import read_session

    try:
        with read_session(app) as session:
            return [thin_group_warning(name, count) for name, count in thin_groups(session).items()]
    except Exception as error:  # noqa: BLE001 -- the database checks above report database faults
        return [f"approver groups could not be read: {_first_line(error)}"]


def redis_problems(app: Flask) -> list[str]:
    """When REDIS_URL is set, Redis must answer a PING (the job queue lives there)."""
    url = app.config.get("REDIS_URL")
    if not url:
        return []
    try:
        import redis
    except ImportError:
        return ["REDIS_URL is set but the redis client is not installed: pip install redis"]
    client = redis.Redis.from_url(str(url), socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except (redis.RedisError, OSError, ValueError) as error:
        return [f"{variable_name('REDIS_URL')}: cannot reach Redis at {mask_url(str(url))}: {_first_line(error)}"]
    finally:
        client.close()
    return []


def check_services(app: Flask) -> None:
    """Production start-up: the database answers and is migrated, every policy loads, Redis answers."""
    problems = database_problems(app)
    if not problems:
        problems += _schema_problems(app)
    if not problems:
        problems += audit_key_problems(app)
    problems += policy_problems(app, include_accounts=not problems)
    problems += redis_problems(app)
    if problems:
        raise ConfigError(problems)
    logging.getLogger(__name__).info("configuration checked: database, policies%s", " and Redis" if app.config.get("REDIS_URL") else "")


# --- Everything at once, for `reviewer config check` ------------------------------


def collect_problems(app: Flask) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a loaded but not yet wired app: every check, none stopping the others."""
    from reviewer import checking, db

    problems = coerce_settings(app.config) + setting_problems(app.config)
    warnings = []
    try:
        db.init_app(app)
    except click.ClickException as error:
        problems.append(error.message)
        database_ok = False
    else:
        database_problems_found = database_problems(app)
        problems += database_problems_found
        database_ok = not database_problems_found
        if database_ok:
            schema = _schema_problems(app)
            problems += schema or audit_key_problems(app)
            database_ok = not schema
    try:
        app.extensions[checking.EXTENSION_KEY] = checking.build_checker(app.config)
    except click.ClickException as error:
        problems.append(error.message)
        # Policies load without a scorer: check them all the same.
        app.extensions[checking.EXTENSION_KEY] = checking.Checker(Path(app.config["POLICY_DIR"]), None)
    problems += policy_problems(app, include_accounts=database_ok)
    if database_ok:
        warnings += group_warnings(app)
    problems += redis_problems(app)
    url = str(app.config.get("DATABASE_URL") or "")
    if not app.config.get("REDIS_URL") and not url.startswith("sqlite"):
        warnings.append(
            "REDIS_URL is not set: background reports queue in a SQLite file in this instance folder, "
            "which only works with one app server; set REVIEWER_REDIS_URL when running several"
        )
    return problems, warnings


def _schema_problems(app: Flask) -> list[str]:
    from reviewer.db import check_schema

    try:
        check_schema(app)
    except click.ClickException as error:
        return [error.message]
    finally:
        from reviewer.db import get_database

        get_database(app).engine.dispose()
    return []


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
