"""The JSON API (`/api/v1`): bearer-token auth, JSON endpoints, the OpenAPI document.

`init_app` registers the API blueprint (CSRF exempt, JSON errors) and the
signed-in user's "API tokens" page.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API and the token page; call after the app's error handlers are set up."""
    from reviewer.api import errors
    from reviewer.api.tokens_views import bp as tokens_bp
    from reviewer.api.views import bp as api_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(tokens_bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(api_bp)  # token requests carry no cookie, so there is nothing to forge
    errors.init_app(app)
