"""Every view declares who may use it.

`public`, `signed_in` and `role_required(...)` wrap a view and record an
`Access` on it (`view.access`), so a test can walk `app.url_map` and fail on
any route that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user

from reviewer.accounts.models import ROLES

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    """Who may use a view: anyone, any signed-in user, or holders of some roles."""

    anonymous: bool = False
    roles: frozenset[str] | None = None  # None: any signed-in user

    def allows(self, roles: frozenset[str] | None) -> bool:
        """`roles`: the visitor's roles, or None for an anonymous visitor."""
        if self.anonymous:
            return True
        if roles is None:
            return False
        return self.roles is None or bool(self.roles & roles)

    def describe(self) -> str:
        if self.anonymous:
            return "anyone"
        if self.roles is None:
            return "any signed-in user"
        return " or ".join(sorted(self.roles))


def _declare(access: Access, view: View) -> View:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not access.anonymous:
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if access.roles is not None and not current_user.has_role(*access.roles):
                abort(403)
        return view(*args, **kwargs)

    guarded.access = access  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


def public(view: View) -> View:
    """Anyone may use this view, signed in or not."""
    return _declare(Access(anonymous=True), view)


def signed_in(view: View) -> View:
    """Any signed-in user may use this view."""
    return _declare(Access(), view)


def role_required(*roles: str) -> Callable[[View], View]:
    """Only users holding at least one of `roles` may use this view."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"role_required needs roles from {ROLES}, got {roles!r}")

    def decorate(view: View) -> View:
        return _declare(Access(roles=frozenset(roles)), view)

    return decorate


def access_of(view: Callable[..., Any]) -> Access | None:
    """The access a view declared, or None when it declared nothing."""
    return getattr(view, "access", None)


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`.

    Rejects absolute and scheme-relative URLs (`https://evil`, `//evil`),
    the backslash trick (`/\\evil`, which browsers read as `//evil`),
    `javascript:` and anything with control characters.
    """
    if not target:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
