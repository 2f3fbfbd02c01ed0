"""The SQLite rate limit storage (reviewer/web/ratelimit_sqlite.py), driven through limits' own strategies.

Real SQLite files; time is moved on through the storage's `clock`, so
windows expire without sleeping. Concurrency is real: threads and forked
processes hammering one counter must count exactly.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from limits import parse
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from reviewer.web.ratelimit_sqlite import SWEEP_INTERVAL_SECONDS, SqliteStorage, storage_uri


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def storage(tmp_path: Path):
    made = storage_from_string(storage_uri(tmp_path / "jobs.sqlite3"))
    assert isinstance(made, SqliteStorage)
    made.clock = Clock()
    yield made
    made.close()


def rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        found = db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # a fixed table name
    db.close()
    return found


def test_the_uri_scheme_is_registered_and_paths_are_absolute(tmp_path: Path) -> None:
    uri = storage_uri(tmp_path / "sub" / ".." / "jobs.sqlite3")
    assert uri == f"reviewer-sqlite://{tmp_path / 'jobs.sqlite3'}"
    storage = storage_from_string(uri + "?timeout=0.5")
    assert isinstance(storage, SqliteStorage) and storage.timeout == 0.5 and storage.check()
    storage.close()


@pytest.mark.parametrize(
    ("uri", "message"),
    [("reviewer-sqlite://relative/jobs.sqlite3", "absolute file path"), ("reviewer-sqlite:///tmp/x.sqlite3?timeout=soon", "timeout='soon'")],
)
def test_a_bad_uri_says_what_is_wrong(uri: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        storage_from_string(uri)


def test_fixed_window_counts_refuses_and_starts_again_when_the_window_ends(storage: SqliteStorage) -> None:
    limiter = FixedWindowRateLimiter(storage)
    item = parse("3 per minute")
    started = storage.clock.now
    assert [limiter.hit(item, "addr:10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(item, "addr:10.0.0.2"), "another key has its own counter"
    stats = limiter.get_window_stats(item, "addr:10.0.0.1")
    assert stats.remaining == 0 and stats.reset_time == started + 60

    storage.clock.now = started + 59.9
    assert not limiter.hit(item, "addr:10.0.0.1"), "still the same window"
    storage.clock.now = started + 60
    assert limiter.test(item, "addr:10.0.0.1")
    assert limiter.hit(item, "addr:10.0.0.1"), "a new window"
    assert limiter.get_window_stats(item, "addr:10.0.0.1") == (started + 120, 2)


def test_get_expiry_clear_and_reset(storage: SqliteStorage, tmp_path: Path) -> None:
    now = storage.clock.now
    assert storage.get("k") == 0 and storage.get_expiry("k") == now
    assert storage.incr("k", 30, amount=5) == 5
    assert storage.incr("k", 30) == 6
    assert (storage.get("k"), storage.get_expiry("k")) == (6, now + 30)
    storage.clear("k")
    assert storage.get("k") == 0
    storage.incr("a", 30)
    storage.incr("b", 30)
    assert storage.reset() == 2
    assert rows(tmp_path / "jobs.sqlite3", "ratelimit_counters") == []


def test_expired_rows_of_keys_that_never_come_back_are_swept(storage: SqliteStorage, tmp_path: Path) -> None:
    start = storage.clock.now
    storage.incr("gone", 10)
    storage.clock.now = start + SWEEP_INTERVAL_SECONDS + 1
    storage.incr("stays", 600)
    assert [row[0] for row in rows(tmp_path / "jobs.sqlite3", "ratelimit_counters")] == ["stays"]


def test_moving_window_holds_exactly_limit_hits_in_any_span(storage: SqliteStorage) -> None:
    limiter = MovingWindowRateLimiter(storage)
    item = parse("3 per 10 seconds")
    start = storage.clock.now
    for offset in (0, 4, 8):
        storage.clock.now = start + offset
        assert limiter.hit(item, "token:1")
    storage.clock.now = start + 9
    assert not limiter.hit(item, "token:1")
    assert limiter.get_window_stats(item, "token:1") == (start + 10, 0)
    storage.clock.now = start + 10.5  # the first hit has left the window, the two others have not
    assert limiter.hit(item, "token:1")
    assert not limiter.hit(item, "token:1")
    assert not limiter.hit(parse("3 per 10 seconds"), "token:1", cost=4), "more than the limit at once"
    storage.clear(item.key_for("token:1"))
    assert limiter.get_window_stats(item, "token:1").remaining == 3


def test_the_table_lives_beside_huey_in_the_jobs_file(tmp_path: Path) -> None:
    from huey import SqliteHuey

    path = tmp_path / "jobs.sqlite3"
    huey = SqliteHuey("reviewer", filename=str(path))
    huey.put("report-job:x", {"state": "queued"})
    storage = SqliteStorage(storage_uri(path))
    assert storage.incr("k", 60) == 1
    assert huey.get("report-job:x", peek=True) == {"state": "queued"}
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()
    assert {"ratelimit_counters", "ratelimit_entries", "kv", "task"} <= tables
    storage.close()
    huey.storage.close()


def test_threads_hammering_one_counter_count_exactly(tmp_path: Path) -> None:
    storage = SqliteStorage(storage_uri(tmp_path / "jobs.sqlite3"))
    threads, hits = 8, 250
    seen: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def hammer() -> None:
        start.wait()
        mine = [storage.incr("token:7", 600) for _ in range(hits)]
        with lock:
            seen.extend(mine)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert storage.get("token:7") == threads * hits
    assert sorted(seen) == list(range(1, threads * hits + 1)), "every hit saw its own count: none lost, none shared"
    storage.close()


def _hammer_in_a_process(uri: str, hits: int, out: multiprocessing.Queue) -> None:
    storage = storage_from_string(uri)
    out.put([storage.incr("addr:192.0.2.1", 600) for _ in range(hits)])
    storage.close()


def test_processes_sharing_the_file_count_exactly(tmp_path: Path) -> None:
    uri = storage_uri(tmp_path / "jobs.sqlite3")
    parent = storage_from_string(uri)
    assert parent.incr("addr:192.0.2.1", 600) == 1  # the parent's connection must not leak into the children
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    processes, hits = 3, 200
    children = [context.Process(target=_hammer_in_a_process, args=(uri, hits, out)) for _ in range(processes)]
    for child in children:
        child.start()
    seen = [count for _ in children for count in out.get(timeout=60)]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    out.close()
    out.join_thread()
    assert sorted(seen) == list(range(2, processes * hits + 2))
    assert parent.get("addr:192.0.2.1") == processes * hits + 1
    parent.close()


def test_a_storage_it_cannot_open_raises_its_base_exception(tmp_path: Path) -> None:
    (tmp_path / "a-folder").mkdir()
    storage = SqliteStorage(storage_uri(tmp_path / "a-folder"))
    assert not storage.check()
    with pytest.raises(storage.base_exceptions):
        storage.incr("k", 60)
