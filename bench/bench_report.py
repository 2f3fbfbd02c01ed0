"""Report speed: the PDF compliance report for a month with 500 drafts, and with 5,000 through the background job.

Each size gets a fresh instance in a temp folder (SQLite, migrated). Drafts
are made through the real services (create, submit, approve, reject, return,
post; the shipped city-council policy and the embedded toxicity model) with
a realistic mix: about 55% pass at once (a third of those posted), 20%
approved by an approver, 5% rejected, 5% returned, 10% blocked, 5% still
pending; 60% answer an inbound post. Their timestamps are then spread over
the 30 days of the period (audit events keep their real times, inside it).

  small  500 drafts: build + render in this process, as the web page does for
         a small report; median of --runs runs (target: under 5 s).
  big    5,000 drafts: queued with reports.jobs.submit_report (as the web page does) and
         rendered by a real `reviewer jobs worker` process (huey, SQLite queue);
         time from submit to done, and the worker's peak RSS
         (getrusage RUSAGE_CHILDREN after it exits).

    .venv/bin/python bench/bench_report.py [--runs 3] [--small 500] [--big 5000] [--skip-big]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POLICIES = ROOT / "policies"
DAYS = 30

CLEAN = [
    "Thanks for letting us know, the crew will fix the light on {s} this week.",
    "Kia ora, thanks for flagging the pothole on {s}; it is on the roads team's list.",
    "Sorry to hear about the bins on {s}. A truck will be there tomorrow.",
]
REVIEW = ["We promise the pool on {s} will reopen by Friday.", "We can't comment on the court case about {s} while legal proceedings are under way."]
BLOCKED = ["Call me on 021 555 0199 about {s} and I'll sort it.", 'Email jo.bloggs@example.com about {s} <img src="file:///etc/passwd">']
STREETS = ["Elm Street", "Harbour Road", "Queen Street", "Rata Avenue", "Kowhai Lane", "Marine Parade"]


def make_instance(folder: Path):
    from reviewer import create_app
    from reviewer.db import upgrade

    config = {
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'reviewer.sqlite3'}",
        "POLICY_DIR": str(POLICIES),
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        "SCHEMA_CHECK": False,
        "AGENCY_NAME": "Harbour City Council",
    }
    app = create_app(config)
    upgrade(app)
    return app, config


def seed(app, drafts: int, since: datetime) -> dict:
    """`drafts` drafts through the real services, then spread over the period; returns ids."""
    from sqlalchemy import update

    from reviewer.accounts.services import create_user
    from reviewer.db import app_session
    from reviewer.drafting.inbound import create_inbound
    from reviewer.drafting.models import Draft, DraftVersion, InboundPost
    from reviewer.drafting.services import create_draft
    from reviewer.orgs.services import create_account
    from reviewer.review import services as review
    from reviewer.review.models import Approval, ReviewAction
    from reviewer.review.submitting import submit_draft

    rng = random.Random(6)
    checker = app.extensions["reviewer.checker"]
    with app_session(app) as session:
        staff = [create_user(session, None, f"staff{i}", "bench-password-1", ["staff"], []) for i in range(4)]
        approvers = [
            create_user(session, None, f"approver{i}", "bench-password-1", ["approver"], ["comms", "legal", "press"])
            for i in range(3)
        ]
        auditor = create_user(session, None, "auditor", "bench-password-1", ["auditor"], [])
        account = create_account(
            session, None, name="Harbour City Council", platform="x", handle="@HarbourCityNZ",
            policy_file="city-council.yaml", policy_dir=POLICIES,
        )
        session.commit()
        for index in range(drafts):
            roll = rng.random()
            street = rng.choice(STREETS)
            author = rng.choice(staff)
            inbound = None
            if rng.random() < 0.6:
                inbound = create_inbound(
                    session, None, account, author_handle=f"@resident{index}", text=f"Something is wrong on {street}.",
                    received_at=datetime.now(timezone.utc) - timedelta(minutes=rng.randint(5, 3000)),
                )
            if roll < 0.10:
                create_draft(session, author, checker, account, rng.choice(BLOCKED).format(s=street), inbound=inbound)
            elif roll < 0.65:
                draft = create_draft(session, author, checker, account, rng.choice(CLEAN).format(s=street), inbound=inbound)
                submit_draft(session, author, checker, draft)
                if rng.random() < 0.33:
                    review.mark_posted(session, author, draft, "https://x.com/HarbourCityNZ/status/1")
            else:
                draft = create_draft(session, author, checker, account, rng.choice(REVIEW).format(s=street), inbound=inbound)
                submit_draft(session, author, checker, draft)
                approver = rng.choice(approvers)
                if roll < 0.85:
                    review.approve(session, approver, draft, expected_version=draft.lock_version)
                elif roll < 0.90:
                    review.reject(session, approver, draft, "Not for us to answer.", expected_version=draft.lock_version)
                elif roll < 0.95:
                    review.return_for_changes(session, approver, draft, "Drop the date.", expected_version=draft.lock_version)
            if index % 200 == 199:
                session.commit()
        session.commit()
        # Spread the timestamps over the period: each draft at a random moment, its steps minutes later.
        span = DAYS * 24 * 60
        for draft_id, in session.execute(Draft.__table__.select().with_only_columns(Draft.id)):
            start = since + timedelta(minutes=rng.randint(0, span - 600))
            later = start + timedelta(minutes=rng.randint(5, 480))
            session.execute(update(Draft).where(Draft.id == draft_id).values(
                created_at=start, submitted_at=start + timedelta(minutes=1), updated_at=later))
            session.execute(update(Draft).where(Draft.id == draft_id, Draft.approved_at.is_not(None)).values(approved_at=later))
            session.execute(update(DraftVersion).where(DraftVersion.draft_id == draft_id).values(created_at=start))
            session.execute(update(Approval).where(Approval.draft_id == draft_id).values(created_at=later))
            session.execute(update(ReviewAction).where(ReviewAction.draft_id == draft_id).values(created_at=later))
        for post_id, answered in session.execute(InboundPost.__table__.select().with_only_columns(InboundPost.id, InboundPost.answered_at)):
            received = since + timedelta(minutes=rng.randint(0, span - 3000))
            values = {"received_at": received}
            if answered is not None:
                values["answered_at"] = received + timedelta(minutes=rng.randint(10, 2000))
            session.execute(update(InboundPost).where(InboundPost.id == post_id).values(**values))
        session.commit()
        return {"auditor_id": auditor.id, "account_id": account.id}


def run_small(app, ids: dict, since: datetime, until: datetime, runs: int) -> list[float]:
    from reviewer.accounts.models import User
    from reviewer.db import read_session
    from reviewer.reports.services import generate_report

    times = []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        with read_session(app) as session:
            made = generate_report(
                session, session.get(User, ids["auditor_id"]), since=since, until=until, account_id=None,
                agency="Harbour City Council",
            )
        times.append(time.perf_counter() - started)
        print(f"  small run: {times[-1]:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, {len(made.pdf):,} bytes, {made.data.row_count} table rows, "
              f"{made.data.summary.written} drafts", flush=True)
    return times


def run_big(app, config: dict, ids: dict, since: datetime, until: datetime, drafts: int) -> None:
    from reviewer.accounts.models import User
    from reviewer.db import read_session
    from reviewer.reports.jobs import report_pdf_path, report_status, submit_report

    with read_session(app) as session:
        user = session.get(User, ids["auditor_id"])
        job_id = submit_report(app, user, since=since, until=until, account_id=None, drafts=drafts)
    env = {**os.environ, "REVIEWER_INSTANCE_PATH": config["INSTANCE_PATH"], "REVIEWER_DATABASE_URL": config["DATABASE_URL"],
           "REVIEWER_POLICY_DIR": config["POLICY_DIR"]}
    started = time.perf_counter()
    worker = subprocess.Popen([sys.executable, "-m", "reviewer", "jobs", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = None
    try:
        while time.perf_counter() - started < 900:
            job = report_status(app, job_id)
            status = {} if job is None else vars(job)
            shown = (status.get("state"), status.get("stage"))
            if shown != last:
                print(f"  [{time.perf_counter() - started:6.1f} s] {status.get('state')}: {status.get('stage')} ({status.get('percent')}%)", flush=True)
                last = shown
            if status.get("state") in ("done", "failed"):
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output, _ = worker.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb, worker_cpu = children.ru_maxrss / 1024, children.ru_utime + children.ru_stime
    if status.get("state") != "done":
        print(output[-3000:])
        raise SystemExit(f"the background report did not finish: {status}")
    run_seconds = (datetime.fromisoformat(status["finished_at"]) - datetime.fromisoformat(status["started_at"])).total_seconds()
    path = report_pdf_path(app, job_id)
    pages = _pages(path)
    print(f"big ({drafts:,} drafts, background job): {elapsed:.1f} s from submit to done (worker start included), "
          f"{run_seconds:.1f} s in the job; worker CPU {worker_cpu:.1f} s; {path.stat().st_size:,} bytes, {pages} pages; "
          f"worker peak RSS {peak_mb:.0f} MB")


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--big", type=int, default=5000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="one run of 40 drafts, no big report: proves the bench runs")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.small, args.skip_big = 1, 40, True
    today = datetime.now(timezone.utc).date()
    since = datetime(today.year, today.month, today.day, tzinfo=timezone.utc) - timedelta(days=DAYS - 1)
    until = since + timedelta(days=DAYS)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        app, _ = make_instance(Path(tmp) / "small")
        started = time.perf_counter()
        ids = seed(app, args.small, since)
        print(f"seeded {args.small} drafts in {time.perf_counter() - started:.1f} s", flush=True)
        run_small(app, ids, since, until, 1)  # warm: fonts, templates, first imports
        times = run_small(app, ids, since, until, args.runs)
        median = statistics.median(times)
        print(f"small ({args.small} drafts, in process): median {median:.2f} s of {args.runs} runs "
              f"(min {min(times):.2f}, max {max(times):.2f}); target under 5 s: {'met' if median < 5 else 'MISSED'}")
        if not args.skip_big:
            app, config = make_instance(Path(tmp) / "big")
            started = time.perf_counter()
            ids = seed(app, args.big, since)
            print(f"seeded {args.big} drafts in {time.perf_counter() - started:.1f} s", flush=True)
            run_big(app, config, ids, since, until, args.big)


if __name__ == "__main__":
    main()
