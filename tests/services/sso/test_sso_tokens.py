"""The ID token checks, against the keys a real OpenID provider publishes (its JWKS).

Tokens are minted with the provider's own signing key (what a replayed,
expired or misdirected token would carry) or with another key (a forgery),
then validated through the app's single sign-on exactly as the callback
validates them: the same Authlib call, the same expected issuer, audience
and leeway.
"""

from __future__ import annotations

import time

import pytest
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError, JoseError

from oidc_kit import CLIENT_ID, KEY_ID, new_key
from reviewer.sso.client import EXTENSION_KEY

NONCE = "n-0123456789"


def sso_of(folder, settings: dict):
    """The app's single sign-on as create_app builds it (no database needed to check tokens)."""
    from reviewer import configured_app
    from reviewer.sso import client

    app = configured_app({"INSTANCE_PATH": str(folder), "SECRET_KEY": "k" * 32, **settings})
    client.init_app(app)
    return app


@pytest.fixture(scope="module")
def sso(provider, tmp_path_factory):
    app = sso_of(tmp_path_factory.mktemp("sso"), provider.app_settings())
    with app.app_context():
        yield app.extensions[EXTENSION_KEY]


def check(sso, id_token: str, nonce: str = NONCE) -> dict:
    return sso.validate_id_token({"id_token": id_token, "access_token": "opaque", "token_type": "Bearer"}, nonce)


def test_a_token_signed_by_the_provider_for_this_client_passes(sso, provider) -> None:
    claims = check(sso, provider.mint())
    assert claims["sub"] == "sub-alice" and claims["aud"] == CLIENT_ID and claims["iss"] == provider.issuer


def test_a_token_signed_with_another_key_under_the_providers_key_id_is_refused(sso, provider) -> None:
    with pytest.raises(BadSignatureError):
        check(sso, provider.mint(key=new_key(KEY_ID)))


def test_a_tampered_token_is_refused(sso, provider) -> None:
    header, payload, signature = provider.mint().split(".")
    forged = provider.mint(key=new_key(KEY_ID), preferred_username="mallory", groups=["reviewer-admins"])
    with pytest.raises(BadSignatureError):
        check(sso, ".".join([header, forged.split(".")[1], signature]))


def test_a_token_for_another_audience_is_refused(sso, provider) -> None:
    with pytest.raises(InvalidClaimError, match="aud"):
        check(sso, provider.mint(aud="some-other-client"))


def test_a_token_for_another_audience_naming_this_client_as_authorised_party_is_refused(sso, provider) -> None:
    with pytest.raises(InvalidClaimError, match="aud"):
        check(sso, provider.mint(aud="some-other-client", azp=CLIENT_ID))


def test_a_token_from_another_issuer_is_refused(sso, provider) -> None:
    with pytest.raises(InvalidClaimError, match="iss"):
        check(sso, provider.mint(iss="https://evil.example"))


def test_an_expired_token_is_refused_beyond_the_leeway(sso, provider) -> None:
    now = int(time.time())
    with pytest.raises(ExpiredTokenError):
        check(sso, provider.mint(iat=now - 900, exp=now - 120))  # leeway 60 s by default


def test_a_clock_a_little_behind_the_provider_is_tolerated(sso, provider) -> None:
    now = int(time.time())
    assert check(sso, provider.mint(iat=now - 600, exp=now - 30))["sub"] == "sub-alice"


def test_the_leeway_is_configurable(provider, tmp_path) -> None:
    app = sso_of(tmp_path, provider.app_settings(OIDC_LEEWAY_SECONDS=0))
    now = int(time.time())
    with app.app_context(), pytest.raises(ExpiredTokenError):
        check(app.extensions[EXTENSION_KEY], provider.mint(iat=now - 600, exp=now - 30))


def test_a_token_issued_for_another_sign_in_is_refused(sso, provider) -> None:
    with pytest.raises(InvalidClaimError, match="nonce"):
        check(sso, provider.mint(nonce="n-someone-elses"))


def test_an_unsigned_token_is_refused(sso, provider) -> None:
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    body = json.loads(base64.urlsafe_b64decode(provider.mint().split(".")[1] + "=="))
    with pytest.raises(JoseError):
        check(sso, f"{part({'alg': 'none'})}.{part(body)}.")
