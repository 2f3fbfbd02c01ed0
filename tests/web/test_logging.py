"""Structured logs: request ids, one access line per request, JSON or text, errors with a reference."""

from __future__ import annotations

import json
import logging
import re
import sys

from reviewer.observability import JsonFormatter, REQUEST_ID_HEADER

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def json_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def access_lines(captured: str) -> list[dict]:
    return [line for line in json_lines(captured) if line["logger"] == "reviewer.access"]


def test_one_json_access_line_per_request(make_app, capsys) -> None:
    app = make_app(LOG_FORMAT="json")
    capsys.readouterr()
    response = app.test_client().get("/login")
    assert response.status_code == 200
    (line,) = access_lines(capsys.readouterr().err)
    assert line["request_id"] == response.headers[REQUEST_ID_HEADER]
    assert GENERATED_ID.fullmatch(line["request_id"])
    assert line["level"] == "INFO" and line["message"] == "GET /login 200"
    assert (line["method"], line["path"], line["route"], line["status"]) == ("GET", "/login", "/login", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    assert "user_id" not in line


def test_the_route_is_the_url_rule_and_the_user_is_named(make_app, make_user, login, capsys) -> None:
    app = make_app(LOG_FORMAT="json")
    user = make_user("logged", roles=["admin"])
    client = app.test_client()
    assert login(client, user).status_code == 302
    capsys.readouterr()
    client.get(f"/admin/users/{user.id}")
    client.get("/no-such-page")
    first, second = access_lines(capsys.readouterr().err)
    assert first["route"] == "/admin/users/<int:user_id>" and first["path"] == f"/admin/users/{user.id}"
    assert first["user_id"] == user.id and first["status"] == 200
    assert "route" not in second and second["status"] == 404 and second["user_id"] == user.id


def test_a_trusted_proxy_passes_its_request_id(make_app) -> None:
    client = make_app(TRUSTED_PROXIES=1).test_client()
    assert client.get("/login", headers={REQUEST_ID_HEADER: "lb-7f3a.92:1"}).headers[REQUEST_ID_HEADER] == "lb-7f3a.92:1"
    for unsafe in ("has space", "x" * 65, "<script>", "-leading-dash", "é"):
        echoed = client.get("/login", headers={REQUEST_ID_HEADER: unsafe}).headers[REQUEST_ID_HEADER]
        assert GENERATED_ID.fullmatch(echoed), unsafe


def test_without_a_trusted_proxy_the_header_is_ignored(make_app) -> None:
    client = make_app().test_client()
    echoed = client.get("/login", headers={REQUEST_ID_HEADER: "chosen-by-client"}).headers[REQUEST_ID_HEADER]
    assert GENERATED_ID.fullmatch(echoed)


def test_an_error_logs_its_traceback_and_the_page_quotes_the_reference(make_app, capsys) -> None:
    app = make_app(LOG_FORMAT="json", TESTING=False)

    def boom():
        return 1 / 0

    app.add_url_rule("/boom", "boom", boom)
    capsys.readouterr()
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    reference = response.headers[REQUEST_ID_HEADER]
    page = response.get_data(as_text=True)
    assert f"quote this reference: <code>{reference}</code>" in page and "ZeroDivisionError" not in page
    lines = json_lines(capsys.readouterr().err)
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == reference and error["route"] == "/boom"
    assert "ZeroDivisionError: division by zero" in error["traceback"]
    (access,) = [line for line in lines if line["logger"] == "reviewer.access"]
    assert access["status"] == 500 and access["request_id"] == reference


def test_a_404_page_shows_no_reference(make_app) -> None:
    assert "quote this reference" not in make_app().test_client().get("/nope").get_data(as_text=True)


def test_text_is_the_development_default(make_app, capsys) -> None:
    app = make_app()
    capsys.readouterr()
    response = app.test_client().get("/login")
    err = capsys.readouterr().err
    rid = response.headers[REQUEST_ID_HEADER]
    assert re.search(rf"INFO reviewer\.access \[{rid}\] GET /login 200 \(duration_ms=[\d.]+\)$", err, re.M), err


def test_access_lines_can_be_turned_off(make_app, capsys) -> None:
    app = make_app(LOG_FORMAT="json", ACCESS_LOG=False)
    capsys.readouterr()
    app.test_client().get("/login")
    assert access_lines(capsys.readouterr().err) == []


def test_healthy_health_checks_stay_out_of_the_info_log(make_app, capsys) -> None:
    app = make_app(LOG_FORMAT="json")
    capsys.readouterr()
    assert app.test_client().get("/healthz").status_code == 200
    assert access_lines(capsys.readouterr().err) == []


def test_building_apps_never_duplicates_handlers(make_app) -> None:
    make_app(LOG_FORMAT="json")
    make_app()
    ours = [h for h in logging.getLogger("reviewer").handlers if getattr(h, "_reviewer_log_handler", False)]
    assert len(ours) == 1
    assert not any(getattr(h, "_reviewer_log_handler", False) for h in logging.getLogger().handlers)


def test_json_formatter_keeps_one_object_per_line() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("reviewer.x", logging.ERROR, __file__, 1, "two\nlines %s", ("ü",), exc_info)
    record.status = 503
    text = JsonFormatter().format(record)
    assert "\n" not in text
    data = json.loads(text)
    assert data["message"] == "two\nlines ü" and data["status"] == 503 and data["logger"] == "reviewer.x"
    assert data["traceback"].endswith("ValueError: bad\nvalue")


def test_log_level_filters_access_lines(make_app, capsys) -> None:
    app = make_app(LOG_FORMAT="json", LOG_LEVEL="WARNING")
    try:
        capsys.readouterr()
        app.test_client().get("/login")
        assert access_lines(capsys.readouterr().err) == []
        assert logging.getLogger("reviewer").level == logging.WARNING
    finally:
        make_app()  # back to the default level for the tests after this one


def test_the_development_server_logs_each_request_once(make_app, caplog) -> None:
    """`flask run` (make run): werkzeug's own line per request is dropped; reviewer.access has it with more."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    app = make_app(LOG_FORMAT="text")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO):
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/login", timeout=10).read()
            logging.getLogger("werkzeug").info(" * Running on http://127.0.0.1:%d", server.port)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [(r.name, r.getMessage()) for r in caplog.records if "/login" in r.getMessage() or "Running" in r.getMessage()]
    assert [name for name, _ in lines].count("reviewer.access") == 1
    assert not [m for name, m in lines if name == "werkzeug" and "GET /login" in m], lines
    assert any(name == "werkzeug" and "Running on" in m for name, m in lines)  # its other lines stay
