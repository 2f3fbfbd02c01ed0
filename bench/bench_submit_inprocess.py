"""CPU cost of one draft submission and of one audit append, in-process and repeatable.

Builds a temp SQLite app (migrated; a staff user, an account on the shipped
city-council policy, the configured scorer, embedded by default) and times,
with `time.process_time` (CPU, not wall: the machine is shared):

  check    the account's facts and the checker (policy + scorer), as
           `POST /api/v1/check` reads and checks
  submit   the site's two steps in one transaction: load the user and the
           account object in a fresh session, `create_draft` +
           `submit_draft` (the verdict checked beforehand), commit (the API
           does both in one step, `submit_new_draft`: see `api`)
  checkapi the whole `POST /api/v1/check` request through Flask's test client
           (auth, rate limit, account, check, JSON, access line, headers)
  api      the whole `POST /api/v1/drafts` request through Flask's test client
           (bearer token, JSON body, auth, check, store, audit, commit,
           JSON response): what a gunicorn worker spends, less HTTP parsing
  record   one `audit.record()` of a draft-like event + commit

For each it prints the median and p99 CPU ms per operation and the SQL
statements per operation (a `before_cursor_execute` listener), then checks
that the chain verifies.

    .venv/bin/python bench/bench_submit_inprocess.py [--runs 300] [--toxicity embedded] [--set ACCESS_LOG=false]
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
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def measure(name: str, runs: int, operation: Callable[[int], None], counter: list[int],
            shown: list[str], profile: str | None) -> None:
    """Run `operation(i)` `runs` times (after 10 warm-up runs); print CPU ms median/p99 and statements."""
    for i in range(10):
        operation(-1 - i)
    if shown:
        shown.clear()
        operation(10_000)
        print(f"-- the statements of one {name}:", *shown, sep="\n   ")
        shown.clear()
    if profile == name:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(lambda: [operation(20_000 + i) for i in range(runs)])
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats("reviewer|orm/(session|unitofwork|persistence|loading|strategies)|flask|werkzeug", 40)
        stats.sort_stats("tottime").print_stats(25)
    times, walls, statements, locked = [], [], [], []
    for i in range(runs):
        counter[0] = 0
        lock.held = 0.0
        began, began_wall = time.process_time(), time.perf_counter()
        operation(i)
        times.append((time.process_time() - began) * 1000)
        walls.append((time.perf_counter() - began_wall) * 1000)
        statements.append(counter[0])
        locked.append(lock.held * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"{name:8} CPU ms/op: median {statistics.median(times):6.2f}  p99 {p99:6.2f}  "
        f"of it holding the write lock {statistics.median(locked):5.2f}  (wall median {statistics.median(walls):6.2f})  "
        f"SQL statements/op: median {statistics.median(statements):.0f} (max {max(statements)})"
    )


class WriteLockClock:
    """CPU seconds spent between a writing transaction's BEGIN IMMEDIATE and its COMMIT/ROLLBACK (SQLite).

    A LAZY transaction (the API's) takes the lock with its first write: counted from there.

    That span is what the other worker waits for: it bounds submissions per second whatever the cores.
    """

    def __init__(self) -> None:
        self.held = 0.0
        self._since: float | None = None

    def attach(self, engine: object) -> None:
        from sqlalchemy import event

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            mode = str(connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")).upper()
            self._since = time.process_time() if mode == "IMMEDIATE" else None

        @event.listens_for(engine, "after_cursor_execute")
        def _first_write(connection, cursor, statement, *args) -> None:
            lazy = str(connection.get_execution_options().get("sqlite_begin", "")).upper() == "LAZY"
            if lazy and self._since is None and connection.connection.dbapi_connection.in_transaction:
                self._since = time.process_time()  # a LAZY transaction took the lock just before this statement

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(connection) -> None:
            if self._since is not None:
                self.held += time.process_time() - self._since
                self._since = None


lock = WriteLockClock()


def _setting(item: str) -> tuple[str, object]:
    import json

    key, _, value = item.partition("=")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--toxicity", default="embedded", help="embedded or none")
    parser.add_argument("--policy-dir", type=Path, default=ROOT / "policies")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one submit and one record")
    parser.add_argument("--profile", choices=["submit", "checkapi", "api", "record"], help="cProfile that operation; print the top 30")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an app setting for this run (VALUE read as JSON when it parses: false, 5, ...)")
    parser.add_argument("--smoke", action="store_true", help="20 submits: proves the bench runs")
    options = parser.parse_args()
    if options.smoke:
        options.runs = 20

    from sqlalchemy import event

    from bench_web import texts
    from reviewer import create_app
    from reviewer.accounts.models import User
    from reviewer.accounts.services import create_user
    from reviewer.api.services import create_token
    from reviewer.audit import record, verify
    from reviewer.audit.services import session_key
    from reviewer.checking import EXTENSION_KEY
    from reviewer.db import app_session, get_database, upgrade
    from reviewer.drafting.services import create_draft
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from reviewer.orgs.models import OrgAccount
    from reviewer.orgs.services import account_facts, create_account

    from reviewer.review.submitting import submit_draft

    folder = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    app = create_app({
        "INSTANCE_PATH": str(folder / "instance"), "DATABASE_URL": f"sqlite:///{folder / 'reviewer.sqlite3'}",
        "SECRET_KEY": secrets.token_hex(32), "SCHEMA_CHECK": False, "TOXICITY": options.toxicity,
        "POLICY_DIR": str(options.policy_dir),
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        "RATELIMIT_API": "1000000 per minute",  # as bench_web: the limiter counts every request, never refuses
        **dict(_setting(item) for item in options.set),
    })
    upgrade(app)
    database = get_database(app)
    checker = app.extensions[EXTENSION_KEY]
    with app_session(app) as session:
        staff = create_user(session, None, "bench.staff", "bench-password-123", ["staff"])
        token = create_token(session, None, staff, "bench").secret
        create_user(session, None, "bench.legal", "bench-password-123", ["approver"], ["legal", "comms"])
        account = create_account(session, None, name="Harbour City Council on X", platform="x",
                                 handle="@HarbourCityNZ", policy_file="city-council.yaml",
                                 policy_dir=options.policy_dir)
        session.commit()
        staff_id, account_id = staff.id, account.id

    counter = [0]
    shown: list[str] = []
    lock.attach(database.engine)

    @event.listens_for(database.engine, "before_cursor_execute")
    def _count(conn: object, cursor: object, statement: str, *args: object) -> None:
        counter[0] += 1
        if options.show_sql:
            shown.append(" ".join(statement.split())[:150])

    bodies = texts()
    decisions: dict[str, int] = {}

    class Prechecked:
        """The verdict computed before the transaction, as the API view hands it to the services."""

        def __init__(self, verdict: object) -> None:
            self.verdict = verdict

        def check(self, account: object, text: str, **kw: object) -> object:
            return self.verdict

    account_by_id = select(OrgAccount).where(OrgAccount.id == account_id).options(joinedload(OrgAccount.drafting_groups))

    with app.app_context():
        def check(i: int) -> None:
            with database.sessions(bind=database.readonly_engine) as session:
                account = account_facts(session, account_id)
                checker.check(account, bodies[i % len(bodies)])

        def submit(i: int) -> None:
            with database.sessions() as session:
                user = session.get(User, staff_id)
                account = session.execute(account_by_id).unique().scalar_one()  # the site's way: the object and its teams
                text = bodies[i % len(bodies)]
                verdict = checker.check(account, text)
                draft = create_draft(session, user, Prechecked(verdict), account, text)
                draft = submit_draft(session, user, Prechecked(verdict), draft)
                decisions[draft.state] = decisions.get(draft.state, 0) + 1
                session.commit()

        print(f"{options.runs} runs each after 10 warm-up runs; toxicity={options.toxicity}; SQLite at {folder}")
        measure("check", options.runs, check, counter, [], None)
        measure("submit", options.runs, submit, counter, shown, options.profile)

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def api(i: int) -> None:
        response = client.post("/api/v1/drafts", headers=headers,
                               json={"account_id": account_id, "text": bodies[i % len(bodies)]})
        if response.status_code != 201:
            raise SystemExit(f"POST /api/v1/drafts answered {response.status_code}: {response.get_data(as_text=True)}")
        decisions[response.json["state"]] = decisions.get(response.json["state"], 0) + 1

    def checkapi(i: int) -> None:
        response = client.post("/api/v1/check", headers=headers,
                               json={"account_id": account_id, "text": bodies[i % len(bodies)]})
        if response.status_code != 200:
            raise SystemExit(f"POST /api/v1/check answered {response.status_code}: {response.get_data(as_text=True)}")

    measure("checkapi", options.runs, checkapi, counter, [], options.profile)
    measure("api", options.runs, api, counter, shown, options.profile)
    with app.app_context():
        with database.sessions() as recording:
            recorder = SimpleNamespace(id=staff_id, username="bench.staff")  # not expired by each commit

            def append(i: int) -> None:
                record(recording, recorder, "draft.checked", f"draft:{i}",
                       {"account_id": account_id, "version": 1, "decision": "pass", "routes": [], "rules": []})
                recording.commit()

            measure("record", options.runs, append, counter, shown, options.profile)
        print(f"submitted drafts by state: {decisions}")

        with database.sessions(bind=database.readonly_engine) as session:
            result = verify(session, session_key(session))
        print(f"chain verifies: {result.ok} ({result.count} events)")
        if not result.ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
