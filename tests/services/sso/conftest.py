"""The real OpenID provider for the single sign-on service tests (one per module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oidc_kit import OpenIdProvider, require_provider


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[OpenIdProvider]:
    require_provider()
    started = OpenIdProvider.start(
        tmp_path_factory.mktemp("provider"),
        redirect_uri="http://127.0.0.1:9/login/sso/callback",
        post_logout_uri="http://127.0.0.1:9/login",
    )
    yield started
    started.stop()
