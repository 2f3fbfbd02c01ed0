#!/usr/bin/env python3
"""Replay issue 15's security findings from outside, against a real `reviewer serve`.

    python scripts/security_probe.py            # or: make security-probe
    python scripts/security_probe.py --only 1,7 --keep

It makes a fresh temporary production instance (SQLite, `reviewer audit
init-key`, `db upgrade`, `demo`, two extra users), starts `reviewer serve`
on a free loopback port, then replays each finding over HTTP (and through
the CLI where the finding is the CLI's) and prints one line per probe:

    PASS  1 body limits: /login 1 GiB -> 413 in 0.01 s (64 KiB sent), ...

Exit status 0 when every probe passes. Figures are wall times on whatever
machine runs it; nothing here is a timed assertion of the test suite (see
tests/unit/test_security_probe_list.py, which only checks the probe list).
Probes that tamper with the database (3, 4) work on copies of it, so the
live server keeps a verifying trail.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from probe_kit import Ctx, Probe, ProbeFailed, make_env, setup, start_server, stop_server
from probes_http import (probe_body_limits, probe_expected_version, probe_hidden_draft, probe_lockout_race, probe_long_text,
                         probe_odd_values, probe_openapi_host, probe_separation_of_duties)
from probes_instance import (probe_file_modes, probe_reconcile, probe_redos, probe_signed_head, probe_tokens_and_sessions,
                             probe_weak_passwords)

PROBES = [
    Probe(1, "body limits", probe_body_limits),
    Probe(2, "lock-out race", probe_lockout_race),
    Probe(3, "signed head", probe_signed_head),
    Probe(4, "reconcile", probe_reconcile),
    Probe(5, "approve needs expected_version", probe_expected_version),
    Probe(6, "separation of duties over every author", probe_separation_of_duties),
    Probe(7, "odd values are 4xx", probe_odd_values),
    Probe(8, "weak passwords", probe_weak_passwords),
    Probe(9, "tokens and sessions", probe_tokens_and_sessions),
    Probe(10, "ReDoS", probe_redos),
    Probe(11, "hidden draft decision is 404", probe_hidden_draft),
    Probe(12, "openapi servers ignore Host", probe_openapi_host),
    Probe(13, "file modes", probe_file_modes),
    Probe(14, "long 021 555 text", probe_long_text),
]
# Probe 2 locks jo.staff out and 1 floods the server: run them last, print in number order.
RUN_ORDER = [5, 6, 11, 3, 4, 7, 8, 9, 10, 12, 13, 14, 1, 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated probe numbers (default: all 14)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    args = parser.parse_args(argv)
    wanted = {int(n) for n in args.only.split(",")} if args.only else {probe.number for probe in PROBES}
    tmp = Path(tempfile.mkdtemp(prefix="reviewer-probe-"))
    ctx = Ctx(tmp=tmp, env=make_env(tmp))
    results: dict[int, tuple[bool, str, float]] = {}
    try:
        started = time.monotonic()
        setup(ctx)
        start_server(ctx)
        print(f"instance {tmp}, server {ctx.base} (pid {ctx.server.pid}), ready in {time.monotonic() - started:.0f} s",
              flush=True)
        by_number = {probe.number: probe for probe in PROBES}
        for number in [n for n in RUN_ORDER if n in wanted]:
            probe = by_number[number]
            began = time.monotonic()
            try:
                results[number] = (True, probe.run(ctx), time.monotonic() - began)
            except ProbeFailed as failure:
                results[number] = (False, str(failure), time.monotonic() - began)
            except Exception as error:  # noqa: BLE001 - a probe that breaks is a failure to report, not a crash
                results[number] = (False, f"probe error: {type(error).__name__}: {error}", time.monotonic() - began)
            print(f"  ({number} done in {results[number][2]:.1f} s)", file=sys.stderr, flush=True)
    finally:
        stop_server(ctx)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    for number in sorted(results):
        ok, text, _ = results[number]
        print(f"{'PASS' if ok else 'FAIL'} {number:2d} {by_number[number].title}: {text}")
    failed = [n for n, (ok, _, _) in results.items() if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} probes pass" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
