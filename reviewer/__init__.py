"""reviewer: governance and policy-compliance review for social-media replies."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask is imported by the functions that build an app, so `reviewer --help` does not pay for it
    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: config, logs, database, login, CSRF, blueprints, CLI.

    Refuses to start (a click error saying what to do) when a setting is bad
    (reviewer.config_checks), in production also when the database cannot be
    reached or a policy is bad (reviewer.service_checks), or when the database
    schema is not at the latest migration.
    """
    from flask_wtf.csrf import CSRFProtect
    from werkzeug.middleware.proxy_fix import ProxyFix

    from reviewer import api, checking, config, config_checks, db, notify, observability, service_checks
    from reviewer.accounts import login
    from reviewer.accounts.admin_views import bp as admin_bp
    from reviewer.accounts.views import bp as accounts_bp
    from reviewer.audit.views import bp as audit_bp
    from reviewer.drafting.views import bp as drafting_bp
    from reviewer.notify.views import bp as notify_bp
    from reviewer.orgs.views import bp as orgs_bp
    from reviewer.reports.views import bp as reports_bp
    from reviewer.sso import client as sso_client
    from reviewer.sso.views import bp as sso_bp
    from reviewer.review.views import bp as review_bp
    from reviewer.web import body_limits, converters, errors, filters, headers, ratelimit
    from reviewer.web.health import bp as health_bp
    from reviewer.web.views import bp as main_bp

    app = configured_app(test_config)
    config_checks.check_settings(app)  # bad types, and in production an unsafe secret key or cookies
    observability.init_app(app)  # first, so every request has its id before anything else runs
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    converters.init_app(app)  # before any blueprint: its rules bind the `int` converter
    db.init_app(app)
    notify.init_app(app)  # after db: it hooks the sessionmaker
    login.init_app(app)
    body_limits.init_app(app)  # before CSRFProtect: its check reads the body
    sso_client.init_app(app)  # single sign-on when OIDC_ISSUER is set
    CSRFProtect(app)
    errors.init_app(app)
    app.extensions[checking.EXTENSION_KEY] = checking.build_checker(app.config)
    filters.init_app(app)
    headers.init_app(app)

    blueprints = (main_bp, health_bp, accounts_bp, sso_bp, admin_bp, orgs_bp, drafting_bp, review_bp, audit_bp, reports_bp,
                  notify_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    api.init_app(app)  # /api/v1 and the API tokens page; after errors.init_app (it wraps those handlers)
    ratelimit.init_app(app)  # after every blueprint: limits POST /login and /api/v1 (RATELIMIT_*)

    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # once per process, here rather than in each forked worker's first query (~50 ms)

    from reviewer.cli import iter_commands

    for command in iter_commands():
        app.cli.add_command(command)

    if app.config["SCHEMA_CHECK"] and not _running_db_command():
        if config.is_production(app.config):
            service_checks.check_services(app)  # the database answers, every policy loads, Redis answers
        db.check_schema(app)
        db.get_database(app).engine.dispose()  # no connection left open: a preloading server forks safely
    return app


def configured_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """A bare Flask app with the configuration loaded (defaults, instance/config.py, env, test_config)."""
    from flask import Flask

    from reviewer import config, resources

    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve() if instance_path else resources.instance_dir()),
        instance_relative_config=True,
        template_folder=str(resources.TEMPLATES),
        static_folder=str(resources.STATIC),
    )
    config.load_config(app, test_config)
    return app


def freeze_start_up() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight (`gc.freeze`).

    Call it once a server process has built its app. What start-up built (the
    policies, the toxicity model, SQLAlchemy's mappers: about 250,000 objects
    with the embedded model) lives as long as the process, yet each full
    collection scanned all of it: a 100-150 ms pause in the middle of some
    request. Afterwards a full collection scans only what requests left. Before
    gunicorn forks its workers it also spares the memory pages they share.
    Not for tests or commands that build many apps: frozen cycles are never freed.
    """
    import gc

    gc.collect()
    gc.freeze()


def _running_db_command() -> bool:
    """True under `flask --app reviewer db ...`, which must run on an old schema."""
    args = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    return Path(sys.argv[0]).name == "flask" and "db" in args
