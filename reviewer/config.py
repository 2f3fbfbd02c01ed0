"""Configuration: defaults, then instance/config.py, then REVIEWER_* env, then test_config.

Every setting the app reads is listed in `Defaults` with a comment, so this
file is also the reference for operators.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from reviewer import resources


class Defaults:
    """Settings used when nothing else says otherwise.

    An annotation (or else the default's type) is the setting's type:
    reviewer.config_checks refuses a value of another type at start-up.
    """

    # "development" (the default: conveniences such as a generated SECRET_KEY) or
    # "production": start-up refuses what is unsafe or broken (secret key, cookies,
    # database, policies, model files); see docs/deployment.md.
    ENV = "development"

    # Signs session cookies and CSRF tokens. When unset, a random key is
    # generated once and kept in instance/secret_key (never hard-coded).
    # Production needs it set explicitly (at least 32 characters), the same on every instance.
    SECRET_KEY: str | None = None

    # Any SQLAlchemy URL; default: SQLite file instance/reviewer.sqlite3.
    DATABASE_URL: str | None = None
    # Seconds a SQLite connection waits for a lock before failing.
    SQLITE_BUSY_TIMEOUT_SECONDS: float = 10
    # SQLite's PRAGMA synchronous in WAL mode: NORMAL (commits skip the fsync; a power cut can lose
    # the last commits, never consistency) or FULL (every commit durable, an fsync more per write).
    SQLITE_SYNCHRONOUS = "NORMAL"
    # Seconds between WAL checkpoints by a background thread (reviewer/sqlite_checkpoint.py);
    # 0: SQLite checkpoints inside the commit that takes the WAL past 1,000 pages.
    SQLITE_CHECKPOINT_SECONDS: float = 1.0
    # Refuse to start when the database schema is not at the latest migration.
    SCHEMA_CHECK = True

    # Cookies: HttpOnly always, SameSite=Lax; set SESSION_COOKIE_SECURE=true
    # (REVIEWER_SESSION_COOKIE_SECURE=true) when served over TLS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # Production refuses SESSION_COOKIE_SECURE=false unless this is true: only for a site
    # that people reach over plain HTTP (a trial on an internal network), never behind TLS.
    ALLOW_INSECURE_COOKIES = False
    SESSION_COOKIE_NAME = "reviewer_session"
    PERMANENT_SESSION_LIFETIME: int | timedelta = 8 * 60 * 60  # a working day, in seconds
    # Seconds after sign-in when a session ends however busy (PERMANENT_SESSION_LIFETIME is a
    # sliding window that each request renews): sign in again after this.
    SESSION_ABSOLUTE_LIFETIME: int = 12 * 60 * 60
    # Days an API token works after it is made; then the API answers 401 expired_token.
    API_TOKEN_LIFETIME_DAYS: int = 90
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # The largest request body the app reads, in bytes (Flask's own setting): a bigger one is
    # answered 413 before it is read (with a Content-Length, at once; a chunked one as soon as it
    # passes the limit). The routes that take files have their own, larger limit
    # (UPLOAD_MAX_CONTENT_LENGTH), and /api/v1 allows 2 MiB. Set the proxy's limit
    # (nginx client_max_body_size) to the largest of them: docs/deployment.md.
    MAX_CONTENT_LENGTH: int | None = 1024 * 1024
    # The request body limit of the inbound-post upload (a 5 MB file plus its form fields).
    UPLOAD_MAX_CONTENT_LENGTH: int = 5 * 1024 * 1024 + 64 * 1024

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers
    # to trust (for the client address that login throttling counts). 0: none.
    TRUSTED_PROXIES = 0

    # CSRF tokens on every POST (Flask-WTF); a form older than this fails.
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT: int | None = 8 * 60 * 60

    # argon2id parameters (argon2-cffi PasswordHasher keyword arguments).
    # The defaults follow RFC 9106's second recommended option.
    PASSWORD_HASH_PARAMS: dict[str, int] = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}

    # Login throttling, stored in the database so it holds across workers.
    LOGIN_MAX_FAILURES = 5  # failures per username within the window
    LOGIN_MAX_FAILURES_PER_IP = 20  # failures per client address within the window
    LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    LOGIN_LOCKOUT_SECONDS = 15 * 60

    # Rate limits (Flask-Limiter), a cheap guard against floods in front of the lockout above.
    # Counters live with the job queue: Redis when REDIS_URL is set, else a table in the
    # JOBS_DATABASE SQLite file, so they hold across workers; RATELIMIT_STORAGE_URI overrides
    # (any limits storage URI). If the storage fails, requests go on with a logged warning,
    # counted per worker in memory until it answers again. A limit is "N per second|minute|hour|day",
    # several separated by ";". Limited requests get 429 with Retry-After.
    RATELIMIT_ENABLED = True
    # POST /login per client address (see TRUSTED_PROXIES). Generous, because a whole office
    # signs in through one NAT address: 300 a minute lets 3,000 people behind one address all
    # sign in within 10 minutes; each attempt costs an argon2 hash (a deliberate fraction of a second of CPU), so
    # this also caps what one address can make the server hash. Where people do not share
    # addresses, e.g. "20 per minute" is enough.
    RATELIMIT_LOGIN = "300 per minute"
    # /api/v1 per API token (by the token's id); per client address for requests without a
    # valid token. 20 a second per integration; raise it for bulk tools and benchmarks.
    RATELIMIT_API = "1200 per minute"
    RATELIMIT_STORAGE_URI: str | None = None
    # X-RateLimit-Limit/-Remaining/-Reset on every answer of a limited route (two storage reads
    # a request); false: only on 429s.
    RATELIMIT_HEADERS_ENABLED = True
    # "fixed-window" (one counter per window: cheapest) or "moving-window" (exact, a row per hit).
    RATELIMIT_STRATEGY = "fixed-window"

    # Single sign-on with OpenID Connect (docs/deployment.md: Entra ID, Okta, Keycloak). Set the
    # issuer (its /.well-known/openid-configuration is read), the client id and secret, and
    # register <site>/login/sso/callback as the redirect URI and <site>/login as the post-logout one.
    OIDC_ISSUER: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    OIDC_SCOPES = "openid profile email"  # space-separated; must hold openid
    OIDC_PROVIDER_NAME = "single sign-on"  # the login page's button: "Sign in with <name>"
    # Which ID-token claims hold the username, the display name, the email and the groups.
    OIDC_USERNAME_CLAIM = "preferred_username"
    OIDC_DISPLAY_NAME_CLAIM = "name"
    OIDC_EMAIL_CLAIM = "email"
    OIDC_GROUPS_CLAIM = "groups"
    # Provider group -> reviewer roles, e.g. {"reviewer-admins": ["admin"], "comms-team": ["approver"]},
    # and provider group -> approver groups, e.g. {"comms-team": ["comms"]}. Applied at every
    # sign-in; a person whose groups grant no role is refused (and loses the roles they had).
    OIDC_GROUP_ROLES: dict[str, list[str]] = {}
    OIDC_GROUP_APPROVER_GROUPS: dict[str, list[str]] = {}
    # Seconds of clock difference with the provider accepted on the ID token's exp and iat.
    OIDC_LEEWAY_SECONDS = 60
    # Seconds a request to the provider (discovery, keys, token) may take.
    OIDC_TIMEOUT_SECONDS: float = 10
    # Username and password sign-in; keep it for a break-glass administrator, or turn it off
    # (false) once single sign-on works: then only OIDC signs people in.
    LOCAL_LOGIN = True

    # Where organisation accounts pick their policy file from.
    POLICY_DIR = str(resources.POLICIES)

    # The toxicity scorer drafts are checked with, loaded at start-up:
    # "embedded" (offline, the default), "detoxify" (reads REVIEWER_DETOXIFY_*)
    # or "none" (policies' toxicity rules never fire).
    TOXICITY = "embedded"

    # The sentence encoder of policies' semantic rules, loaded and warmed at start-up:
    # "embedded" (all-MiniLM-L6-v2 exported to ONNX: offline, CPU, a transformer pass a sentence;
    # built by `reviewer encoder build`, which make run does), "static" (its static
    # distillation: a lookup and a mean a sentence, less exact), "minilm" (the transformer
    # through torch), a model folder, or "none" (semantic rules do not apply).
    ENCODER = "embedded"
    # Where built encoder models live (None: instance/encoder beside the package, or
    # REVIEWER_ENCODER_DIR).
    ENCODER_DIR: str | None = None

    # Retention: `reviewer retention purge` removes the texts of drafts whose workflow finished
    # (posted or rejected) more than this many days ago: version texts, the excerpts in their
    # verdicts, review comments, and the post they answered once it is finished too. Hashes,
    # ids, states, times, rules and decisions stay, and the audit chain still verifies
    # (docs/backups-and-retention.md). None: keep texts forever.
    RETENTION_DRAFT_TEXT_DAYS: int | None = None

    # The agency named on PDF compliance reports (None: the demo agency's name).
    AGENCY_NAME: str | None = None
    # Background report jobs (huey): a SQLite store, instance/jobs.sqlite3 when
    # None, or Redis when REDIS_URL (REVIEWER_REDIS_URL) is set
    # (pip install 'reviewer[redis]'). Run the worker: `reviewer jobs worker`.
    JOBS_DATABASE: str | None = None
    REDIS_URL: str | None = None
    # Where finished report PDFs are kept (None: instance/reports).
    REPORTS_DIR: str | None = None
    # Hours a finished background report's PDF is kept for download; then it is removed
    # (it holds people's texts) and its page says to make the report again. At least 1.
    REPORT_FILE_KEEP_HOURS = 72
    # Reports over at most this many drafts render within the request; bigger
    # ones go to the background worker (None: 300).
    REPORTS_INLINE_MAX_DRAFTS: int | None = None

    # Notifications (reviewer/notify, docs/deployment.md): rows written with the change that caused
    # them, delivered by `reviewer jobs worker`. The page links in messages start with this
    # address (e.g. "https://reviewer.example.govt.nz"); None: links are paths only.
    EXTERNAL_BASE_URL: str | None = None
    # Email over SMTP; no SMTP_HOST: no email is written. STARTTLS is required unless
    # SMTP_STARTTLS is false (only for a relay on the same host). SMTP_CA_FILE: a CA bundle
    # to trust instead of the system's (a private CA).
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM = "reviewer@localhost"
    SMTP_STARTTLS = True
    SMTP_CA_FILE: str | None = None
    SMTP_TIMEOUT_SECONDS: float = 10
    # Webhooks per approver group: {"legal": [{"kind": "teams" | "slack" | "json", "url": "...",
    # "secret": "... (json only: HMAC-SHA256 key)"}]}. The group "*" gets the messages that
    # belong to no group (a failed check of the audit chain).
    NOTIFY_WEBHOOKS: dict[str, Any] = {}
    # Characters of the draft's text a message may quote (0: never; the link is enough).
    NOTIFY_EXCERPT_CHARS = 0
    # Delivery retries: the n-th retry waits NOTIFY_RETRY_SECONDS * 2**(n-1), at most an hour;
    # after NOTIFY_MAX_ATTEMPTS tries the notification is marked failed (and audited).
    NOTIFY_RETRY_SECONDS: float = 30
    NOTIFY_MAX_ATTEMPTS = 12
    # Daily digests go out with the first tick at or after this UTC hour (0-23).
    NOTIFY_DIGEST_HOUR = 7
    # Reminders and escalation (`reviewer jobs tick`, every minute in the worker): an approval
    # gets a reminder past half its target and again past it; APPROVAL_TARGET_MINUTES is that
    # target. ESCALATION per group: {"legal": {"after_minutes": 240, "to": "comms"}}: a draft
    # still waiting for that group after that long is routed to the "to" group too (a backup
    # group or the comms lead's group). Inbound posts are reminded near (NOTIFY_INBOUND_NEAR_PERCENT
    # of the account's response target) and past their target.
    APPROVAL_TARGET_MINUTES = 240
    ESCALATION: dict[str, Any] = {}
    NOTIFY_INBOUND_NEAR_PERCENT = 75
    # Reminders look only at drafts submitted and posts received in the last this many days.
    NOTIFY_LOOKBACK_DAYS = 7
    # Notifications (and any excerpt they quote) are deleted this many days after they were
    # written, once delivered, failed or on a page; those still waiting to go are kept.
    NOTIFY_KEEP_DAYS = 90

    # Logs: "text" (one readable line) or "json" (one JSON object per line: time, level,
    # logger, message, request_id, user_id, route, method, status, duration_ms, remote_addr).
    # None: text, except under `reviewer serve`, which defaults to json.
    LOG_FORMAT: str | None = None
    LOG_LEVEL = "INFO"  # DEBUG, INFO, WARNING, ERROR or CRITICAL
    # One access line per request, written by the app (`reviewer serve` turns off gunicorn's own).
    ACCESS_LOG = True
    # /healthz: how long its database query may run (seconds; PostgreSQL statement_timeout).
    HEALTH_CHECK_TIMEOUT_SECONDS: float = 2


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill `app.config` in the documented order, then derive what is left."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)  # instance_relative_config
    app.config.from_prefixed_env("REVIEWER")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'reviewer.sqlite3'}"
    if not app.config.get("SECRET_KEY") and not is_production(app.config):
        # Production never generates one (every instance needs the same key): config_checks says so.
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))


def is_production(config: Mapping[str, Any]) -> bool:
    """True when ENV (REVIEWER_ENV) says production."""
    return str(config.get("ENV") or "").strip().lower() == "production"


def load_or_create_secret_key(instance_path: Path) -> str:
    """Read instance/secret_key, creating it (owner-only) on first run."""
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds a key shorter than 32 characters; delete it to generate a new one") from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key
