"""A real OpenID provider for the tests: panva's certified `oidc-provider` (npm), run by Node on loopback.

`OpenIdProvider.start(folder, redirect_uri=..., post_logout_uri=...)` writes
the provider's configuration (its own fresh RSA signing key, one confidential
client that must use PKCE, the people in `accounts.json`), starts
tests/oidc_provider/provider.js and waits for it to print its issuer URL.
`people` can be rewritten while it runs: the provider reads the file at every
sign-in, so a test removes a person or changes their groups there, as an
administrator would at a real provider.

`spoil_id_tokens` makes the running provider issue faulty ID tokens in
the real flow (the browser tests' failure paths); `mint` signs an ID token with the provider's own key (or another one), for
the failure paths a well-behaved provider never produces: a wrong audience,
an expired token, a bad signature.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from skips import skip_or_fail

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "reviewer-tests"
CLIENT_SECRET = "reviewer-tests-client-secret-0123456789abcdef"
KEY_ID = "provider-key-1"
INSTALL_HINT = "make oidc-provider (npm ci --prefix tests/oidc_provider)"

# The people at the provider; groups map to reviewer roles through GROUP_ROLES below.
PEOPLE = {
    "alice": {"password": "alice-at-provider", "name": "Alice Admin", "email": "alice@agency.example", "groups": ["reviewer-admins"]},
    "bob": {"password": "bob-at-provider", "name": "Bob Approver", "email": "bob@agency.example", "groups": ["comms-approvers", "everyone"]},
    "carol": {"password": "carol-at-provider", "name": "Carol Outsider", "email": "carol@agency.example", "groups": ["everyone"]},
}
GROUP_ROLES = {"reviewer-admins": ["admin"], "comms-approvers": ["approver", "staff"]}
GROUP_APPROVER_GROUPS = {"comms-approvers": ["comms"]}


MIN_NODE = (20, 19)  # oidc-provider 9 (package.json "engines")


def node_missing_reason() -> str | None:
    """Why Node cannot run the provider here (the tests skip, or fail in CI), or None."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed: the OpenID provider tests need Node 20.19+ (scripts/system-deps installs it)"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    numbers = tuple(int(part) for part in version.lstrip("v").split(".")[:2] if part.isdigit())
    if numbers < MIN_NODE:
        return f"node {version or '(unknown version)'} is too old: the OpenID provider tests need Node 20.19+"
    return None


def require_provider() -> None:
    """Skip (or, in CI, fail) without a usable Node; fail when Node is there but the provider is not installed."""
    reason = node_missing_reason()
    if reason:
        skip_or_fail(reason)
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(f"tests/oidc_provider/node_modules is missing: run `{INSTALL_HINT}` (make test does)")


def new_key(kid: str = KEY_ID) -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


@dataclass
class OpenIdProvider:
    folder: Path
    key: RSAKey
    issuer: str = ""
    process: subprocess.Popen | None = None
    people: dict[str, dict[str, Any]] = field(default_factory=lambda: json.loads(json.dumps(PEOPLE)))

    @classmethod
    def start(cls, folder: Path, redirect_uri: str, post_logout_uri: str, timeout: float = 20) -> OpenIdProvider:
        folder.mkdir(parents=True, exist_ok=True)
        provider = cls(folder, new_key())
        provider.save_people()
        config = {
            "jwks": {"keys": [provider.key.as_dict(private=True)]},
            "accounts_file": str(folder / "accounts.json"),
            "faults_file": str(folder / "faults.json"),
            "clients": [{
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [redirect_uri],
                "post_logout_redirect_uris": [post_logout_uri],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }],
        }
        (folder / "provider.json").write_text(json.dumps(config), encoding="utf-8")
        log = open(folder / "provider.log", "wb")  # kept open while the provider runs
        provider.process = subprocess.Popen(
            ["node", str(PROVIDER_DIR / "provider.js"), str(folder / "provider.json")],
            stdout=subprocess.PIPE, stderr=log, cwd=PROVIDER_DIR, env={**os.environ, "NODE_ENV": "test"},
        )
        log.close()
        provider.issuer = provider._wait_for_issuer(timeout)
        return provider

    def _wait_for_issuer(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    break
                line = self.process.stdout.readline().decode()
                if line.startswith("READY "):
                    return line.split()[1]
                if not line:  # exited
                    break
        finally:
            selector.close()
        self.stop()
        raise RuntimeError(f"the OpenID provider did not start: {(self.folder / 'provider.log').read_text()[-2000:]}")

    def save_people(self) -> None:
        """Write `people` where the provider reads them at the next sign-in."""
        path = self.folder / "accounts.json"
        path.with_suffix(".tmp").write_text(json.dumps(self.people), encoding="utf-8")
        path.with_suffix(".tmp").replace(path)

    def spoil_id_tokens(self, fault: str | None) -> None:
        """From the next token response on, the provider re-signs its ID tokens with this fault (None: none).

        "bad_signature" (another key under the provider's key id), "wrong_audience" or "expired":
        the same claims and nonce otherwise, so only the check under test can refuse them.
        """
        path = self.folder / "faults.json"
        if fault is None:
            path.unlink(missing_ok=True)
            return
        path.with_suffix(".tmp").write_text(json.dumps({"id_token": fault}), encoding="utf-8")
        path.with_suffix(".tmp").replace(path)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def app_settings(self, **extra: Any) -> dict[str, Any]:
        """The OIDC_* settings for an app that signs in at this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_SCOPES": "openid profile email groups",
            "OIDC_PROVIDER_NAME": "Test Provider",
            "OIDC_GROUP_ROLES": GROUP_ROLES,
            "OIDC_GROUP_APPROVER_GROUPS": GROUP_APPROVER_GROUPS,
            **extra,
        }

    def mint(self, key: RSAKey | None = None, **claims: Any) -> str:
        """An ID token signed with the provider's key (or `key`), with sensible claims that `claims` override."""
        now = int(time.time())
        body = {"iss": self.issuer, "sub": "sub-alice", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                "nonce": "n-0123456789", "preferred_username": "alice", "groups": ["reviewer-admins"]}
        body.update(claims)
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer)
