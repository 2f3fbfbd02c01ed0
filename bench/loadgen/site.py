"""A reviewer site to load: a fresh database, migrated, with users, groups, accounts and API tokens.

`create_site` builds everything through the product's own services (no SQL
by hand) and classifies the texts the simulated users will send with the
real checker, so the client knows which drafts pass and which need which
approver group. `PostgresCluster` starts a throwaway PostgreSQL 15 (as the
postgres user; pg_ctl refuses root) for the soak and fault benchmarks.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
POLICY_DIR = ROOT / "policies"
POLICY_FILE = "city-council.yaml"
#: Cheap argon2 for the simulated users (the defaults cost about 170 ms per sign-in).
CHEAP_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
GROUPS = ("comms", "legal", "safeguarding", "press")

OPENINGS = ["Thanks for letting us know about", "Sorry to hear about", "We have passed your message about",
            "Thanks for the photo of", "Our team is looking into", "Kia ora, thanks for flagging"]
THINGS = ["the overflowing bins on {s}", "the pothole on {s}", "the broken streetlight on {s}",
          "the graffiti on {s}", "the blocked drain on {s}", "the fallen tree on {s}"]
CLOSINGS = ["A crew will be out this week.", "We will let you know when it is sorted.",
            "The roads team has it on their list.", "You can track progress on our website."]
STREETS = ["Elm Street", "Harbour Road", "Queen Street", "Rata Avenue", "Kowhai Lane", "Marine Parade"]
# Texts the shipped city-council policy routes to one approver group each ({s}: a street).
RISKY = {
    "comms": ["You people never read the signs on {s}.", "You people keep parking on {s} again."],
    "legal": ["We will compensate you for the damage caused on {s}; our insurer will be in touch.",
              "We accept liability for the flooding on {s} and will pay for the repairs."],
    "safeguarding": ["If you feel unsafe at home near {s}, please call us: domestic abuse support is available.",
                     "We are worried you said you want to hurt yourself. Please message us about {s}."],
    "press": ["We have no comment on {s} at this time.", "Our press statement on {s} is on the website."],
}


def passing_texts() -> list[str]:
    """Varied replies the shipped policy lets straight through."""
    return [f"{o} {t.format(s=s)}. {c}" for o in OPENINGS for t in THINGS for c in CLOSINGS for s in STREETS[:2]]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SiteUser:
    username: str
    password: str
    role: str  # staff | approver | auditor
    via: str  # web | api
    groups: tuple[str, ...] = ()
    token: str | None = None
    user_id: int = 0


@dataclass
class Site:
    """Everything a load driver needs to know about a built site."""

    folder: Path
    database_url: str
    secret_key: str
    users: list[SiteUser]
    account_id: int  # the busy account most drafts go to
    quiet_account_id: int  # a second account that gets few drafts (small PDF reports)
    clean_texts: list[str]
    risky_texts: dict[str, list[str]]  # group -> texts routed to it alone
    setup_head_seq: int  # the audit chain's last seq once the site was built
    policy_dir: Path = POLICY_DIR
    toxicity: str = "embedded"
    instances: dict[str, Path] = field(default_factory=dict)

    @property
    def audit_key_file(self) -> Path:
        return self.folder / "instance" / "audit.key"

    def by_role(self, role: str, via: str | None = None) -> list[SiteUser]:
        return [u for u in self.users if u.role == role and (via is None or u.via == via)]

    def instance_folder(self, name: str) -> Path:
        """An instance folder of its own for one app instance, holding the site's audit key (0600)."""
        folder = self.folder / f"instance-{name}"
        if name not in self.instances:
            folder.mkdir(exist_ok=True)
            target = folder / "audit.key"
            if not target.exists():
                shutil.copyfile(self.audit_key_file, target)
                target.chmod(0o600)
            self.instances[name] = folder
        return folder

    def env(self, instance: str = "main") -> dict[str, str]:
        """REVIEWER_* settings an app instance of this site runs with (same database, secret and audit key)."""
        return {
            "REVIEWER_INSTANCE_PATH": str(self.instance_folder(instance)),
            "REVIEWER_DATABASE_URL": self.database_url,
            "REVIEWER_SECRET_KEY": self.secret_key,
            "REVIEWER_TOXICITY": self.toxicity,
            "REVIEWER_POLICY_DIR": str(self.policy_dir),
            "REVIEWER_REPORTS_DIR": str(self.folder / "reports"),  # shared: a job's PDF is found from any instance
            # the users' hashes were made with these; the app's defaults would rehash (170 ms) at each first sign-in
            "REVIEWER_PASSWORD_HASH_PARAMS": json.dumps(CHEAP_HASH_PARAMS),
        }

    def app(self, **extra: object):
        """An in-process app on the site's database (for setup and reconciliation); dispose its engine when done."""
        from reviewer import create_app

        config = {
            "INSTANCE_PATH": str(self.folder / "instance"), "DATABASE_URL": self.database_url,
            "SECRET_KEY": self.secret_key, "TOXICITY": "none", "POLICY_DIR": str(self.policy_dir),
            "SCHEMA_CHECK": False, "PASSWORD_HASH_PARAMS": CHEAP_HASH_PARAMS,
        }
        config.update(extra)
        return create_app(config)


def user_mix(staff: int, approvers: int, auditors: int) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(username, role, via, groups) for the crowd: staff and approvers split between the web and the API,
    approvers spread over the groups (every group has at least one web and one API approver when there
    are enough), the first auditor on the web."""
    people = []
    for i in range(staff):
        people.append((f"staff{i:02d}", "staff", "web" if i % 2 == 0 else "api", ()))
    for i in range(approvers):
        group = GROUPS[(i // 2) % len(GROUPS)]
        extra = (GROUPS[(i // 2 + 1) % len(GROUPS)],) if i >= 2 * len(GROUPS) else ()
        people.append((f"approver{i:02d}", "approver", "web" if i % 2 == 0 else "api", (group, *extra)))
    for i in range(auditors):
        people.append((f"auditor{i:02d}", "auditor", "web", ()))
    return people


def classify(site_app, texts: list[str]) -> dict[str, list[str]]:
    """Group texts by what the shipped policy does with them: 'pass', a single route's name, or 'other'."""
    from reviewer.checking import build_checker
    from reviewer.db import app_session
    from reviewer.orgs.models import OrgAccount

    checker = build_checker({**site_app.config, "TOXICITY": site_app.config.get("LOADGEN_TOXICITY", "embedded")})
    found: dict[str, list[str]] = {}
    with app_session(site_app) as session:
        account = session.query(OrgAccount).first()
        for text in texts:
            verdict = checker.check(account, text)
            if verdict.decision == "pass":
                key = "pass"
            elif verdict.decision == "review" and len(verdict.routes) == 1 and verdict.approvals <= 1:
                key = verdict.routes[0]
            else:
                key = "other"
            found.setdefault(key, []).append(text)
    return found


def create_site(folder: Path, database_url: str | None = None, *, staff: int = 35, approvers: int = 12,
                auditors: int = 3, toxicity: str = "embedded") -> Site:
    """Migrate a fresh database (SQLite in `folder` when no URL) and add the crowd, two accounts and tokens."""
    from reviewer.accounts.services import create_group, create_user, list_groups
    from reviewer.api.services import create_token
    from reviewer.audit.services import head
    from reviewer.db import app_session, get_database, upgrade
    from reviewer.orgs.services import create_account

    folder.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{folder / 'reviewer.sqlite3'}"
    site = Site(folder, url, secrets.token_hex(32), [], 0, 0, [], {}, 0, toxicity=toxicity)
    app = site.app(LOADGEN_TOXICITY=toxicity)
    try:
        upgrade(app)
        with app_session(app) as session:
            known = {g.name for g in list_groups(session)}  # the migrations add the usual ones
            for group in GROUPS:
                if group not in known:
                    create_group(session, None, group, f"{group} approvers")
            for username, role, via, groups in user_mix(staff, approvers, auditors):
                password = secrets.token_urlsafe(12)
                user = create_user(session, None, username, password, [role], groups, email=f"{username}@soak.example")
                session.flush()
                token = create_token(session, None, user, "loadgen").secret if via == "api" or role == "auditor" else None
                site.users.append(SiteUser(username, password, role, via, tuple(groups), token, user.id))
            busy = create_account(session, None, name="Harbour City Council on X", platform="x",
                                  handle="@HarbourCityNZ", policy_file=POLICY_FILE, policy_dir=POLICY_DIR)
            quiet = create_account(session, None, name="Harbour City Council Facebook page", platform="facebook",
                                   handle="HarbourCityCouncil", policy_file=POLICY_FILE, policy_dir=POLICY_DIR)
            session.flush()
            site.account_id, site.quiet_account_id = busy.id, quiet.id
            session.commit()
            site.setup_head_seq = (head(session) or (0, ""))[0]
        risky = [t.format(s=s) for texts in RISKY.values() for t in texts for s in STREETS]
        found = classify(app, passing_texts() + risky)
        site.clean_texts = found.get("pass", [])
        site.risky_texts = {g: found[g] for g in GROUPS if found.get(g)}
        missing = [g for g in GROUPS if g not in site.risky_texts]
        if missing or len(site.clean_texts) < 50:
            raise RuntimeError(f"the policy no longer routes the load's risky texts to {missing or 'their groups'} "
                               f"({len(site.clean_texts)} passing texts); update RISKY in {__file__}")
    finally:
        get_database(app).engine.dispose()
    return site


# --- PostgreSQL ---------------------------------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, check=check)


class PostgresCluster:
    """A throwaway PostgreSQL 15 cluster on loopback (fsync off): start, stop, restart, remove."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="loadgen-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "pg.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> PostgresCluster:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL 15 is not installed ({PG_BIN} missing): apt-get install postgresql-15")
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                     "--locale=C.UTF-8")
        return self

    def start(self) -> PostgresCluster:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                     f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                     "-c max_connections=200", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.init().start()

    def __exit__(self, *exc: object) -> None:
        self.remove()


def create_database(server_url: str, prefix: str = "reviewer_load") -> str:
    """A fresh, empty database on the server `server_url` points at; returns its URL."""
    from sqlalchemy import create_engine, make_url

    name = f"{prefix}_{secrets.token_hex(4)}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str, attempts: int = 10) -> None:
    """Drop the database `database_url` names (its server must still answer), ending its sessions first."""
    from sqlalchemy import create_engine, make_url

    url = make_url(database_url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for _ in range(attempts):
                connection.exec_driver_sql(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{url.database}' "
                    "AND pid <> pg_backend_pid()")
                try:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}"')
                    return
                except Exception:  # noqa: BLE001 -- a session reconnected in between: try again
                    time.sleep(0.2)
    finally:
        engine.dispose()
