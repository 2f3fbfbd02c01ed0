"""What the drafting services share: who may draft, text hashes, links, and the optimistic lock.

Kept apart from the services so that `inbound`, `importing` and `services`
import it without importing each other in a circle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from reviewer.accounts.principal import AnyUser
from reviewer.drafting.models import Draft
from reviewer.orgs.models import AnyAccount
from reviewer.orgs.services import drafting_allowed
from reviewer.review.workflow import ConflictError, InvalidInput, NotAllowed, WorkflowError

MAX_HANDLE = 100
MAX_URL = 2000
MAX_EXTERNAL_ID = 200


class CheckUnavailable(WorkflowError):
    """The account's policy cannot be loaded, so nothing can be checked; an administrator must fix it."""


# --- Permissions -------------------------------------------------------------------


def may_draft(account: AnyAccount, user: AnyUser | None) -> bool:
    """Staff who draft for the account (in one of its teams when it lists any); None is the system."""
    return user is None or drafting_allowed(account, user)


def require_drafter(account: AnyAccount, actor: AnyUser | None) -> None:
    if not account.active:
        raise NotAllowed(f"The account {account.label} is inactive: nothing can be drafted for it.", "inactive")
    if not may_draft(account, actor):
        raise NotAllowed(f"You do not draft for {account.label}.", "not_staff")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_url(field_name: str, value: Any) -> str | None:
    """An http(s) URL, or None when empty."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(field_name, f"expected a URL, got {type(value).__name__}")
    url = value.strip()
    if len(url) > MAX_URL:
        raise InvalidInput(field_name, f"too long: {len(url)} characters (at most {MAX_URL})")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInput(field_name, f"{url!r} is not an http(s) link")
    return url


# --- Optimistic locking ---------------------------------------------------------------


def expect_version(session: Session, draft: Draft, expected_version: int | None, *, written_here: bool = False) -> None:
    """Lock the draft's row for this transaction; ConflictError when it changed since the person loaded it.

    `expected_version` is the lock_version the person's page showed (None:
    compare with the version this session loaded). The row lock (FOR UPDATE
    on PostgreSQL; SQLite's writing transactions are already serialised)
    makes a second decision wait for the first and then see that it lost,
    before it reads anything else. `written_here`: this transaction wrote
    the row already (it holds the lock), so the re-read is skipped.
    """
    if expected_version is not None:
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise InvalidInput("expected_version", f"expected the draft's lock_version (an integer), got {expected_version!r}")
        if draft.lock_version != expected_version:
            raise ConflictError()
    if written_here:
        return
    current = session.scalar(select(Draft.lock_version).where(Draft.id == draft.id).with_for_update())
    if current != draft.lock_version:
        raise ConflictError()


@contextmanager
def conflicts_as_errors(session: Session) -> Iterator[None]:
    """Turn a lost optimistic-lock race or a duplicate row into ConflictError (the caller rolls back)."""
    try:
        yield
    except StaleDataError:
        raise ConflictError() from None
    except IntegrityError as error:
        raise ConflictError(
            "Someone else changed this at the same moment (a duplicate was refused); reload it and try again."
        ) from error
