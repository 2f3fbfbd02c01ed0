"""Security headers on every response."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import Headers

# app.extensions[FORM_ACTION_KEY]: a callable giving origins a form may also post or redirect to
# (single sign-on's provider: signing out redirects the Sign out form's POST there).
FORM_ACTION_KEY = "reviewer.form_action_sources"


def content_security_policy(form_action: Iterable[str] = ()) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *form_action]),
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


_ALWAYS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
# Served over TLS: browsers must not fall back to plain HTTP for a year.
_HSTS = ("Strict-Transport-Security", "max-age=31536000")
# Pages show people's data: never keep them in shared or back-button caches.
_NO_STORE = ("Cache-Control", "no-store")


def add_security_headers(response: Response) -> Response:
    pairs = list(_ALWAYS)
    form_action = current_app.extensions.get(FORM_ACTION_KEY)
    if form_action is not None:
        pairs[0] = ("Content-Security-Policy", content_security_policy(form_action()))
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        pairs.append(_HSTS)
    if request.endpoint != "static":
        pairs.append(_NO_STORE)
    put_headers(response.headers, pairs, replace=False)
    return response


def put_headers(headers: Headers, pairs: Iterable[tuple[str, str]], *, replace: bool) -> None:
    """Set several headers with one pass over those already there (each `headers[name] = ...` makes one).

    `replace`: an existing header of the same name is replaced; otherwise it is kept.
    """
    present = {name.lower() for name in headers.keys()}
    for name, value in pairs:
        if name.lower() not in present:
            headers.add(name, value)
        elif replace:
            headers[name] = value


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
