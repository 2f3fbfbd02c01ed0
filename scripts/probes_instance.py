"""The security probes that need the instance itself (its database copies, CLI, files): 3, 4, 8, 9, 10, 13
(scripts/security_probe.py)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from probe_kit import DEMO_PASSWORD, WEAK_PASSWORDS, Ctx, ProbeFailed, Web


# --- 3 signed head, 4 reconcile: on copies of the database ------------------------------------------


def copy_database(ctx: Ctx, name: str) -> Path:
    target = ctx.tmp / f"{name}.sqlite3"
    source = sqlite3.connect(ctx.database)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return target


def verify_copy(ctx: Ctx, database: Path, *args: str) -> tuple[int, str]:
    env = {**ctx.env, "REVIEWER_DATABASE_URL": f"sqlite:///{database}", "REVIEWER_TOXICITY": "none"}
    done = ctx.cli("audit", "verify", *args, env=env)
    lines = (done.stdout + done.stderr).strip().splitlines() or [""]
    failed = [line for line in lines if "FAILED" in line or "mismatch" in line or "no event" in line]
    return done.returncode, (failed or lines)[0].strip()


def without_triggers(database: Path, change: Callable[[sqlite3.Connection], None]) -> None:
    """What someone with write access does: drop the triggers, change rows, put the triggers back."""
    connection = sqlite3.connect(database)
    with connection:
        found = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _ in found:
            connection.execute(f'DROP TRIGGER "{name}"')
        change(connection)
        for _, sql in found:
            connection.execute(sql)
    connection.close()


def probe_signed_head(ctx: Ctx) -> str:
    connection = sqlite3.connect(ctx.database)
    saved = connection.execute("SELECT seq, hash, at, mac FROM audit_head").fetchone()
    connection.close()
    for n in range(3):  # more events after the saved head
        ctx.pending_draft(f"probe three, draft {n}")
    anchors = ctx.tmp / "anchors.jsonl"
    anchored = ctx.cli("audit", "anchor", "--out", str(anchors))
    if anchored.returncode != 0:
        raise ProbeFailed(f"reviewer audit anchor failed: {anchored.stdout}{anchored.stderr}")
    live = verify_copy(ctx, copy_database(ctx, "head-live"))
    results = {"untouched copy": live}

    replayed = copy_database(ctx, "head-replayed")
    without_triggers(replayed, lambda c: (c.execute("DELETE FROM audit_events WHERE seq > ?", (saved[0],)),
                                          c.execute("UPDATE audit_head SET seq=?, hash=?, at=?, mac=?", saved)))
    results["tail cut, head set back (its old MAC)"] = verify_copy(ctx, replayed)
    results["the same, verify --anchors"] = verify_copy(ctx, replayed, "--anchors", str(anchors))

    forged = copy_database(ctx, "head-forged")

    def cut_and_point_back(c: sqlite3.Connection) -> None:
        seq, event_hash = c.execute("SELECT seq, hash FROM audit_events WHERE seq = ?", (saved[0] - 1,)).fetchone()
        c.execute("DELETE FROM audit_events WHERE seq > ?", (seq,))
        c.execute("UPDATE audit_head SET seq=?, hash=?", (seq, event_hash))

    without_triggers(forged, cut_and_point_back)
    results["tail cut, head moved to an older event"] = verify_copy(ctx, forged)

    guarded = copy_database(ctx, "head-guarded")
    connection = sqlite3.connect(guarded)
    try:
        with connection:
            connection.execute("UPDATE audit_head SET seq = seq - 1")
        trigger = "UPDATE accepted"
    except sqlite3.DatabaseError as error:
        trigger = f"refused ({error})"
    connection.close()
    figures = "; ".join(f"{name}: exit {code} {line[:70]!r}" for name, (code, line) in results.items())
    figures += f"; head UPDATE with triggers in place: {trigger}"
    expected = {"untouched copy": 0, "tail cut, head set back (its old MAC)": None, "the same, verify --anchors": 1,
                "tail cut, head moved to an older event": 1}
    if any(want is not None and results[name][0] != want for name, want in expected.items()) or "refused" not in trigger:
        raise ProbeFailed(figures)
    return figures


def approved_draft(ctx: Ctx) -> dict:
    if "approved" not in ctx.made:
        draft = ctx.pending_draft("the library")
        current = ctx.draft(draft["id"])
        response = ctx.api("POST", f"/api/v1/drafts/{draft['id']}/decision", "mere.comms",
                           {"action": "approve", "expected_version": current["version"]})
        if response.status_code != 200:
            raise ProbeFailed(f"approving draft {draft['id']} with expected_version: HTTP {response.status_code} {response.text[:200]}")
        ctx.made["approved"] = ctx.draft(draft["id"])
    return ctx.made["approved"]


def probe_reconcile(ctx: Ctx) -> str:
    draft = approved_draft(ctx)
    pending = ctx.pending_draft("the pool")
    results = {"untouched copy": verify_copy(ctx, copy_database(ctx, "rec-live"), "--reconcile")}

    rewritten = copy_database(ctx, "rec-text")
    without_triggers(rewritten, lambda c: c.execute(
        "UPDATE draft_versions SET text = text || ' Call 021 555 0199.' WHERE draft_id = ?", (draft["id"],)))
    results["approved draft's version text rewritten"] = verify_copy(ctx, rewritten, "--reconcile")

    forged = copy_database(ctx, "rec-approval")

    def insert_approval(c: sqlite3.Connection) -> None:
        version_id, sha = c.execute("SELECT id, text_sha256 FROM draft_versions WHERE draft_id = ? ORDER BY id DESC LIMIT 1",
                                    (pending["id"],)).fetchone()
        approver = c.execute("SELECT id FROM users WHERE username = 'mere.comms'").fetchone()[0]
        c.execute('INSERT INTO approvals (draft_id, version_id, text_sha256, "group", approver_id, created_at) '
                  "VALUES (?, ?, ?, 'comms', ?, ?)", (pending["id"], version_id, sha, approver, "2026-12-01 09:00:00.000000"))

    without_triggers(forged, insert_approval)
    results["approvals row inserted"] = verify_copy(ctx, forged, "--reconcile")
    figures = "; ".join(f"{name}: exit {code} {line[:110]!r}" for name, (code, line) in results.items())
    if [code for code, _ in results.values()] != [0, 1, 1]:
        raise ProbeFailed(figures)
    return figures


# --- 8 weak passwords, 9 tokens and sessions ------------------------------------------------------


def probe_weak_passwords(ctx: Ctx) -> str:
    refused_cli, refused_web = [], []
    for weak in WEAK_PASSWORDS:
        password = weak.format(user="probe.tokens")
        done = ctx.cli("reset-password", "probe.tokens", "--password-stdin", stdin=password + "\n",
                       env={**ctx.env, "REVIEWER_TOXICITY": "none"})
        refused_cli.append(done.returncode != 0)
    web = Web(ctx.base)
    if web.login("sam.staff", DEMO_PASSWORD) != 302:
        raise ProbeFailed("could not sign in as sam.staff")
    for weak in WEAK_PASSWORDS:
        password = weak.format(user="sam.staff")
        web.get("/account/password")
        response = web.post("/account/password", {"current_password": DEMO_PASSWORD, "new_password": password,
                                                  "confirm": password})
        refused_web.append(response.status_code != 302)
    still = Web(ctx.base).login("sam.staff", DEMO_PASSWORD)
    figures = (f"CLI reset-password refused {sum(refused_cli)}/{len(WEAK_PASSWORDS)}, web change refused "
               f"{sum(refused_web)}/{len(WEAK_PASSWORDS)}; the old password still signs in: {still == 302}")
    if not all(refused_cli) or not all(refused_web) or still != 302:
        raise ProbeFailed(figures)
    return figures


def probe_tokens_and_sessions(ctx: Ctx) -> str:
    web = ctx.web("probe.tokens")
    secret, page = web.new_token("probe nine")
    expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=90)).strftime("%Y-%m-%d")
    shown = "xpires" in page and (expiry in page or (dt.date.fromisoformat(expiry) - dt.timedelta(days=1)).isoformat() in page)
    import requests

    def call() -> int:
        return requests.get(ctx.base + "/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"}, timeout=60).status_code

    before = call()
    reset = ctx.cli("reset-password", "probe.tokens", "--password-stdin", stdin=f"Tui-{secrets.token_hex(8)}-nest\n",
                    env={**ctx.env, "REVIEWER_TOXICITY": "none"})
    after = call()
    checked = ctx.cli("config", "check", "--format", "json", env={**ctx.env, "REVIEWER_TOXICITY": "none"})
    settings = json.loads(checked.stdout)["settings"] if checked.stdout.strip().startswith("{") else {}
    absolute = settings.get("SESSION_ABSOLUTE_LIFETIME")
    lifetime = settings.get("API_TOKEN_LIFETIME_DAYS")
    figures = (f"token works before the reset: {before}; reset exit {reset.returncode}; after: {after}; expiry {expiry} "
               f"shown: {shown}; API_TOKEN_LIFETIME_DAYS {lifetime}; SESSION_ABSOLUTE_LIFETIME {absolute} s")
    if before != 200 or reset.returncode != 0 or after != 401 or not shown or not absolute or absolute > 24 * 3600:
        raise ProbeFailed(figures)
    return figures


# --- 10 ReDoS ------------------------------------------------------------------------------------------


REDOS_POLICY = """\
schema: 1
id: redos
version: "1"
rules:
  - id: redos.nested
    title: Nested quantifier
    kind: regex
    severity: low
    action: review
    message: Probe.
    source: Issue 15, item 10.
    patterns: ["(a+)+$"]
"""


def probe_redos(ctx: Ctx) -> str:
    folder = ctx.tmp / "redos-policies"
    folder.mkdir(exist_ok=True)
    (folder / "redos.yaml").write_text(REDOS_POLICY, encoding="utf-8")
    env = {**ctx.env, "REVIEWER_ENV": "development", "REVIEWER_POLICY_DIR": str(folder), "REVIEWER_TOXICITY": "none",
           "REVIEWER_ENCODER": "none"}
    validated = ctx.cli("policy", "validate", str(folder / "redos.yaml"), env=env, timeout=60)
    if validated.returncode != 0:
        return f"validation refuses the pattern: {(validated.stdout + validated.stderr).strip()[:160]!r}"
    text = "a" * 40 + "!"
    started = time.monotonic()
    try:
        checked = ctx.cli("check", "--policy", str(folder / "redos.yaml"), text, env=env, timeout=30)
        elapsed, code = time.monotonic() - started, checked.returncode
    except subprocess.TimeoutExpired:
        raise ProbeFailed(f"`reviewer check` on a {len(text)}-character text still running after 30 s "
                          "(RE2 for policy patterns, item 10, has not landed)") from None
    figures = f"validates; `reviewer check` on {len(text)} characters: exit {code} in {elapsed:.2f} s (with start-up)"
    if elapsed > 10 or code == 3:
        raise ProbeFailed(figures)
    return figures


# --- 13 file modes -----------------------------------------------------------------------------------


def probe_file_modes(ctx: Ctx) -> str:
    report = ctx.tmp / "probe-report.pdf"
    made = ctx.cli("report", "--out", str(report), env={**ctx.env, "REVIEWER_TOXICITY": "none"}, timeout=300)
    files = [ctx.instance / name for name in ("reviewer.sqlite3", "reviewer.sqlite3-wal", "reviewer.sqlite3-shm",
                                              "jobs.sqlite3", "audit.key")]
    files += sorted((ctx.instance / "reports").glob("*.pdf")) if (ctx.instance / "reports").is_dir() else []
    files += [report, ctx.tmp / "anchors.jsonl"]
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in files if path.exists()}
    figures = ", ".join(f"{path.name} {mode:04o}" for path, mode in modes.items())
    if made.returncode != 0:
        figures += f"; reviewer report failed: {made.stderr.strip()[:120]}"
    open_to_others = [path.name for path, mode in modes.items() if mode & 0o007 or mode & 0o070 > 0o040]
    if open_to_others or made.returncode != 0 or (ctx.instance / "reviewer.sqlite3") not in modes:
        raise ProbeFailed(figures)
    return figures
