"""Before a server process takes its first API request: put the API's per-request statements in
SQLAlchemy's statement cache.

Every API request looks its token up (twice: the rate limiter keys on it, then the request is
authenticated), most look an account up, and the first one after `TOUCH_INTERVAL` records the
token's use. Compiling those statements, and SQLAlchemy's first session of the process, were
most of what a worker's first request paid on top of the tenth (bench/bench_first_check.py):
the cache belongs to the engine, and a worker's engine starts without them. Here each runs
once with values that match nothing. Nothing is written: the UPDATE matches no row and is
rolled back.
"""

from __future__ import annotations

from flask import Flask

from reviewer.api.auth import touch_statement
from reviewer.api.services import find_token
from reviewer.db import get_database, read_session
from reviewer.orgs.services import account_facts
from reviewer.orm import utcnow

#: A well-formed secret that is no token (find_token refuses a malformed one before any query).
NO_SUCH_SECRET = "rvw_" + "0" * 43
#: An id no row has (ids start at 1).
NO_SUCH_ID = 0


def warm_statements(app: Flask) -> None:
    """Run the API's per-request statements once, finding nothing and writing nothing."""
    with read_session(app) as session:
        find_token(session, NO_SUCH_SECRET)
        account_facts(session, NO_SUCH_ID)
    with get_database(app).engine.connect() as connection:
        connection.execute(touch_statement(NO_SUCH_ID, utcnow()))
        connection.rollback()
