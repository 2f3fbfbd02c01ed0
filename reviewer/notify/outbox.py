"""The transactional outbox: notification rows written in the caller's transaction (flush, never commit).

Services call these next to `audit.record`, so a change, its audit event and
its notifications commit or roll back together: nothing is sent for a change
that rolled back. After the commit, the session's `after_commit` hook
(`reviewer.notify.init_app`) queues the delivery task; sending happens in
the worker, never in the request.

The settings come from `session.info["notify"]` (a `NotifySettings` that
`init_app` puts there), so services stay free of Flask. Each person always
gets a row on their notifications page (channel "inapp"); email rows need
an SMTP host, webhook rows a NOTIFY_WEBHOOKS entry for the group.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from reviewer.accounts.models import ApproverGroup, User, UserRole, user_groups
from reviewer.orm import utcnow
from reviewer.notify.events import Message, excerpt_of
from reviewer.notify.models import Notification, NotificationPreference

SETTINGS_KEY = "notify"
WRITTEN_KEY = "notify_written"  # session.info: this transaction wrote notifications


@dataclass(frozen=True)
class NotifySettings:
    """What the outbox needs from the app's configuration."""

    email: bool = False
    webhooks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    excerpt_chars: int = 0

    @classmethod
    def from_config(cls, config: Any) -> NotifySettings:
        return cls(
            email=bool(config.get("SMTP_HOST")),
            webhooks={str(k): list(v or []) for k, v in (config.get("NOTIFY_WEBHOOKS") or {}).items()},
            excerpt_chars=int(config.get("NOTIFY_EXCERPT_CHARS") or 0),
        )


def settings_of(session: Session) -> NotifySettings:
    return session.info.get(SETTINGS_KEY) or NotifySettings()


def notify(
    session: Session,
    message: Message,
    *,
    users: Iterable[User] = (),
    groups: Iterable[str] = (),
    skip: Any = None,
    subject: str | None = None,
    key: str | None = None,
) -> list[dict[str, Any]]:
    """Write the rows for `message` to each of `users` and each member of `groups` (never to
    `skip`, the person who acted): one on their notifications page, always, and an email as
    each person chose (email, digest or off); and a post to each webhook of `groups`. `key`
    (a fixed idempotency key base) makes a repeated call write nothing new."""
    settings = settings_of(session)
    rows: list[dict[str, Any]] = []
    base = key or secrets.token_hex(16)
    groups = list(groups)
    people = {user.id: Person(user.id, user.username, user.email) for user in users if user.active}
    people.update({person.id: person for person in members_of(session, groups)})
    people.pop(getattr(skip, "id", None), None)
    modes = _modes(session, list(people), message.event) if settings.email else {}
    for uid, user in sorted(people.items()):
        rows.append(_row(message, base, f"u{uid}", "inapp", user.username, subject, "unread", recipient_id=uid))
        mode = modes.get(uid, "email")
        if settings.email and mode != "off" and user.email:
            status = "digest" if mode == "digest" else "pending"
            rows.append(_row(message, base, f"u{uid}", "email", user.email, subject, status, recipient_id=uid))
    for group in sorted(set(groups)):
        for index, hook in enumerate(settings.webhooks.get(group, [])):
            rows.append(_row(message, base, f"{group}.{index}", str(hook.get("kind")), f"{group}/{index}", subject, "pending"))
    if key is not None:  # a repeated step (a reminder ticked twice) writes nothing new
        known = set(session.scalars(select(Notification.key).where(Notification.key.in_([r["key"] for r in rows]))))
        rows = [row for row in rows if row["key"] not in known]
    if rows:  # one executemany: SQLite would take an ORM flush row by row (it cannot batch RETURNING)
        session.execute(insert(Notification.__table__), rows)
    if any(row["status"] == "pending" for row in rows):
        session.info[WRITTEN_KEY] = True  # the commit queues a delivery run
    return rows


@dataclass(frozen=True)
class Person:
    """The little of a user a notification needs (read in one query, without the user's relationships)."""

    id: int
    username: str
    email: str | None


def members_of(session: Session, groups: list[str]) -> list[Person]:
    """The active members of the approver groups `groups` (a name that does not exist has none)."""
    if not groups:
        return []
    query = (select(User.id, User.username, User.email).join(user_groups, user_groups.c.user_id == User.id)
             .join(ApproverGroup, ApproverGroup.id == user_groups.c.group_id)
             .where(ApproverGroup.name.in_(groups), User.active.is_(True)).distinct())
    return [Person(*row) for row in session.execute(query)]


def users_with_roles(session: Session, *roles: str) -> list[User]:
    query = select(User).join(UserRole).where(UserRole.role.in_(roles), User.active.is_(True)).distinct()
    return list(session.scalars(query))


def _modes(session: Session, user_ids: list[int], event: str) -> dict[int, str]:
    if not user_ids:
        return {}
    query = select(NotificationPreference.user_id, NotificationPreference.mode).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.event == event
    )
    return dict(session.execute(query).all())


def _row(message: Message, base: str, who: str, channel: str, address: str, subject: str | None, status: str,
         recipient_id: int | None = None) -> dict[str, Any]:
    key = hashlib.sha256(f"{base}:{who}:{channel}".encode()).hexdigest()[:48]
    now = utcnow()
    return {"key": key, "event": message.event, "channel": channel, "recipient_id": recipient_id,
            "address": address[:254], "subject": subject, "payload": message.payload(), "status": status,
            "attempts": 0, "next_attempt_at": now, "created_at": now}


# --- The events the workflow raises ------------------------------------------------------------


def draft_routed(session: Session, actor: Any, draft: Any, groups: Iterable[str]) -> list[dict[str, Any]]:
    """A draft now waits for `groups`: their members and webhooks hear of it."""
    groups = list(groups)
    message = Message(
        "draft.routed",
        f"Draft {draft.id} for {draft.account.label} is waiting for {', '.join(groups)}",
        (f"Submitted by {draft.author.display_name}.", f"Needs {draft.approvals_required} approval(s)."),
        f"/review/drafts/{draft.id}",
        _excerpt(session, draft),
        {"draft_id": draft.id, "groups": groups},
    )
    return notify(session, message, groups=groups, skip=actor, subject=f"draft:{draft.id}")


def draft_returned(session: Session, actor: Any, draft: Any) -> list[dict[str, Any]]:
    """The author learns their draft came back (the comment stays on the page: it may quote the text)."""
    message = Message(
        "draft.returned", f"Draft {draft.id} for {draft.account.label} was returned for changes",
        (f"Returned by {actor.display_name}. The page says what to change.",), f"/drafts/{draft.id}",
        None, {"draft_id": draft.id},
    )
    return notify(session, message, users=[draft.author], skip=actor, subject=f"draft:{draft.id}")


def draft_decided(session: Session, actor: Any, draft: Any, outcome: str) -> list[dict[str, Any]]:
    """The author learns their draft was approved (by everyone needed) or rejected."""
    message = Message(
        "draft.decided", f"Draft {draft.id} for {draft.account.label} was {outcome}",
        (f"{outcome.capitalize()} by {actor.display_name}.",), f"/drafts/{draft.id}",
        _excerpt(session, draft), {"draft_id": draft.id, "outcome": outcome},
    )
    return notify(session, message, users=[draft.author], skip=actor, subject=f"draft:{draft.id}")


def verification_failed(session: Session, actor: Any, first_bad_seq: int | None, reason: str | None) -> list[dict[str, Any]]:
    """Administrators and auditors learn that a check of the audit chain failed (webhooks of group "*")."""
    message = Message(
        "audit.verify_failed", "The audit chain failed its check",
        (f"First bad event: {first_bad_seq} ({reason})." if first_bad_seq is not None else f"{reason}.",
         "Open the audit page and check the chain again."),
        "/audit/", None, {"first_bad": first_bad_seq, "reason": reason},
    )
    return notify(session, message, users=users_with_roles(session, "admin", "auditor"), groups=["*"], subject="audit")


def _excerpt(session: Session, draft: Any) -> str | None:
    return excerpt_of(draft.current_version.text, settings_of(session).excerpt_chars)
