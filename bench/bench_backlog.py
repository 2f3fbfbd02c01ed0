"""Lists with a backlog: the approver queue (page and `GET /api/v1/queue`) and the staff inbox.

Builds a temp SQLite app (migrated; a staff user, an approver in legal and
comms, an account on the shipped city-council policy, the embedded scorer),
submits --drafts drafts through `POST /api/v1/drafts` with bench_web's mix
of texts (about a fifth wait for legal, the rest pass) and adds --posts
unanswered inbound posts through `POST /api/v1/inbound` (batches of 500).
Then it times, through the Flask test client (median of --runs runs, wall
ms), each group's queue page (a page of 50 with highlights, the counts of
every group, the rule list), the API's default queue page (100 items), the
account's inbox (a page of 100), the inbox with answered posts, and the
inboxes overview (counts, longest wait, overdue), and prints each answer's size.

    .venv/bin/python bench/bench_backlog.py [--drafts 3000] [--posts 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "bench-password-123"


def median_ms(operation: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        operation()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=3000)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="60 drafts, 100 posts, one run: proves the bench runs")
    options = parser.parse_args()
    if options.smoke:
        options.drafts, options.posts, options.runs = 60, 100, 1

    from bench_web import texts
    from reviewer import create_app
    from reviewer.accounts.services import create_user
    from reviewer.api.services import create_token
    from reviewer.db import app_session, upgrade
    from reviewer.orgs.services import create_account

    folder = Path(tempfile.mkdtemp(prefix="bench-backlog-"))
    app = create_app({
        "INSTANCE_PATH": str(folder / "instance"), "DATABASE_URL": f"sqlite:///{folder / 'reviewer.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(32), "SCHEMA_CHECK": False, "POLICY_DIR": str(ROOT / "policies"),
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "ACCESS_LOG": False,
    })
    upgrade(app)
    with app_session(app) as session:
        staff = create_user(session, None, "bench.staff", PASSWORD, ["staff"])
        approver = create_user(session, None, "bench.approver", PASSWORD, ["approver"], ["legal", "comms"])
        staff_token = create_token(session, None, staff, "bench").secret
        approver_token = create_token(session, None, approver, "bench").secret
        account = create_account(session, None, name="Harbour City Council on X", platform="x", handle="@HarbourCityNZ",
                                 policy_file="city-council.yaml", policy_dir=ROOT / "policies")
        session.commit()
        account_id = account.id

    api = app.test_client()
    bodies = texts()
    states: dict[str, int] = {}
    started = time.perf_counter()
    for i in range(options.drafts):
        response = api.post("/api/v1/drafts", headers={"Authorization": f"Bearer {staff_token}"},
                            json={"account_id": account_id, "text": bodies[i % len(bodies)]})
        if response.status_code != 201:
            raise SystemExit(f"POST /api/v1/drafts answered {response.status_code}: {response.get_data(as_text=True)}")
        states[response.json["state"]] = states.get(response.json["state"], 0) + 1
    print(f"{options.drafts} drafts submitted in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{n} {state}" for state, n in sorted(states.items())))

    started = time.perf_counter()
    for first in range(0, options.posts, 500):
        batch = [{"account_id": account_id, "author_handle": f"@resident{n}", "text": bodies[n % len(bodies)],
                  "received_at": "2026-01-01T00:00:00+00:00"} for n in range(first, min(first + 500, options.posts))]
        response = api.post("/api/v1/inbound", headers={"Authorization": f"Bearer {staff_token}"}, json=batch)
        if response.status_code != 201:
            raise SystemExit(f"POST /api/v1/inbound answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    print(f"{options.posts} inbound posts added in {time.perf_counter() - started:.1f} s")

    pages = app.test_client()
    signed_in = pages.post("/login", data={"username": "bench.approver", "password": PASSWORD})
    if signed_in.status_code != 302:
        raise SystemExit(f"signing in answered {signed_in.status_code}")
    headers = {"Authorization": f"Bearer {approver_token}"}
    for group in ("legal", "comms"):
        page = pages.get(f"/review/?group={group}")
        answer = api.get(f"/api/v1/queue?group={group}", headers=headers)
        if page.status_code != 200 or answer.status_code != 200:
            raise SystemExit(f"{group}: the page answered {page.status_code}, the API {answer.status_code}")
        page_ms = median_ms(lambda: pages.get(f"/review/?group={group}"), options.runs)  # noqa: B023 -- called here
        api_ms = median_ms(lambda: api.get(f"/api/v1/queue?group={group}", headers=headers), options.runs)  # noqa: B023 -- called here
        print(f"  {group:6} {answer.json.get('total', len(answer.json['items'])):5} waiting   page {page_ms:6.1f} ms ({len(page.data) // 1024} KiB)"
              f"   API {api_ms:6.1f} ms ({len(answer.json['items'])} items, {len(answer.data) // 1024} KiB)")

    staff_pages = app.test_client()
    if staff_pages.post("/login", data={"username": "bench.staff", "password": PASSWORD}).status_code != 302:
        raise SystemExit("signing in as staff failed")
    for label, url in (("inbox", f"/inbox/{account_id}"), ("inbox with answered", f"/inbox/{account_id}?answered=1"),
                       ("inboxes overview", "/inbox/")):
        page = staff_pages.get(url)
        if page.status_code != 200:
            raise SystemExit(f"{url} answered {page.status_code}")
        print(f"  {label:20} {median_ms(lambda: staff_pages.get(url), options.runs):6.1f} ms ({len(page.data) // 1024} KiB)")  # noqa: B023 -- called here


if __name__ == "__main__":
    main()
