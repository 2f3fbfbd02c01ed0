"""Audit browser speed: the first page of a 100,000-event trail, with each filter, under 200 ms.

Builds a temp SQLite database (migrated to head) holding --events events
that look like a real trail: drafts on 5 accounts going through created ->
checked (decision and rules) -> submitted -> routed/approved, plus sign-ins,
spread over 90 days. The events are written in bulk with the audit core's
own functions (`chain.seal` for hash and HMAC, `refs.derive` plus the
draft->account inheritance for `audit_refs`), in batches of 5,000 rows,
because `record()` goes through the ORM one event at a time (its rate is
measured and printed too); `verify` then checks the whole chain, so the
bulk trail is a valid one.

Then, for each filter, it times the first page (median of --runs runs):
the service query alone (`browse.page`) and the whole page through the
Flask test client, signed in as an auditor (query + template + the filter
form's lists). Also a deep page (keyset cursor in the middle), the
verify-chain button (chain and reconcile) and a full JSON Lines export.

    .venv/bin/python bench/bench_audit_browser.py [--events 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 200.0
ACCOUNTS = 5
USERS = [f"staff{n}" for n in range(15)] + [f"approver{n}" for n in range(5)]
RULES = ["pii.phone", "pii.email", "promise.date", "legal.liability", "political.endorsement", "tone.sarcasm",
         "safeguarding.self_harm", "profanity", "toxicity", "links.unknown_domain", "press.embargo", "pii.address"]
BATCH = 5000


def build_trail(session, key: bytes, count: int, seed: int = 7) -> dict:
    """Write `count` sealed events and their refs in bulk; return facts the filters use."""
    from sqlalchemy import insert, select, update

    from reviewer.audit import refs as references
    from reviewer.audit.chain import GENESIS_HASH, ChainEvent, compute_head_mac, encode_data, seal
    from reviewer.audit.models import AuditEvent, AuditHead, AuditRef

    rng = random.Random(seed)
    start = datetime.now(timezone.utc) - timedelta(days=90)
    step = timedelta(days=90) / count
    events, refs = [], []
    accounts: dict[tuple[str, str], str | None] = {}
    head = session.execute(select(AuditHead.seq, AuditHead.hash)).one()  # carry on from the events already there
    (seq, prev), draft_id = (head.seq, head.hash) if head.seq else (0, GENESIS_HASH), 0
    count += seq
    plan: list[tuple[str, str, str | None, dict]] = []
    last_at = None

    def flush() -> None:
        if events:
            session.execute(insert(AuditEvent.__table__), events)
            session.execute(insert(AuditRef.__table__), refs)
            events.clear()
            refs.clear()

    while seq < count:
        if not plan:
            if rng.random() < 0.15:
                plan.append((rng.choice(USERS), "auth.login", None, {"ip": "10.0.0.1"}))
            else:
                draft_id += 1
                author, approver = rng.choice(USERS[:15]), rng.choice(USERS[15:])
                roll = rng.random()
                decision = "pass" if roll < 0.6 else "review" if roll < 0.95 else "block"
                fired = [] if decision == "pass" else rng.sample(RULES, rng.randint(1, 2))
                subject = f"draft:{draft_id}"
                plan += [
                    (author, "draft.created", subject, {"account_id": rng.randint(1, ACCOUNTS), "inbound_post_id": draft_id, "version": 1}),
                    (author, "draft.checked", subject, {"version": 1, "decision": decision, "routes": [], "rules": fired}),
                ]
                if decision != "block":
                    plan.append((author, "draft.submitted", subject, {"version": 1, "decision": decision}))
                    if decision == "review":
                        plan += [(author, "draft.routed", subject, {"version": 1, "groups": ["comms"]}),
                                 (approver, "draft.approved", subject, {"version": 1, "group": "comms"})]
                    else:
                        plan.append((author, "draft.auto_approved", subject, {"version": 1, "by": "policy"}))
            plan.reverse()
        actor, action, subject, data = plan.pop()
        seq += 1
        sealed = seal(ChainEvent(seq, start + step * seq, USERS.index(actor) + 1, actor, action, subject, encode_data(data), prev), key)
        prev, last_at = sealed.hash, sealed.occurred_at
        events.append(sealed.__dict__)
        found = references.derive_replaying(subject, data, accounts)
        refs.extend({"seq": seq, "name": name, "value": value} for name, value in found)
        if len(events) >= BATCH:
            flush()
    flush()
    if last_at is not None:  # signed, as record() signs it
        mac = compute_head_mac(key, seq, prev, last_at)
        session.execute(update(AuditHead.__table__).values(seq=seq, hash=prev, at=last_at, mac=mac))
    session.commit()
    return {"drafts": draft_id, "start": start}


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="2,000 events, one run: proves the bench runs")
    options = parser.parse_args()
    if options.smoke:
        options.events, options.runs = 2_000, 1

    from reviewer import create_app
    from reviewer.accounts.services import create_user
    from reviewer.audit import browse, head, record, verify
    from reviewer.audit.services import session_key
    from reviewer.db import app_session, get_database, read_session, upgrade
    from reviewer.orgs.services import create_account

    folder = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    app = create_app({
        "INSTANCE_PATH": str(folder / "instance"), "DATABASE_URL": f"sqlite:///{folder / 'reviewer.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(32), "WTF_CSRF_ENABLED": False, "SCHEMA_CHECK": False,
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1}, "TOXICITY": "none",
    })
    upgrade(app)
    with app_session(app) as session:
        create_user(session, None, "auditor", "bench-password-123", ["auditor"], [])
        for n in range(1, ACCOUNTS + 1):
            create_account(session, None, name=f"Council {n}", platform="x", handle=f"@council{n}",
                           policy_file="city-council.yaml", policy_dir=ROOT / "policies", groups=[], active=True)
        session.commit()
        # record(): the rate of the real path, on a sample (then the sample is rolled back).
        sample = 2000
        began = time.perf_counter()
        for n in range(sample):
            record(session, None, "bench.sample", f"draft:{n}", {"decision": "pass", "rules": ["pii.phone"]})
        per_second = sample / (time.perf_counter() - began)
        session.rollback()
        print(f"record(): {per_second:,.0f} events/s on one connection (100,000 would take {100_000 / per_second:,.0f} s)")
        began = time.perf_counter()
        facts = build_trail(session, session_key(session), options.events - head(session)[0])
        print(f"bulk build (chain.seal + refs.derive, batches of {BATCH}): {options.events:,} events in {time.perf_counter() - began:.1f} s")
    with read_session(app) as reading:
        began = time.perf_counter()
        result = verify(reading, session_key(reading))
        print(f"verify: ok={result.ok}, {result.count:,} events, {time.perf_counter() - began:.1f} s")
        assert result.ok, result
        total = result.count
        from reviewer.audit.reconcile import reconcile

        began = time.perf_counter()
        reconciled = reconcile(reading, upto=result.head[0])
        print(f"reconcile (rows against draft events): {time.perf_counter() - began:.1f} s, "
              f"{len(reconciled.mismatches):,} mismatches (this trail's drafts have no rows: every approval is one)")

    week_ago = (datetime.now(timezone.utc) - timedelta(days=7)).date().isoformat()
    middle_draft = facts["drafts"] // 2
    filters = {
        "none": {},
        "actor": {"actor": "staff3"},
        "action": {"action": "draft.approved"},
        "account": {"account": "3"},
        "draft": {"draft": str(middle_draft)},
        "decision": {"decision": "block"},
        "rule": {"rule": "press.embargo"},
        "time range (last 7 days)": {"from": week_ago},
        "time range (a day 60 days ago)": {"from": (datetime.now(timezone.utc) - timedelta(days=60)).date().isoformat(),
                                           "to": (datetime.now(timezone.utc) - timedelta(days=60)).date().isoformat()},
        "account + decision + rule": {"account": "2", "decision": "review", "rule": "promise.date"},
        "actor + action + 7 days": {"actor": "approver1", "action": "draft.approved", "from": week_ago},
        "deep page (before the middle)": {"before": str(total // 2)},
    }
    client = app.test_client()
    assert client.post("/login", data={"username": "auditor", "password": "bench-password-123"}).status_code == 302
    print(f"\nFirst page (50 events) of a {total:,}-event trail, median of {options.runs} runs (target < {TARGET_MS:.0f} ms):")
    print(f"{'filter':34} {'matches':>8} {'service ms':>11} {'page ms':>9}  ")
    worst = 0.0
    for name, args in filters.items():
        wanted = browse.parse_filter(args)
        before = int(args["before"]) if "before" in args else None
        with read_session(app) as reading:
            shown = len(browse.page(reading, wanted, before=before).events)
            service = median_ms(lambda: browse.page(reading, wanted, before=before), options.runs)  # noqa: B023 -- called here
        query = "&".join(f"{key}={value}" for key, value in args.items())

        def fetch(query: str = query) -> None:
            response = client.get(f"/audit/?{query}")
            assert response.status_code == 200, response.status_code
            response.get_data()

        fetch()  # warm the template cache once
        page_ms = median_ms(fetch, options.runs)
        worst = max(worst, page_ms)
        print(f"{name:34} {shown:>8} {service:>11.1f} {page_ms:>9.1f}  {'ok' if page_ms < TARGET_MS else 'SLOW'}")
    print(f"slowest page: {worst:.1f} ms ({'meets' if worst < TARGET_MS else 'misses'} the {TARGET_MS:.0f} ms target)")

    began = time.perf_counter()
    verified = client.post("/audit/verify")
    assert b"<strong>OK</strong>" in verified.data
    print(f"\nverify-chain button: {time.perf_counter() - began:.2f} s for {total:,} events")
    began = time.perf_counter()
    exported = client.post("/audit/export", data={"format": "jsonl"})
    size = sum(len(chunk) for chunk in exported.response)
    print(f"JSON Lines export of the whole trail (streamed): {time.perf_counter() - began:.2f} s, {size / 1e6:.1f} MB")
    get_database(app).engine.dispose()


if __name__ == "__main__":
    main()
