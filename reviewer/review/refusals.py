"""Refused self-approvals of a draft, read back from the audit log for the review page's history.

A refused self-approval changes nothing but the audit log (`approval.refused`,
subject `draft:ID`), so the log is where the review page finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reviewer.accounts.models import User
from reviewer.audit import AuditEvent


@dataclass(frozen=True)
class RefusedApproval:
    """Who tried to approve their own draft (`own_draft`) or own edit (`own_edit`), when, and which version."""

    at: datetime
    actor: User | None  # None when the user row is gone; `actor_name` (the username) stays in the log
    actor_name: str
    reason: str
    version: int | None

    @property
    def display_name(self) -> str:
        return self.actor.display_name if self.actor is not None else self.actor_name


def refused_approvals(session: Session, draft) -> list[RefusedApproval]:
    """The draft's refused self-approvals, oldest first (one query for the events, one for the people)."""
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == f"draft:{draft.id}", AuditEvent.action == "approval.refused")
            .order_by(AuditEvent.seq)
        )
    )
    ids = {e.actor_id for e in events if e.actor_id is not None}
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    found = []
    for event in events:
        data = json.loads(event.data or "{}")
        found.append(
            RefusedApproval(
                at=event.occurred_at,
                actor=people.get(event.actor_id),
                actor_name=event.actor_label,
                reason=str(data.get("reason", "")),
                version=data.get("version"),
            )
        )
    return found
