"""`/healthz`: the database and the scorer, no sign-in, no cookie, 503 naming what failed."""

from __future__ import annotations

import json
import socket

import pytest

from reviewer.checking import EXTENSION_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_on_each_database(app) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok"
    assert {name: check["status"] for name, check in data["checks"].items()} == {"database": "ok", "scorer": "ok", "encoder": "ok"}
    assert all(check["duration_ms"] >= 0 for check in data["checks"].values())
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_head_works_and_nothing_secret_is_shown(app) -> None:
    client = app.test_client()
    assert client.head("/healthz").status_code == 200
    body = client.get("/healthz").get_data(as_text=True)
    assert app.config["DATABASE_URL"] not in body and "version" not in body


def test_the_embedded_scorer_is_really_asked(make_app) -> None:
    app = make_app(TOXICITY="embedded")
    scorer = app.extensions[EXTENSION_KEY].scorer
    assert scorer is not None and scorer.name
    assert app.test_client().get("/healthz").get_json()["checks"]["scorer"]["status"] == "ok"


def test_no_scorer_configured_is_healthy(make_app) -> None:
    app = make_app(TOXICITY="none")
    assert app.test_client().get("/healthz").get_json()["checks"]["scorer"] == {
        "status": "ok", "scorer": "none", "duration_ms": pytest.approx(0, abs=50)
    }


def test_the_encoder_is_really_asked_and_none_is_healthy(make_app) -> None:
    app = make_app()
    encoder = app.extensions[EXTENSION_KEY].encoder
    assert encoder is not None and encoder.cache.size > 0
    assert app.test_client().get("/healthz").get_json()["checks"]["encoder"]["encoder"] == encoder.name
    off = make_app(ENCODER="none")
    assert off.test_client().get("/healthz").get_json()["checks"]["encoder"]["encoder"] == "none"


class BrokenEncoder:
    """An encoder whose model answers with nonsense (fault injection)."""

    name = "broken"

    def encode(self, texts, cache=True):
        import numpy as np

        return np.zeros((len(texts), 4), dtype=np.float32)


def test_a_broken_encoder_is_a_503_naming_the_check(app) -> None:
    app.extensions[EXTENSION_KEY].encoder = BrokenEncoder()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["encoder"] == {"status": "fail", "error": "ValueError",
                                                        "duration_ms": pytest.approx(0, abs=100)}


def test_an_unbuilt_encoder_stops_start_up_with_what_to_do(make_app, tmp_path, monkeypatch) -> None:
    import click

    from reviewer.encoder import clear_cache

    clear_cache()
    try:
        with pytest.raises(click.ClickException, match=r"ENCODER=embedded: No encoder model at .*reviewer encoder build"):
            make_app(ENCODER_DIR=str(tmp_path / "nothing-built"))
    finally:
        clear_cache()


class BrokenScorer:
    """A scorer whose model fails at scoring time (fault injection)."""

    name = "broken"
    version = "0"
    labels = ("toxicity",)

    def score(self, texts):
        raise RuntimeError("model weights unreadable")


def test_a_failing_scorer_is_a_503_naming_the_check(app, caplog) -> None:
    app.extensions[EXTENSION_KEY].scorer = BrokenScorer()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    data = response.get_json()
    assert data["status"] == "fail"
    assert data["checks"]["database"]["status"] == "ok"
    assert data["checks"]["scorer"]["status"] == "fail" and data["checks"]["scorer"]["error"] == "RuntimeError"
    assert "weights" not in response.get_data(as_text=True), "details go to the log, not to the caller"
    logged = [r for r in caplog.records if r.getMessage() == "health check scorer failed"]
    assert logged and logged[0].request_id == response.headers["X-Request-ID"]


def test_an_unmigrated_sqlite_database_is_unhealthy(tmp_path) -> None:
    from reviewer import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "other"), "SCHEMA_CHECK": False, "TOXICITY": "none",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "SECRET_KEY": "x" * 32})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["status"] == "fail"


def test_an_unreachable_postgresql_is_a_503(tmp_path) -> None:
    from reviewer import create_app
    from reviewer.db import get_database

    url = f"postgresql+psycopg://reviewer:pw@127.0.0.1:{free_port()}/reviewer?connect_timeout=2"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SCHEMA_CHECK": False, "TOXICITY": "none", "DATABASE_URL": url})
    try:
        response = app.test_client().get("/healthz")
    finally:
        get_database(app).engine.dispose()
    assert response.status_code == 503
    data = json.loads(response.get_data(as_text=True))
    assert data["checks"]["database"]["status"] == "fail"
    assert data["checks"]["database"]["error"] == "OperationalError"
    assert data["checks"]["scorer"]["status"] == "ok"
    assert "pw@" not in response.get_data(as_text=True)
