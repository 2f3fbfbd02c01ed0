"""The OIDC_* settings as one typed value, and the problems start-up refuses.

No Flask here: `SsoSettings.from_config` reads any mapping (app.config), so
config_checks and the tests use it alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reviewer.accounts.models import ROLES

GROUP_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")  # as accounts.services: an approver group's name
MAX_LEEWAY_SECONDS = 600


@dataclass(frozen=True)
class ClaimNames:
    """Which ID-token claims hold the username, display name, email and groups."""

    username: str = "preferred_username"
    display_name: str = "name"
    email: str = "email"
    groups: str = "groups"


@dataclass(frozen=True)
class GroupMapping:
    """Provider groups -> reviewer roles and approver groups."""

    roles: Mapping[str, tuple[str, ...]]
    approver_groups: Mapping[str, tuple[str, ...]]

    def roles_for(self, provider_groups: Iterable[str]) -> list[str]:
        return sorted({role for group in provider_groups for role in self.roles.get(group, ())})

    def approver_groups_for(self, provider_groups: Iterable[str]) -> list[str]:
        return sorted({name for group in provider_groups for name in self.approver_groups.get(group, ())})


@dataclass(frozen=True)
class SsoSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    provider_name: str
    claims: ClaimNames
    mapping: GroupMapping
    leeway_seconds: int
    timeout_seconds: float

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SsoSettings | None:
        """The settings, or None when OIDC_ISSUER is unset (single sign-on off). Check `sso_problems` first."""
        issuer = str(config.get("OIDC_ISSUER") or "").strip()
        if not issuer:
            return None
        return cls(
            issuer=issuer,
            client_id=str(config.get("OIDC_CLIENT_ID") or "").strip(),
            client_secret=str(config.get("OIDC_CLIENT_SECRET") or ""),
            scopes=" ".join(str(config.get("OIDC_SCOPES") or "openid").split()),
            provider_name=str(config.get("OIDC_PROVIDER_NAME") or "single sign-on").strip(),
            claims=ClaimNames(
                username=str(config.get("OIDC_USERNAME_CLAIM") or "preferred_username"),
                display_name=str(config.get("OIDC_DISPLAY_NAME_CLAIM") or "name"),
                email=str(config.get("OIDC_EMAIL_CLAIM") or "email"),
                groups=str(config.get("OIDC_GROUPS_CLAIM") or "groups"),
            ),
            mapping=GroupMapping(
                roles=_as_lists(config.get("OIDC_GROUP_ROLES")),
                approver_groups=_as_lists(config.get("OIDC_GROUP_APPROVER_GROUPS")),
            ),
            leeway_seconds=int(config.get("OIDC_LEEWAY_SECONDS") or 0),
            timeout_seconds=float(config.get("OIDC_TIMEOUT_SECONDS") or 10),
        )


def _as_lists(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): tuple(item.strip().lower() for item in items if isinstance(item, str))
        for key, items in value.items() if isinstance(items, (list, tuple))
    }


def sso_problems(config: Mapping[str, Any], production: bool, name=lambda key: key) -> list[str]:
    """What is wrong with the OIDC_* and LOCAL_LOGIN settings; `name(key)` says how to name a setting."""
    issuer = str(config.get("OIDC_ISSUER") or "").strip()
    problems = []
    if not issuer:
        if not config.get("LOCAL_LOGIN", True):
            problems.append(
                f"{name('LOCAL_LOGIN')} is false and {name('OIDC_ISSUER')} is not set: nobody could sign in. "
                "Set up single sign-on (docs/deployment.md) or keep local sign-in on"
            )
        return problems
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        problems.append(f"{name('OIDC_ISSUER')} must be the provider's issuer URL (https://...), got {issuer!r}")
    elif production and parts.scheme != "https":
        problems.append(f"{name('OIDC_ISSUER')} must use https in production, got {issuer!r}")
    for key in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not str(config.get(key) or "").strip():
            problems.append(f"{name(key)} is not set: copy it from the application registered at the provider")
    if "openid" not in str(config.get("OIDC_SCOPES") or "").split():
        problems.append(f"{name('OIDC_SCOPES')} must include openid, got {config.get('OIDC_SCOPES')!r}")
    for key in ("OIDC_USERNAME_CLAIM", "OIDC_DISPLAY_NAME_CLAIM", "OIDC_EMAIL_CLAIM", "OIDC_GROUPS_CLAIM"):
        if not isinstance(config.get(key), str) or not config.get(key, "").strip():
            problems.append(f"{name(key)} must name a claim, got {config.get(key)!r}")
    problems += _mapping_problems(config.get("OIDC_GROUP_ROLES"), name("OIDC_GROUP_ROLES"), ROLES, "role")
    problems += _mapping_problems(
        config.get("OIDC_GROUP_APPROVER_GROUPS"), name("OIDC_GROUP_APPROVER_GROUPS"), None, "approver group"
    )
    if not problems and not _as_lists(config.get("OIDC_GROUP_ROLES")):
        problems.append(
            f"{name('OIDC_GROUP_ROLES')} is empty: nobody could sign in with single sign-on. Map provider groups to "
            'roles, e.g. {"reviewer-admins": ["admin"], "comms-team": ["staff"]}'
        )
    leeway = config.get("OIDC_LEEWAY_SECONDS")
    if isinstance(leeway, int) and not isinstance(leeway, bool) and not 0 <= leeway <= MAX_LEEWAY_SECONDS:
        problems.append(f"{name('OIDC_LEEWAY_SECONDS')} must be from 0 to {MAX_LEEWAY_SECONDS} seconds, got {leeway}")
    return problems


def _mapping_problems(value: Any, label: str, known: tuple[str, ...] | None, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [f'{label} must be a JSON object of provider group -> list of {what}s, e.g. {{"group": ["x"]}}']
    problems = []
    for group, items in value.items():
        if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
            problems.append(f"{label}[{group!r}] must be a list of {what} names, got {items!r}")
            continue
        for item in items:
            item = item.strip().lower()
            if known is not None and item not in known:
                problems.append(f"{label}[{group!r}]: unknown {what} {item!r} (roles: {', '.join(known)})")
            elif known is None and not GROUP_NAME_RE.match(item):
                problems.append(f"{label}[{group!r}]: {item!r} is not an approver group name")
    return problems
