"""The security probes that work over HTTP alone: 1, 2, 5, 6, 7, 11, 12, 14 (scripts/security_probe.py)."""

from __future__ import annotations

import concurrent.futures
import io
import json
import re
import select
import socket
import sqlite3
import threading
import time

from probe_kit import DEMO_PASSWORD, ODD, REVIEW_TEXT, Ctx, GiB, MiB, ProbeFailed, Web, server_rss_mib


# --- 1 body limits ------------------------------------------------------------------------------


def stream_post(ctx: Ctx, path: str, content_type: str, size: int, *, cookie: str = "", extra: str = "",
                chunked: bool = False) -> tuple[int, float, int]:
    """POST `size` bytes as fast as the server takes them; (status, seconds to the answer, bytes sent)."""
    host, port = ctx.base.removeprefix("http://").split(":")
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Type: {content_type}", "Connection: close"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    if cookie:
        head.append(f"Cookie: {cookie}")
    if extra:
        head.append(extra)
    sock = socket.create_connection((host, int(port)), timeout=60)
    block = b"a" * MiB
    if chunked:
        block = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    started = time.monotonic()
    sent, answer = 0, b""
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        while sent < size:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break
            if writable:
                try:
                    sent += sock.send(block)
                except (BrokenPipeError, ConnectionResetError):
                    break
        elapsed = time.monotonic() - started
        sock.settimeout(30)
        try:
            while b"\r\n" not in answer:
                piece = sock.recv(65536)
                if not piece:
                    break
                answer += piece
        except (ConnectionResetError, TimeoutError):
            pass
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, elapsed, sent


def probe_body_limits(ctx: Ctx) -> str:
    staff = ctx.web("sam.staff")
    staff.get(f"/inbox/{ctx.account_id()}/upload")
    before = server_rss_mib(ctx)
    results = {
        "/login 1 GiB": stream_post(ctx, "/login", "multipart/form-data; boundary=xyz", GiB),
        "/login 1 GiB chunked": stream_post(ctx, "/login", "multipart/form-data; boundary=xyz", GiB, chunked=True),
        "/drafting/check 300 MiB JSON": stream_post(ctx, "/drafting/check", "application/json", 300 * MiB,
                                                   cookie=staff.cookie_header(), extra=f"X-CSRFToken: {staff.csrf}"),
        "upload 1 GiB": stream_post(ctx, f"/inbox/{ctx.account_id()}/upload", "multipart/form-data; boundary=xyz", GiB,
                                    cookie=staff.cookie_header(), extra=f"X-CSRFToken: {staff.csrf}"),
    }
    after = server_rss_mib(ctx)
    figures = ", ".join(f"{name} -> {status} in {secs:.2f} s ({sent / MiB:.0f} MiB sent)"
                        for name, (status, secs, sent) in results.items())
    figures += f"; server RSS {before:.0f} -> {after:.0f} MiB"
    bad = [name for name, (status, secs, sent) in results.items() if status != 413 or secs > 10 or sent > 64 * MiB]
    if bad or after - before > 100:
        raise ProbeFailed(figures)
    return figures


# --- 2 lock-out race ----------------------------------------------------------------------------


def audit_actions_since(ctx: Ctx, seq: int, username: str) -> dict[str, int]:
    """How many sign-in events of each kind the trail holds for `username` after event `seq` (read-only)."""
    connection = sqlite3.connect(f"file:{ctx.database}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT action, data FROM audit_events WHERE seq > ? AND action LIKE 'auth.login%'",
                                  (seq,)).fetchall()
    finally:
        connection.close()
    counts: dict[str, int] = {}
    for action, data in rows:
        if json.loads(data or "{}").get("username", username) == username:
            counts[action] = counts.get(action, 0) + 1
    return counts


def last_seq(ctx: Ctx) -> int:
    connection = sqlite3.connect(f"file:{ctx.database}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT coalesce(max(seq), 0) FROM audit_events").fetchone()[0]
    finally:
        connection.close()


def probe_lockout_race(ctx: Ctx) -> str:
    """99 wrong passwords and the right one at once: a password is checked only while the name is not locked.

    From outside, a checked wrong password can still answer 429 (the lock was set while it was
    being checked), so the count comes from the audit trail: `auth.login_failed` is a checked
    password, `auth.login_throttled` a refusal without a check.
    """
    username, attempts = "jo.staff", 100
    start = last_seq(ctx)
    browsers = [Web(ctx.base) for _ in range(attempts)]
    for browser in browsers:
        browser.get("/login")
    gate = threading.Barrier(attempts)

    messages: dict[int, str] = {}

    def attempt(index: int) -> tuple[int, int]:
        password = DEMO_PASSWORD if index == attempts - 1 else f"wrong-{index}"
        gate.wait()
        if index == attempts - 1:
            time.sleep(0.05)  # the right one last
        response = browsers[index].post("/login", {"username": username, "password": password})
        found = re.search(r"(Wrong username[^<]*|Too many[^<]*)", response.text)
        messages.setdefault(response.status_code, found.group(1)[:60] if found else response.text[:60])
        return index, response.status_code

    with concurrent.futures.ThreadPoolExecutor(attempts) as pool:
        statuses = dict(pool.map(attempt, range(attempts)))
    events = audit_actions_since(ctx, start, username)
    checked = events.get("auth.login_failed", 0) + events.get("auth.login", 0)
    by_status = {status: list(statuses.values()).count(status) for status in sorted(set(statuses.values()))}
    right = statuses[attempts - 1]
    limit = 5
    figures = (f"{attempts} concurrent sign-ins on {username}: {checked} passwords checked (limit {limit}; audit "
               f"{events}), HTTP {by_status}, the right password got HTTP {right}; answers {messages}")
    if checked > limit or right == 302 or any(status >= 500 for status in statuses.values()):
        raise ProbeFailed(figures)
    again = Web(ctx.base).login(username, DEMO_PASSWORD)
    if again == 302:
        raise ProbeFailed(figures + f"; a later sign-in with the right password got in ({again})")
    return figures + f"; a later right sign-in: {again}"


# --- 5 approve binds the text, 6 separation of duties, 11 hidden drafts --------------------------------


def probe_expected_version(ctx: Ctx) -> str:
    draft = ctx.pending_draft("the ferry")
    bare = ctx.api("POST", f"/api/v1/drafts/{draft['id']}/decision", "mere.comms", {"action": "approve"})
    state = ctx.draft(draft["id"])["state"]
    figures = f"approve without expected_version -> HTTP {bare.status_code} {bare.text[:120]!r}; draft stays {state}"
    if bare.status_code not in (409, 422) or state == "approved":
        raise ProbeFailed(figures)
    return figures


def probe_separation_of_duties(ctx: Ctx) -> str:
    draft = ctx.pending_draft("the market")
    second = ctx.web("probe.comms2")
    second.get(f"/review/drafts/{draft['id']}")
    edit2 = second.post(f"/review/drafts/{draft['id']}/edit", {"text": REVIEW_TEXT.format(what="the night market"),
                                                               "expected_version": ctx.draft(draft["id"])["version"]})
    mere = ctx.web("mere.comms")
    mere.get(f"/review/drafts/{draft['id']}")
    edit3 = mere.post(f"/review/drafts/{draft['id']}/edit", {"text": REVIEW_TEXT.format(what="the night market")[:-1] + "!",
                                                             "expected_version": ctx.draft(draft["id"])["version"]})
    current = ctx.draft(draft["id"])
    outcomes = {}
    for username in ("probe.comms2", "mere.comms"):
        response = ctx.api("POST", f"/api/v1/drafts/{draft['id']}/decision", username,
                           {"action": "approve", "expected_version": current["version"]})
        outcomes[username] = (response.status_code, response.json().get("error", {}).get("code") if response.content else "")
    state = ctx.draft(draft["id"])["state"]
    figures = (f"edits: probe.comms2 v2 ({edit2.status_code}), mere v3 ({edit3.status_code}), now v{current['version']}; "
               f"approve as the v2 editor -> {outcomes['probe.comms2']}, as the v3 editor -> {outcomes['mere.comms']}; "
               f"state {state}")
    if current["version"] < 3 or any(status == 200 for status, _ in outcomes.values()) or state == "approved":
        raise ProbeFailed(figures)
    return figures


def probe_hidden_draft(ctx: Ctx) -> str:
    draft = ctx.pending_draft("the depot")
    page = ctx.web("lee.safeguarding").get(f"/review/drafts/{draft['id']}")
    decision = ctx.api("POST", f"/api/v1/drafts/{draft['id']}/decision", "lee.safeguarding",
                       {"action": "approve", "expected_version": 1})
    leaks = [word for word in ("comms", "pending") if word in decision.text]
    figures = f"page {page.status_code}, API decision {decision.status_code} {decision.text[:120]!r}"
    if page.status_code != 404 or decision.status_code != 404 or leaks:
        raise ProbeFailed(figures + (f"; reveals {leaks}" if leaks else ""))
    return figures


# --- 7 odd values ----------------------------------------------------------------------------------


def probe_odd_values(ctx: Ctx) -> str:
    account = ctx.account_id()
    got: list[tuple[str, int, tuple[int, ...]]] = []

    def expect(label: str, status: int, *allowed: int) -> None:
        got.append((label, status, allowed))

    for name in ("limit", "offset", "account_id", "older_than_minutes"):
        expect(f"queue {name}", ctx.api("GET", f"/api/v1/queue?group=comms&{name}={ODD}", "mere.comms").status_code, 422)
    auditor, comms, staff = ctx.web("pat.auditor"), ctx.web("mere.comms"), ctx.web("sam.staff")
    for name in ("account", "draft", "before", "after"):
        expect(f"audit {name}", auditor.get(f"/audit/?{name}={ODD}").status_code, 422)
    expect("review page", comms.get(f"/review/?group=comms&page={ODD}").status_code, 200)
    expect("inbox page", staff.get(f"/inbox/{account}?page={ODD}").status_code, 200)
    deep = b"[" * 100_000
    expect("API deep JSON", ctx.api("POST", "/api/v1/check", "sam.staff", data=deep).status_code, 400)
    staff.get(f"/inbox/{account}")
    expect("live check deep JSON", staff.session.post(ctx.base + "/drafting/check", data=deep, timeout=60, headers={
        "Content-Type": "application/json", "X-CSRFToken": staff.csrf}).status_code, 400)
    staff.get(f"/inbox/{account}/upload")
    lone = b'{"author_handle": "@r", "received_at": "2026-11-01T09:00:00Z", "text": "\\ud800"}\n'
    upload = staff.session.post(ctx.base + f"/inbox/{account}/upload", data={"csrf_token": staff.csrf, "format": "jsonl"},
                                files={"file": ("posts.jsonl", io.BytesIO(lone), "application/octet-stream")}, timeout=60)
    expect("JSONL lone surrogate", upload.status_code, 422)
    expect("audit from year 0", auditor.get("/audit/?from=0001-01-01T00:00:00%2B14:00").status_code, 422)
    expect("audit to 9999-12-31", auditor.get("/audit/?to=9999-12-31").status_code, 422)
    expect("response times until 9999", comms.get("/review/response-times?until=9999-12-31").status_code, 422)
    expect("API inbound year 0", ctx.api("POST", "/api/v1/inbound", "sam.staff", {
        "account_id": account, "author_handle": "@r", "received_at": "0001-01-01T00:00:00+14:00", "text": "Hi"}).status_code, 422)
    anchor = ctx.cli("audit", "verify", "--anchor", f"{ODD}:" + "a" * 64, env={**ctx.env, "REVIEWER_TOXICITY": "none"})
    expect("CLI --anchor ²", anchor.returncode, 2)
    bad = [f"{label}={status}" for label, status, allowed in got if status not in allowed]
    five_hundreds = [label for label, status, _ in got if status >= 500]
    figures = f"{len(got)} requests, {len(five_hundreds)} answered 5xx; " + ", ".join(f"{label} {status}" for label, status, _ in got)
    if bad:
        raise ProbeFailed(f"unexpected: {', '.join(bad)}; {figures}")
    return figures


# --- 12 openapi servers, 14 long texts ------------------------------------------------------------


def probe_openapi_host(ctx: Ctx) -> str:
    import requests

    document = requests.get(ctx.base + "/api/v1/openapi.json", timeout=30,
                            headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    servers = document.json().get("servers") if document.status_code == 200 else None
    figures = f"HTTP {document.status_code}, servers {servers}"
    if document.status_code != 200 or "evil.example" in json.dumps(servers):
        raise ProbeFailed(figures)
    return figures


def probe_long_text(ctx: Ctx) -> str:
    timings = {}
    for length in (2_000, 20_000, 20_001):
        text = ("021 555 " * (length // 8 + 1))[:length]
        started = time.monotonic()
        response = ctx.api("POST", "/api/v1/check", "sam.staff", {"account_id": ctx.account_id(), "text": text})
        timings[length] = (response.status_code, time.monotonic() - started)
    figures = ", ".join(f"{n:,} characters -> {status} in {secs:.2f} s" for n, (status, secs) in timings.items())
    if any(status >= 500 or (status != 422 and secs > 1.0) for status, secs in timings.values()):
        raise ProbeFailed(figures)
    if timings[20_001][0] != 422:
        raise ProbeFailed(figures + " (over the cap must be 422)")
    return figures
