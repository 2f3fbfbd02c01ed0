"""The Authlib client for the configured OpenID provider, and what the views ask of it.

Authlib does the protocol: discovery, the authorization-code flow with PKCE
(S256), `state` (kept in the session, single use) and `nonce`, the token
request, and the ID token's signature against the provider's JWKS. This
module adds what to expect of the token's claims: the configured issuer,
this client as audience, expiry and issue time within OIDC_LEEWAY_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from reviewer.sso.settings import SsoSettings
from reviewer.web.headers import FORM_ACTION_KEY

EXTENSION_KEY = "reviewer.sso"
# The cookie session's copy of the ID token, the hint for RP-initiated logout ("" when too big to keep:
# a token with hundreds of group ids would push the session cookie past the 4 KB browsers accept).
ID_TOKEN_KEY = "sso_id_token"
ID_TOKEN_COOKIE_LIMIT = 2000
NEXT_KEY = "sso_next"


class ProviderError(Exception):
    """The provider's discovery document is not what this site was configured for."""


@dataclass
class Sso:
    settings: SsoSettings
    client: Any  # authlib FlaskOAuth2App

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once per process); it must name the configured issuer."""
        metadata = self.client.load_server_metadata()
        if metadata.get("issuer") != self.settings.issuer:
            raise ProviderError(
                f"the provider's discovery document names the issuer {metadata.get('issuer')!r}, "
                f"but OIDC_ISSUER is {self.settings.issuer!r}: set OIDC_ISSUER to exactly the provider's issuer"
            )
        return metadata

    def validation(self) -> dict[str, Any]:
        """Authlib's ID-token checks beyond the signature: issuer, audience (this client), subject, expiry leeway."""
        self.metadata()
        return {
            "claims_options": {
                "iss": {"essential": True, "values": [self.settings.issuer]},
                # Stated here: given options, Authlib checks `aud` only against these values.
                "aud": {"essential": True, "values": [self.settings.client_id]},
                "sub": {"essential": True},
                "exp": {"essential": True},
                "iat": {"essential": True},
            },
            "leeway": self.settings.leeway_seconds,
        }

    def authorize_redirect(self, redirect_uri: str):
        self.metadata()
        return self.client.authorize_redirect(redirect_uri)

    def finish(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """At the callback: check state, redeem the code (with the PKCE verifier), validate the ID token.

        Returns (token response, ID token claims); raises Authlib's and joserfc's errors.
        """
        token = self.client.authorize_access_token(**self.validation())
        claims = token.get("userinfo")
        if not claims:
            raise ProviderError("the provider answered without an ID token")
        return token, dict(claims)

    def validate_id_token(self, token: dict[str, Any], nonce: str) -> dict[str, Any]:
        """The claims of `token["id_token"]` checked as `finish` checks them (signature, iss, aud, exp, nonce)."""
        return dict(self.client.parse_id_token(token, nonce=nonce, **self.validation()))

    def form_action_sources(self) -> list[str]:
        """Origins the Sign out form's redirect goes to: the issuer's, and the end-session endpoint's once known.

        A browser applies the page's CSP form-action to every redirect after a
        form's POST, so without these RP-initiated logout would be blocked.
        """
        urls = [self.settings.issuer, self.client.server_metadata.get("end_session_endpoint") or ""]
        return sorted({_origin(url) for url in urls if _origin(url)})

    def end_session_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to end the provider's session too, or None when it offers no end_session_endpoint.

        Without `id_token` (it was too big to keep) the provider is told the client id alone.
        """
        if not self.metadata().get("end_session_endpoint"):
            return None
        return self.client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token or None,
            client_id=self.settings.client_id,
        )["url"]


def id_token_to_keep(token: dict[str, Any]) -> str:
    """What the session keeps of the token response's ID token: the token, or "" when too big for the cookie."""
    id_token = str(token.get("id_token") or "")
    return id_token if len(id_token) <= ID_TOKEN_COOKIE_LIMIT else ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") and parts.netloc else ""


def init_app(app: Flask) -> None:
    """Register the provider when OIDC_ISSUER is set (config_checks has checked the settings)."""
    settings = SsoSettings.from_config(app.config)
    if settings is None:
        app.extensions[EXTENSION_KEY] = None
        return
    oauth = OAuth(app)
    client = oauth.register(
        name="reviewer_sso",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.metadata_url,
        client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256", "default_timeout": settings.timeout_seconds},
    )
    sso = app.extensions[EXTENSION_KEY] = Sso(settings, client)
    app.extensions[FORM_ACTION_KEY] = sso.form_action_sources


def current_sso() -> Sso | None:
    """The app's single sign-on, or None when it is not configured."""
    return current_app.extensions.get(EXTENSION_KEY)
