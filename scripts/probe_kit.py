"""The running instance the security probe replays its findings against: a throwaway production
instance, `reviewer serve` on a free loopback port, and the clients the probes share (scripts/security_probe.py)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_web import stop, wait_until_answering  # noqa: E402 -- the benches' server start and stop
from loadgen.site import free_port  # noqa: E402 -- the benches' free loopback port

MiB = 1024 * 1024
GiB = 1024 * MiB
DEMO_PASSWORD = "Harbour-probe-" + secrets.token_hex(6)
EXTRA_PASSWORD = "Kereru-probe-" + secrets.token_hex(6)
# tone.blame: "review", routed to comms (the default group); a text that passes is approved at once.
REVIEW_TEXT = "You people never read the signs about {what}."
WEAK_PASSWORDS = ("passwordpassword", "123456789012", "{user}{user}", " " * 12 + "x")
ODD = "²"


class ProbeFailed(Exception):
    """A probe found the finding again (or could not run); the message gives the figures."""


@dataclass
class Probe:
    number: int
    title: str
    run: Callable[[Ctx], str]  # returns the figures of a pass; raises ProbeFailed


@dataclass
class Ctx:
    """The running instance: where it lives, how to reach it, and helpers the probes share."""

    tmp: Path
    env: dict[str, str]
    base: str = ""
    server: subprocess.Popen | None = None
    webs: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def instance(self) -> Path:
        return self.tmp / "instance"

    @property
    def database(self) -> Path:
        return self.instance / "reviewer.sqlite3"

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 180, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "reviewer", *args], env=env or self.env, input=stdin,
                              capture_output=True, text=True, timeout=timeout, cwd=self.tmp)

    def web(self, username: str) -> Web:
        if username not in self.webs:
            password = EXTRA_PASSWORD if username.startswith("probe.") else DEMO_PASSWORD
            web = Web(self.base)
            status = web.login(username, password)
            if status != 302:
                raise ProbeFailed(f"could not sign in as {username}: HTTP {status}")
            self.webs[username] = web
        return self.webs[username]

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = self.web(username).new_token(f"probe {secrets.token_hex(2)}")[0]
        return self.tokens[username]

    def api(self, method: str, path: str, username: str, body: Any = None, data: bytes | None = None, **kw: Any) -> Any:
        import requests

        headers = {"Authorization": f"Bearer {self.token(username)}", **kw.pop("headers", {})}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return requests.request(method, self.base + path, json=body, data=data, headers=headers, timeout=120, **kw)

    def pending_draft(self, what: str) -> dict:
        """A new draft by sam.staff on the demo's first account, waiting for comms."""
        response = self.api("POST", "/api/v1/drafts", "sam.staff", {"account_id": self.account_id(),
                                                                      "text": REVIEW_TEXT.format(what=what)})
        if response.status_code != 201:
            raise ProbeFailed(f"POST /api/v1/drafts: HTTP {response.status_code} {response.text[:200]}")
        if response.json()["state"] != "pending":
            raise ProbeFailed(f"a new draft is {response.json()['state']}, not pending: {response.text[:200]}")
        return response.json()

    def account_id(self) -> int:
        if "account" not in self.made:
            accounts = self.api("GET", "/api/v1/accounts", "sam.staff").json()
            self.made["account"] = accounts["accounts"][0]["id"] if isinstance(accounts, dict) else accounts[0]["id"]
        return self.made["account"]

    def draft(self, draft_id: int, username: str = "mere.comms") -> dict:
        response = self.api("GET", f"/api/v1/drafts/{draft_id}", username)
        if response.status_code != 200:
            raise ProbeFailed(f"GET /api/v1/drafts/{draft_id} as {username}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()


class Web:
    """A signed-in browser: a requests session that carries the CSRF token of the last page."""

    def __init__(self, base: str) -> None:
        import requests

        self.base = base
        self.session = requests.Session()
        self.csrf = ""

    def get(self, path: str, **kw: Any) -> Any:
        response = self.session.get(self.base + path, allow_redirects=False, timeout=120, **kw)
        self._note_token(response.text)
        return response

    def post(self, path: str, data: dict | None = None, **kw: Any) -> Any:
        if not self.csrf:
            self.get("/")
        response = self.session.post(self.base + path, data={"csrf_token": self.csrf, **(data or {})},
                                     allow_redirects=False, timeout=120, **kw)
        self._note_token(response.text)
        return response

    def _note_token(self, html: str) -> None:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'name="csrf-token" content="([^"]+)"', html)
        if found:
            self.csrf = found.group(1)

    def login(self, username: str, password: str) -> int:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password}).status_code

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)

    def new_token(self, name: str) -> tuple[str, str]:
        self.get("/account/api-tokens")
        page = self.post("/account/api-tokens", {"name": name}).text
        found = re.search(r"rvw_[A-Za-z0-9_\-]+", page)
        if not found:
            raise ProbeFailed(f"no token shown after making one: {page[:300]}")
        return found.group(0), page


# --- the instance ------------------------------------------------------------------------------


def make_env(tmp: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REVIEWER_")}
    env.update({
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        "REVIEWER_ENV": "production",
        "REVIEWER_INSTANCE_PATH": str(tmp / "instance"),
        "REVIEWER_DATABASE_URL": f"sqlite:///{tmp / 'instance' / 'reviewer.sqlite3'}",
        "REVIEWER_SECRET_KEY": secrets.token_hex(32),
        "REVIEWER_ALLOW_INSECURE_COOKIES": "true",  # plain HTTP on loopback
        "REVIEWER_DEMO_PASSWORD": DEMO_PASSWORD,
        # The lock-out probe (2) signs in 99 times wrongly from one address: the per-address limit
        # (20) would lock every later probe out too, and it is the per-username count that raced.
        "REVIEWER_LOGIN_MAX_FAILURES_PER_IP": "100000",
        "REVIEWER_LOG_LEVEL": "WARNING",
    })
    for name in ("REVIEWER_TOXICITY", "REVIEWER_ENCODER"):  # pass these through to trade realism for start-up time
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def setup(ctx: Ctx) -> None:
    steps = [
        (["audit", "init-key"], None),
        (["db", "upgrade"], None),
        (["demo"], None),
        (["create-user", "probe.comms2", "--role", "approver", "--group", "comms", "--password-stdin"], EXTRA_PASSWORD),
        (["create-user", "probe.tokens", "--role", "staff", "--password-stdin"], EXTRA_PASSWORD),
    ]
    for args, stdin in steps:
        done = ctx.cli(*args, stdin=stdin and stdin + "\n", timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"setup: reviewer {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def start_server(ctx: Ctx, timeout: float = 300) -> None:
    port = free_port()
    log = ctx.tmp / "serve.log"
    with open(log, "w") as handle:
        server = subprocess.Popen(
            [sys.executable, "-m", "reviewer", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
             "--no-access-log"], env=ctx.env, stdout=handle, stderr=subprocess.STDOUT, cwd=ctx.tmp, start_new_session=True,
        )
    ctx.base = f"http://127.0.0.1:{port}"
    ctx.server = wait_until_answering(server, ctx.base + "/healthz", timeout, "reviewer serve",
                                      lambda: f"its log:\n{log.read_text()[-3000:]}")


def stop_server(ctx: Ctx) -> None:
    if ctx.server is not None:
        stop(ctx.server)


def server_rss_mib(ctx: Ctx) -> float:
    """Resident memory of the gunicorn master and its workers, from /proc."""
    pids = {ctx.server.pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == ctx.server.pid:
                pids.add(int(entry.name))
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024
