"""The writes every review step shares: the draft's row, its history step, its audit subject.

Used by submitting (`submitting.py`) and the decisions (`services.py`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from reviewer.accounts.principal import AnyUser
from reviewer.orm import utcnow
from reviewer.drafting.models import Draft
from reviewer.review.models import ReviewAction
from reviewer.review.workflow import ConflictError


def subject_of(draft: Draft) -> str:
    return f"draft:{draft.id}"


def add_step(session: Session, draft: Draft, actor: AnyUser, action: str, comment: str | None = None) -> None:
    """Add a step to the draft's history: the session's pending changes first, then one Core INSERT."""
    session.flush()
    session.connection().execute(_INSERT_ACTION, {
        "draft_id": draft.id, "version_id": draft.current_version.id, "actor_id": actor.id, "action": action,
        "comment": comment, "created_at": utcnow(),
    })


_INSERT_ACTION = ReviewAction.__table__.insert()  # built once
_DRAFTS = Draft.__table__


def write_draft(session: Session, draft: Draft, changes: dict[str, Any]) -> None:
    """Set `changes` on the draft with one UPDATE that checks and bumps `lock_version`, as a flush would.

    ConflictError when someone else changed the row since this session
    loaded it. A draft with other unflushed changes goes through the unit
    of work instead, so nothing is written out of order.
    """
    if session.is_modified(draft):
        for key, value in changes.items():
            setattr(draft, key, value)
        session.flush()
        return
    seen = draft.lock_version
    result = session.connection().execute(
        _DRAFTS.update()
        .where(_DRAFTS.c.id == draft.id, _DRAFTS.c.lock_version == seen)
        .values(**changes, lock_version=seen + 1)
    )
    if result.rowcount != 1:
        raise ConflictError()
    for key, value in {**changes, "lock_version": seen + 1}.items():
        set_committed_value(draft, key, value)
