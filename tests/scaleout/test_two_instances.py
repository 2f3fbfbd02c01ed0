"""Scale-out: two app instances on two loopback ports share one PostgreSQL database and one Redis job store.

Both run `reviewer serve` (gunicorn, one worker each) with the same
SECRET_KEY, the same audit key (each from an instance folder of its own)
and the same DATABASE_URL and REDIS_URL. Simulated staff and approvers (bench/loadgen) work through both
at once, so drafts submitted on one are decided on the other; meanwhile two
approvers race on the same drafts through different instances (exactly one
wins, the other gets a 409 saying someone acted first). A report queued on
one instance is rendered by `reviewer jobs worker` from Redis and seen
finished, and downloaded, from the other. Then every acknowledged action
is reconciled with the database and the audit chain verifies.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

from loadgen import Client, DecisionSeen, DraftSeen, Ledger, Settings, reconcile, run_load, start_server
from loadgen.http import EXPECTED_VERSION
from loadgen.servers import LOAD_ENV
from loadgen.site import SiteUser

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

VENV_BIN = Path(sys.executable).parent
RACE_GROUP = "legal"  # the racing approvers' group; the crowd leaves its queue to them
RACES = 4
LOAD_SECONDS = 6


def race(site, ledger: Ledger, staff_on: Client, web_on: Client, api_on: Client, web_approver, api_approver,
         action: str) -> dict:
    """Submit a legal draft on one instance; two approvers decide it at the same moment on two instances."""
    text = site.risky_texts[RACE_GROUP][0]
    made = staff_on.request("POST", "/api/v1/drafts", api=True, body={"account_id": site.account_id, "text": text})
    assert made.status == 201, made.excerpt()
    draft = made.json()
    assert (draft["state"], draft["routes"]) == ("pending", [RACE_GROUP])
    ledger.draft(DraftSeen(draft["id"], draft["author"], "api", site.account_id, "pending", (RACE_GROUP,)))
    page = web_on.get(f"/review/drafts/{draft['id']}")
    assert page.status == 200, page.excerpt()
    version = EXPECTED_VERSION.search(page.text).group(1)
    seen = api_on.request("GET", f"/api/v1/drafts/{draft['id']}", api=True).json()["version"]
    assert str(seen) == version  # both instances see the same row
    fields = {"csrf_token": web_on.csrf, "expected_version": version}
    fields.update({"approve": {"group": RACE_GROUP}, "reject": {"reason": "No."}, "return": {"comment": "Redo."}}[action])
    start = threading.Barrier(2)

    def by_web():
        start.wait()
        return web_on.post_form(f"/review/drafts/{draft['id']}/{action}", fields)

    def by_api():
        start.wait()
        return api_on.request("POST", f"/api/v1/drafts/{draft['id']}/decision", api=True,
                              body={"action": action, "expected_version": int(version), "comment": "Redo.",
                                    **({"group": RACE_GROUP, "comment": None} if action == "approve" else {})})

    with ThreadPoolExecutor(2) as pool:
        web_future, api_future = pool.submit(by_web), pool.submit(by_api)
        web, api = web_future.result(timeout=60), api_future.result(timeout=60)
    won = [who for who, answer, ok in (("web", web, 302), ("api", api, 200)) if answer.status == ok]
    assert len(won) == 1, f"draft {draft['id']}: web {web.status} {web.excerpt()}; api {api.status} {api.excerpt()}"
    if won == ["web"]:
        assert api.status == 409 and api.json()["error"]["code"] == "conflict", api.excerpt()
        assert "acted on this draft first" in api.json()["error"]["message"]
        winner = web_approver.username
    else:
        assert web.status == 409 and "acted on this draft first" in web.text, (web.status, web.excerpt())
        winner = api_approver.username
    ledger.decision(DecisionSeen(draft["id"], winner, action, won[0]))
    return {"draft": draft["id"], "winner": won[0]}


def test_two_instances_share_postgres_and_redis(site, redis_url, tmp_path):
    began = time.monotonic()

    def phase(name: str) -> None:  # printed with the test's output when it fails (and with -s)
        print(f"scale-out: {name} at {time.monotonic() - began:.1f} s")

    shared = {"REVIEWER_REDIS_URL": redis_url, "REVIEWER_REPORTS_INLINE_MAX_DRAFTS": "0"}  # every report queued
    with ThreadPoolExecutor(2) as pool:
        starting = [pool.submit(start_server, site, name, workers=1, extra_env=shared) for name in ("a", "b")]
        servers = [future.result() for future in starting if future.exception() is None]
    if len(servers) < 2:
        for server in servers:
            server.stop()
        raise next(future.exception() for future in starting if future.exception() is not None)
    a, b = servers
    phase("both instances answer")
    clients: list[Client] = []
    # The job worker: a third process on the same Redis (started now, so its start-up overlaps the load).
    worker = subprocess.Popen([str(VENV_BIN / "reviewer"), "jobs", "worker"], cwd=tmp_path,
                              env={**site.env("worker"), **LOAD_ENV, **shared, "PATH": str(VENV_BIN)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert a.port != b.port and site.instance_folder("a") != site.instance_folder("b")
        assert (site.instance_folder("a") / "audit.key").read_bytes() == (site.instance_folder("b") / "audit.key").read_bytes()

        legal_web = next(u for u in site.by_role("approver", "web") if u.groups == (RACE_GROUP,))
        legal_api = next(u for u in site.by_role("approver", "api") if u.groups == (RACE_GROUP,))
        staff = site.by_role("staff", "api")[0]

        def client(url: str, user=None) -> Client:
            made = Client(url, timeout=30, token=user.token if user else None)
            clients.append(made)
            return made

        ledger = Ledger()
        races: list[dict] = []

        def racing(ledger: Ledger) -> None:
            """While the crowd works: races between the legal approvers, alternating instances and decisions."""
            sessions = {}
            for url in (a.url, b.url):
                web = client(url)
                assert web.login(legal_web.username, legal_web.password).status == 302
                ledger.audited_action("auth.login")
                sessions[url] = web
            for n in range(RACES):
                here, there = (a.url, b.url) if n % 2 == 0 else (b.url, a.url)
                action = ("approve", "return", "approve", "reject")[n % 4]
                races.append(race(site, ledger, client(here, staff), sessions[here], client(there, legal_api),
                                  legal_web, legal_api, action))

        def crowd(user: SiteUser) -> bool:
            return user.role in ("staff", "approver") and user not in (legal_web, legal_api)

        run_load(site, [a.url, b.url], LOAD_SECONDS, ledger=ledger, during=racing, include=crowd,
                 settings=Settings(think=(0.2, 0.8), timeout=30))
        phase("load and races done")
        assert not ledger.errors, "\n".join(ledger.summary_lines())
        assert len(races) == RACES
        assert ledger.per_instance[a.url] >= 5 and ledger.per_instance[b.url] >= 5, ledger.per_instance

        # A report (the quiet account's few drafts) queued on A, rendered by the worker from Redis,
        # seen done and downloaded on B.
        quiet = client(b.url, staff).request("POST", "/api/v1/drafts", api=True,
                                             body={"account_id": site.quiet_account_id, "text": site.clean_texts[0]})
        assert quiet.status == 201, quiet.excerpt()
        ledger.draft(DraftSeen(quiet.json()["id"], staff.username, "api", site.quiet_account_id, "approved", ()))
        auditor = site.by_role("auditor")[0]
        on_a = client(a.url)
        assert on_a.login(auditor.username, auditor.password).status == 302
        ledger.audited_action("auth.login")
        assert on_a.get("/reports/").status == 200
        today = datetime.now(timezone.utc).date().isoformat()
        queued = on_a.post_form("/reports/generate", {"since": today, "until": today,
                                                      "account": str(site.quiet_account_id)})
        assert queued.status == 303, queued.excerpt()
        job_id = re.search(r"/reports/jobs/([0-9a-f]{32})$", queued.location).group(1)
        on_b = client(b.url)
        on_b.cookies = dict(on_a.cookies)  # the same sign-in works on B: both sign with the same SECRET_KEY
        deadline, status = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            answer = on_b.get(f"/reports/jobs/{job_id}/status")
            assert answer.status == 200, answer.excerpt()
            status = answer.json()
            if status["state"] in ("done", "failed"):
                break
            time.sleep(0.25)
        phase(f"report job {status.get('state')}")
        assert status.get("state") == "done", status
        pdf = on_b.get(f"/reports/jobs/{job_id}/download")
        assert pdf.status == 200 and pdf.body.startswith(b"%PDF"), pdf.excerpt()
        ledger.audited_action("report.generated", "report.downloaded")
    finally:
        for made in clients:
            made.close()
        worker.terminate()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda server: server.stop(), servers))
        phase("instances stopped")
        worker.wait(timeout=30)

    phase("worker stopped")
    result = reconcile(site, ledger)
    phase("reconciled")
    assert result.ok, "\n".join(result.lines())
    assert result.drafts_stored == len(ledger.drafts) and result.approvals_stored == sum(
        1 for d in ledger.decisions if d.action == "approve")
    for server in servers:
        assert not server.log_problems(), server.log_problems()
