"""A server process warms the API's per-request statements before its first request (issue 16).

`reviewer serve` runs `warm_statements` in each worker: the first API check after a start
should compile no SQL. SQLAlchemy keeps compiled statements per engine (`_compiled_cache`, the
LRU cache its `Engine` holds); each test's app has its own engine, so its cache starts empty.
"""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from reviewer.api.models import ApiToken
from reviewer.api.warm_up import warm_statements
from reviewer.audit.models import AuditEvent
from reviewer.db import get_database

CHECK = {"text": "Thanks, we will look into it.", "account_id": None}


def _compiled(app) -> int:
    return len(get_database(app).engine._compiled_cache)


def _check(api, account_id: int) -> None:
    answer = api.post("/api/v1/check", json={**CHECK, "account_id": account_id})
    assert answer.status_code == 200, answer.get_json()


def test_after_the_warm_up_an_api_check_compiles_no_statement(app, api_as, people):
    api = api_as(people["staff"])  # its token was never used: this check also records its first use
    account_id = people["account"].id  # read now: reading it later would compile the test's own reload
    warm_statements(app)
    before = _compiled(app)
    _check(api, account_id)
    assert _compiled(app) == before


def test_without_the_warm_up_the_first_api_check_compiles_its_statements(app, api_as, people):
    """What the warm-up saves (and what makes the test above able to fail)."""
    api = api_as(people["staff"])
    account_id = people["account"].id
    before = _compiled(app)
    _check(api, account_id)
    assert _compiled(app) >= before + 3  # the token lookup, the account, the token's first use


def test_the_warm_up_writes_nothing(app, api_as, people, db_session):
    api_as(people["staff"])
    events = db_session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    tokens = db_session.execute(select(ApiToken.id, ApiToken.last_used_at)).all()
    warm_statements(app)
    db_session.rollback()
    assert db_session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) == events
    assert db_session.execute(select(ApiToken.id, ApiToken.last_used_at)).all() == tokens


def test_create_app_configures_the_mappers_so_no_worker_does_it_on_its_first_query(tmp_path):
    """In a fresh process (mapper configuration is once per process, so only a new one shows it)."""
    code = (
        "import sys\n"
        "from reviewer import create_app\n"
        "from reviewer.accounts.models import User\n"
        f"create_app({{'INSTANCE_PATH': {str(tmp_path)!r}, 'DATABASE_URL': 'sqlite://', 'SECRET_KEY': 'x' * 32,"
        " 'TOXICITY': 'none', 'SCHEMA_CHECK': False})\n"
        "sys.exit(0 if User.__mapper__.configured else 1)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
