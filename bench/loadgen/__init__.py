"""A load driver for reviewer: simulated staff, approvers and auditors over HTTP on loopback.

Used by bench/bench_soak.py, bench/bench_faults.py and tests/scaleout/.
Put bench/ on sys.path, then:

    from loadgen import create_site, start_server, run_load, reconcile

    site = create_site(folder)                      # SQLite in folder; or create_site(folder, postgres_url)
    server = start_server(site, "a", workers=2)     # `reviewer serve` on a free loopback port, rate limits off
    ledger = run_load(site, [server.url], duration=30)
    server.stop()
    print("\\n".join(ledger.summary_lines()))      # requests, req/s, p50/p99 per action, errors
    result = reconcile(site, ledger)                # every acknowledged action stored; chain verifies
    print("\\n".join(result.lines())); assert result.ok

Modules: site (database, users, tokens, texts, PostgresCluster), http (one
person's keep-alive client), people (the behaviours and run_load), ledger
(what clients saw, latencies, errors), reconcile, servers.
"""

from loadgen.http import Answer, Client, TransportError
from loadgen.ledger import DecisionSeen, DraftSeen, Ledger, percentile
from loadgen.people import Settings, run_load
from loadgen.reconcile import Reconciliation, reconcile
from loadgen.servers import LOAD_ENV, Server, start_server
from loadgen.site import PostgresCluster, Site, SiteUser, create_database, create_site, drop_database, free_port

__all__ = [
    "LOAD_ENV", "Answer", "Client", "DecisionSeen", "DraftSeen", "Ledger", "PostgresCluster", "Reconciliation",
    "Server", "Settings", "Site", "SiteUser", "TransportError", "create_database", "create_site", "drop_database",
    "free_port", "percentile", "reconcile", "run_load", "start_server",
]
