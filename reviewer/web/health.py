"""`/healthz`: can this instance serve? The database answers, the scorer scores and the encoder encodes.

For load balancers and orchestrators: no sign-in, no session cookie, cheap
(one trivial query on a pooled connection, one short text scored), and it
says which check failed without any secret (the details go to the log,
under the request id).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, jsonify

from reviewer.web.access import public

bp = Blueprint("health", __name__)

#: Scored on every health check: short, harmless, fixed.
PROBE_TEXT = "Thank you for your message."


@bp.route("/healthz", methods=["GET", "HEAD"])
@public
def healthz():
    checks = {"database": _timed(_check_database), "scorer": _timed(_check_scorer), "encoder": _timed(_check_encoder)}
    healthy = all(check["status"] == "ok" for check in checks.values())
    response = jsonify({"status": "ok" if healthy else "fail", "checks": checks})
    response.status_code = 200 if healthy else 503
    return response


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # noqa: BLE001 -- a failed check is an answer, not a 500
        current_app.logger.warning("health check %s failed", check.__name__.removeprefix("_check_"), exc_info=error)
        result = {"status": "fail", "error": type(error).__name__}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _check_database() -> dict[str, Any]:
    """One trivial SELECT that reads the database, on a pooled connection, with a statement timeout."""
    from reviewer.db import get_database

    engine = get_database().readonly_engine  # on SQLite: no write lock
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            timeout_ms = int(float(current_app.config.get("HEALTH_CHECK_TIMEOUT_SECONDS") or 2) * 1000)
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {timeout_ms}")
        connection.exec_driver_sql("SELECT 1 FROM alembic_version").all()
        connection.rollback()
    return {"status": "ok"}


def _check_scorer() -> dict[str, Any]:
    """Score the probe text; `none` when the app runs without a scorer (TOXICITY=none)."""
    from reviewer.checking import EXTENSION_KEY

    scorer = current_app.extensions[EXTENSION_KEY].scorer
    if scorer is None:
        return {"status": "ok", "scorer": "none"}
    scores = scorer.score([PROBE_TEXT])
    values = list(scores[0].values()) if len(scores) == 1 and isinstance(scores[0], dict) else []
    if not values or not all(isinstance(value, float) and 0.0 <= value <= 1.0 for value in values):
        raise ValueError(f"the scorer returned {scores!r} for one text")
    return {"status": "ok"}


def _check_encoder() -> dict[str, Any]:
    """Encode the probe text (uncached): one finite vector of length 1; `none` without an encoder."""
    import math

    from reviewer.checking import EXTENSION_KEY

    encoder = current_app.extensions[EXTENSION_KEY].encoder
    if encoder is None:
        return {"status": "ok", "encoder": "none"}
    vectors = encoder.encode([PROBE_TEXT], cache=False)
    norm = math.sqrt(float((vectors[0] * vectors[0]).sum())) if len(vectors) == 1 else 0.0
    if abs(norm - 1.0) > 1e-3:
        raise ValueError(f"the encoder returned {len(vectors)} vectors, norm {norm} for one text")
    return {"status": "ok", "encoder": encoder.name}
