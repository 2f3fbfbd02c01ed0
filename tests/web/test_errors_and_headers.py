"""Error pages in the layout (no tracebacks) and security headers on every response."""

from __future__ import annotations

import pytest

from reviewer.web.headers import CONTENT_SECURITY_POLICY


@pytest.fixture
def failing_app(app):
    """The app plus one route that raises, as an unexpected bug would."""
    from reviewer.web.access import public

    @public
    def explode():
        raise RuntimeError("secret internals: do not show me")

    app.config["TESTING"] = False  # let the 500 handler run instead of re-raising
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/explode", "explode", explode)
    return app


def test_404_page_is_in_the_layout(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and 'class="skip-link"' in page


def test_405_page_names_the_problem_and_allowed_methods(client) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert "Method not allowed" in response.get_data(as_text=True)


def test_500_page_hides_the_traceback(failing_app) -> None:
    response = failing_app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_403_page(client, make_user, login) -> None:
    login(client, make_user("sam", roles=["auditor"]))
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/login", "/no/such/page", "/static/reviewer.css"])
def test_security_headers_on_every_response(client, path) -> None:
    response = client.get(path)
    response.close()
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_the_content_security_policy_forbids_inline_script_and_framing() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'"


def test_pages_are_not_cached_but_static_files_may_be(client) -> None:
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    response = client.get("/static/reviewer.css")
    response.close()
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_pages_use_no_inline_script_or_style(client, make_user, login) -> None:
    login(client, make_user("boss", roles=["admin", "staff", "approver", "auditor"]))
    for path in ("/", "/admin/", "/admin/users", "/admin/users/new", "/admin/groups", "/admin/accounts/", "/account/password"):
        page = client.get(path).get_data(as_text=True)
        assert "<script" not in page and "style=" not in page and "<style" not in page, path


def test_hsts_only_when_served_over_tls(client, make_app) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    tls = make_app(SESSION_COOKIE_SECURE=True).test_client()
    assert tls.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_put_headers_keeps_or_replaces_whatever_the_case_of_the_name() -> None:
    from werkzeug.datastructures import Headers

    from reviewer.web.headers import put_headers

    headers = Headers([("cache-control", "public"), ("X-Limit", "1"), ("X-Limit", "2")])
    put_headers(headers, [("Cache-Control", "no-store"), ("X-New", "a")], replace=False)
    assert headers.getlist("Cache-Control") == ["public"] and headers["X-New"] == "a"
    put_headers(headers, [("x-limit", "9"), ("X-Other", "b")], replace=True)
    assert headers.getlist("X-Limit") == ["9"] and headers["X-Other"] == "b"
    assert len(headers) == 4
