"""Inbound posts, the inbox, drafts and their versions.

Services take `(session, actor, ...)`, flush but never commit, and record
the audit event in the same transaction as the change. Errors a person can
act on are the workflow's exceptions (re-exported here): `InvalidInput`,
`NotAllowed`, `ConflictError`, `SubmitRefused`, `CheckUnavailable`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from reviewer.accounts.models import User
from reviewer.audit import record
from reviewer.db import utcnow
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.orgs.models import OrgAccount
from reviewer.orgs.services import drafting_allowed
from reviewer.policy import PolicyError, Verdict
from reviewer.review import workflow
from reviewer.review.workflow import (
    MAX_TEXT,
    ConflictError,
    InvalidInput,
    NotAllowed,
    SubmitRefused,
    WorkflowError,
    require_text,
)

__all__ = [
    "CheckUnavailable",
    "ConflictError",
    "InboxItem",
    "InvalidInput",
    "NotAllowed",
    "SubmitRefused",
    "WorkflowError",
    "create_draft",
    "create_inbound",
    "inbox",
    "may_draft",
    "revise_draft",
]

MAX_HANDLE = 100
MAX_URL = 2000
MAX_EXTERNAL_ID = 200
# A post "received" a little in the future is clock skew; more than this is a mistake.
FUTURE_SKEW = timedelta(minutes=5)


class CheckUnavailable(WorkflowError):
    """The account's policy cannot be loaded, so nothing can be checked; an administrator must fix it."""


# --- Permissions -------------------------------------------------------------------


def may_draft(account: OrgAccount, user: User | None) -> bool:
    """Staff who draft for the account (in one of its teams when it lists any); None is the system."""
    return user is None or drafting_allowed(account, user)


def require_drafter(account: OrgAccount, actor: User | None) -> None:
    if not account.active:
        raise NotAllowed(f"The account {account.label} is inactive: nothing can be drafted for it.", "inactive")
    if not may_draft(account, actor):
        raise NotAllowed(f"You do not draft for {account.label}.", "not_staff")


# --- Inbound posts -------------------------------------------------------------------


@dataclass(frozen=True)
class CleanInbound:
    author_handle: str
    text: str
    received_at: datetime
    url: str | None
    external_id: str | None


def clean_inbound(
    *,
    author_handle: Any,
    text: Any,
    received_at: Any,
    url: Any = None,
    external_id: Any = None,
    now: datetime | None = None,
) -> CleanInbound:
    """Validate one inbound post's fields; InvalidInput names the first bad field."""
    handle = require_text("author_handle", author_handle, MAX_HANDLE)
    body = require_text("text", text, MAX_TEXT, strip=False)
    when = parse_received_at(received_at)
    if when > (now or utcnow()) + FUTURE_SKEW:
        raise InvalidInput("received_at", f"{when.isoformat()} is in the future")
    link = clean_url("url", url)
    ext = None
    if external_id not in (None, ""):
        ext = require_text("external_id", external_id if isinstance(external_id, str) else str(external_id), MAX_EXTERNAL_ID)
    return CleanInbound(handle, body, when, link, ext)


def parse_received_at(value: Any) -> datetime:
    """A timezone-aware datetime, or an ISO 8601 string with a timezone (or Z), as UTC."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidInput("received_at", "required: an ISO 8601 date and time with a timezone, e.g. 2026-11-23T09:30:00Z")
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            raise InvalidInput(
                "received_at", f"{text!r} is not an ISO 8601 date and time (e.g. 2026-11-23T09:30:00Z)"
            ) from None
    if not isinstance(value, datetime):
        raise InvalidInput("received_at", f"expected a date and time, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise InvalidInput("received_at", "give a timezone (e.g. 2026-11-23T09:30:00Z or +13:00)")
    return value.astimezone(timezone.utc)


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


def create_inbound(
    session: Session,
    actor: User | None,
    account: OrgAccount,
    *,
    author_handle: str,
    text: str,
    received_at: datetime | str,
    url: str | None = None,
    external_id: str | None = None,
) -> InboundPost:
    """Store one public post to `account` (actor None: the system). A known external_id is refused."""
    require_drafter(account, actor)
    clean = clean_inbound(author_handle=author_handle, text=text, received_at=received_at, url=url, external_id=external_id)
    if clean.external_id is not None:
        existing = session.scalar(
            select(InboundPost.id).where(
                InboundPost.account_id == account.id, InboundPost.external_id == clean.external_id
            )
        )
        if existing is not None:
            raise InvalidInput("external_id", f"{clean.external_id!r} is already stored for this account (post {existing})")
    post = add_inbound(session, actor, account, clean)
    with conflicts_as_errors(session):
        session.flush()
    record(session, actor, "inbound.created", f"inbound:{post.id}", {"account_id": account.id, "external_id": post.external_id})
    return post


def add_inbound(session: Session, actor: User | None, account: OrgAccount, clean: CleanInbound) -> InboundPost:
    """Add a validated post to the session (no flush, no audit: callers do both)."""
    post = InboundPost(
        account_id=account.id,
        platform=account.platform,
        author_handle=clean.author_handle,
        text=clean.text,
        url=clean.url,
        external_id=clean.external_id,
        received_at=clean.received_at,
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(post)
    return post


@dataclass(frozen=True)
class InboxItem:
    """One post in an account's inbox and how long it has waited (or waited, once answered)."""

    post: InboundPost
    waiting: timedelta
    answered: bool
    draft_id: int | None  # its latest reply, if any
    draft_state: str | None

    @property
    def waiting_minutes(self) -> int:
        return int(self.waiting.total_seconds() // 60)

    def overdue(self, target_minutes: int) -> bool:
        return self.waiting > timedelta(minutes=target_minutes)


def inbox(
    session: Session, account: OrgAccount, *, include_answered: bool = False, now: datetime | None = None
) -> list[InboxItem]:
    """The account's posts, unanswered ones only unless asked, oldest first (two queries)."""
    now = now or utcnow()
    query = select(InboundPost).where(InboundPost.account_id == account.id)
    if not include_answered:
        query = query.where(InboundPost.answered_at.is_(None))
    posts = list(session.scalars(query.order_by(InboundPost.received_at, InboundPost.id)))
    latest: dict[int, tuple[int, str]] = {}
    if posts:
        rows = session.execute(
            select(Draft.inbound_post_id, Draft.id, Draft.state)
            .where(Draft.inbound_post_id.in_([p.id for p in posts]))
            .order_by(Draft.id)
        )
        for post_id, draft_id, state in rows:
            latest[post_id] = (draft_id, state)
    items = []
    for post in posts:
        end = post.answered_at or now
        draft_id, state = latest.get(post.id, (None, None))
        items.append(InboxItem(post, max(end - post.received_at, timedelta(0)), post.answered_at is not None, draft_id, state))
    return items


def mark_answered(post: InboundPost | None, when: datetime) -> None:
    """Record when a post got its reply (the first approval or posting wins)."""
    if post is not None and post.answered_at is None:
        post.answered_at = when


# --- Drafts --------------------------------------------------------------------------


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_text(checker: Any, account: OrgAccount, text: str, inbound: InboundPost | None) -> Verdict:
    """The checker's verdict on `text`; CheckUnavailable when the account's policy cannot load."""
    try:
        return checker.check(account, text, in_reply_to=inbound.text if inbound is not None else None)
    except PolicyError as error:
        raise CheckUnavailable(
            f"The policy {account.policy_file!r} of {account.label} cannot be loaded, so nothing can be checked: "
            f"{error}. Ask an administrator to fix the policy file."
        ) from None


def add_version(draft: Draft, author: User, text: str, verdict: Verdict) -> DraftVersion:
    """Append a version with its verdict, and set the draft's routing from it (no flush)."""
    verdict_data = verdict.to_dict()
    version = DraftVersion(
        number=len(draft.versions) + 1,
        text=text,
        text_sha256=text_sha256(text),
        author_id=author.id,
        verdict=verdict_data,
        decision=verdict.decision,
        policy_sha256=verdict.policy.sha256,
        scorer_version=None if verdict.scorer is None else f"{verdict.scorer.name} {verdict.scorer.version}"[:200],
    )
    draft.versions.append(version)
    draft.decision = verdict.decision
    routes, required = workflow.routing(verdict.decision, verdict.routes, verdict.approvals)
    draft.routes = list(routes)
    draft.approvals_required = required
    draft.updated_at = utcnow()
    return version


def remember_verdict(session: Session, draft: Draft, verdict: Verdict) -> None:
    """Keep the verdict just computed, so a submit in the same transaction need not check again.

    Bound to the transaction: after a commit or rollback, a submit re-checks.
    """
    draft.__dict__["_fresh_verdict"] = (session.get_transaction(), draft.versions[-1].text_sha256, verdict)


def fresh_verdict(session: Session, draft: Draft) -> Verdict | None:
    """The verdict computed in this session's current transaction for the current text, if any."""
    cached = draft.__dict__.get("_fresh_verdict")
    if cached is None or not draft.versions:
        return None
    transaction, sha, verdict = cached
    if transaction is None or transaction is not session.get_transaction() or sha != draft.versions[-1].text_sha256:
        return None
    return verdict


def record_checked(session: Session, actor: User | None, draft: Draft, verdict: Verdict) -> None:
    version = draft.versions[-1]
    record(
        session,
        actor,
        "draft.checked",
        f"draft:{draft.id}",
        {
            "version": version.number,
            "decision": verdict.decision,
            "routes": list(verdict.routes),
            "rules": [finding.rule for finding in verdict.findings],
            "policy": {"id": verdict.policy.id, "version": verdict.policy.version, "sha256": verdict.policy.sha256},
            "scorer": version.scorer_version,
        },
    )


def create_draft(
    session: Session,
    actor: User,
    checker: Any,
    account: OrgAccount,
    text: str,
    *,
    inbound: InboundPost | None = None,
) -> Draft:
    """A new draft (version 1, checked) replying to `inbound`, or a standalone post when None."""
    require_drafter(account, actor)
    if inbound is not None and inbound.account_id != account.id:
        raise InvalidInput("inbound", f"post {inbound.id} was sent to another account, not {account.label}")
    text = require_text("text", text, MAX_TEXT, strip=False)
    verdict = check_text(checker, account, text, inbound)
    draft = Draft(account=account, inbound=inbound, author_id=actor.id, state="draft")
    session.add(draft)
    add_version(draft, actor, text, verdict)
    session.flush()
    remember_verdict(session, draft, verdict)
    record(
        session,
        actor,
        "draft.created",
        f"draft:{draft.id}",
        {"account_id": account.id, "inbound_post_id": inbound.id if inbound is not None else None, "version": 1},
    )
    record_checked(session, actor, draft, verdict)
    return draft


def revise_draft(
    session: Session,
    actor: User,
    checker: Any,
    draft: Draft,
    text: str,
    *,
    expected_version: int | None = None,
) -> Draft:
    """A new checked version of a `draft` or `returned` draft; the draft is a `draft` again.

    The same text again adds no version (a returned draft still goes back to `draft`).
    """
    expect_version(session, draft, expected_version)
    new_state = workflow.check_may_revise(draft.state, may_draft(draft.account, actor) and actor is not None)
    text = require_text("text", text, MAX_TEXT, strip=False)
    unchanged = text_sha256(text) == draft.current_version.text_sha256
    if unchanged and draft.state == new_state:
        return draft
    with conflicts_as_errors(session):
        draft.state = new_state
        draft.updated_at = utcnow()
        if unchanged:
            session.flush()
            record(session, actor, "draft.revised", f"draft:{draft.id}", {"version": len(draft.versions), "unchanged": True})
            return draft
        verdict = check_text(checker, draft.account, text, draft.inbound)
        version = add_version(draft, actor, text, verdict)
        session.flush()
        remember_verdict(session, draft, verdict)
        record(session, actor, "draft.revised", f"draft:{draft.id}", {"version": version.number})
        record_checked(session, actor, draft, verdict)
    return draft


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


# Uploads live in their own module; the contract names them here too.
from reviewer.drafting.importing import ImportResult, RowError, import_inbound  # noqa: E402

__all__ += ["ImportResult", "RowError", "import_inbound"]
