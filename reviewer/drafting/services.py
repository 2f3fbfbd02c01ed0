"""Drafts and their versions: create, check, revise.

Services take `(session, actor, ...)`, flush but never commit, and record
the audit event in the same transaction as the change. Inbound posts and
the inbox live in `inbound.py`, uploads in `importing.py`, the shared
guards (and `CheckUnavailable`) in `common.py`; import each name from the
module that defines it. Errors a person can act on are the workflow's
exceptions (`reviewer.review.workflow`): `InvalidInput`, `NotAllowed`,
`ConflictError`, `SubmitRefused`.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from reviewer.accounts.principal import AnyUser
from reviewer.audit import record
from reviewer.audit.services import record_many
from reviewer.orm import as_loaded, utcnow
from reviewer.drafting.common import (
    CheckUnavailable,
    conflicts_as_errors,
    expect_version,
    may_draft,
    require_drafter,
    text_sha256,
)
from reviewer.drafting.models import Draft, DraftVersion, InboundPost
from reviewer.orgs.models import AnyAccount, OrgAccount
from reviewer.policy import PolicyError, Verdict
from reviewer.review import workflow
from reviewer.review.workflow import MAX_TEXT, InvalidInput, require_text

# --- Drafts --------------------------------------------------------------------------




def check_text(checker: Any, account: AnyAccount, text: str, inbound: InboundPost | None) -> Verdict:
    """The checker's verdict on `text`; CheckUnavailable when the account's policy cannot load."""
    try:
        return checker.check(account, text, in_reply_to=inbound.text if inbound is not None else None)
    except PolicyError as error:
        raise CheckUnavailable(
            f"The policy {account.policy_file!r} of {account.label} cannot be loaded, so nothing can be checked: "
            f"{error}. Ask an administrator to fix the policy file."
        ) from None


def add_version(draft: Draft, author: AnyUser, text: str, verdict: Verdict) -> DraftVersion:
    """Append a version with its verdict, and set the draft's routing from it (no flush)."""
    version = DraftVersion(**_version_row(author, text, verdict, number=len(draft.versions) + 1, now=utcnow()))
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


def record_checked(session: Session, actor: AnyUser | None, draft: Draft, verdict: Verdict) -> None:
    record(session, actor, *checked_event(draft, verdict))


def checked_event(draft: Draft, verdict: Verdict) -> tuple[str, str, dict[str, Any]]:
    """The `draft.checked` event of the draft's newest version: (action, subject, data) for `record`."""
    version = draft.versions[-1]
    return (
        "draft.checked",
        f"draft:{draft.id}",
        {
            "account_id": draft.account_id,
            "version": version.number,
            "text_sha256": version.text_sha256,  # what `reviewer audit verify --reconcile` checks the text against
            "decision": verdict.decision,
            "routes": list(verdict.routes),
            "rules": [finding.rule for finding in verdict.findings],
            "policy": {"id": verdict.policy.id, "version": verdict.policy.version, "sha256": verdict.policy.sha256},
            "scorer": version.scorer_version,
        },
    )


def create_draft(
    session: Session,
    actor: AnyUser,
    checker: Any,
    account: OrgAccount,
    text: str,
    *,
    inbound: InboundPost | None = None,
) -> Draft:
    """A new draft (version 1, checked) replying to `inbound`, or a standalone post when None."""
    text, verdict = check_new_draft(actor, checker, account, text, inbound)
    draft = insert_draft(session, actor, account, inbound, text, verdict)
    remember_verdict(session, draft, verdict)
    record_many(session, actor, created_events(draft, verdict))
    return draft


def check_new_draft(
    actor: AnyUser, checker: Any, account: AnyAccount, text: str, inbound: InboundPost | None
) -> tuple[str, Verdict]:
    """The guards of a new draft and its verdict: (the text as stored, the verdict). Nothing is written."""
    require_drafter(account, actor)
    if inbound is not None and inbound.account_id != account.id:
        raise InvalidInput("inbound", f"post {inbound.id} was sent to another account, not {account.label}")
    text = require_text("text", text, MAX_TEXT, strip=False)
    return text, check_text(checker, account, text, inbound)


def created_events(draft: Draft, verdict: Verdict) -> list[tuple[str, str, dict[str, Any]]]:
    """`draft.created` and `draft.checked` of a new draft: (action, subject, data) for `record_many`."""
    created = {"account_id": draft.account_id, "inbound_post_id": draft.inbound_post_id, "version": 1}
    return [("draft.created", f"draft:{draft.id}", created), checked_event(draft, verdict)]


def insert_draft(
    session: Session,
    actor: AnyUser,
    account: AnyAccount,
    inbound: InboundPost | None,
    text: str,
    verdict: Verdict,
    *,
    now: datetime | None = None,
    **state: Any,
) -> Draft:
    """Store a new draft and its first version with two Core INSERTs (no unit-of-work flush).

    `state`: columns a caller sets at once (a submission stores `state`,
    `submitted_at`, ...); by default the draft is a `draft`. Everything is
    worked out before the first statement (on SQLite that is the one that
    takes the write lock). The objects returned are persistent, with their
    relationships set, as a flush would leave them.
    """
    now = now or utcnow()
    version_row = _version_row(actor, text, verdict, number=1, now=now)
    routes, required = workflow.routing(verdict.decision, verdict.routes, verdict.approvals)
    draft_row = {
        "account_id": account.id, "inbound_post_id": inbound.id if inbound is not None else None,
        "author_id": actor.id, "state": "draft", "routes": list(routes), "approvals_required": required,
        "decision": verdict.decision, "created_at": now, "updated_at": now, "lock_version": 1, **state,
    }
    draft = _insert_row(session, Draft, draft_row)
    version = _insert_row(session, DraftVersion, {**version_row, "draft_id": draft.id})
    set_committed_value(draft, "inbound", inbound)
    set_committed_value(draft, "versions", [version])
    set_committed_value(version, "draft", draft)
    return draft


_Row = TypeVar("_Row", Draft, DraftVersion)


def _insert_row(session: Session, model: type[_Row], given: dict[str, Any]) -> _Row:
    """INSERT one row with Core (every column explicit) and attach it to the session as a loaded object.

    A column with a default must be given: the row is written exactly as
    the object says, so nothing is left to a default the object would not see.
    """
    table = model.__table__
    unknown = set(given) - set(table.c.keys())
    if unknown:
        raise TypeError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    row = {column.key: None for column in table.columns if not column.primary_key}
    defaulted = [key for key in row if key not in given and _has_default(table.c[key])]
    if defaulted:
        raise TypeError(f"{table.name}: give {', '.join(defaulted)} (they have defaults the object would not see)")
    row.update(given)
    row["id"] = session.connection().execute(_insert_returning_id(table), row).scalar_one()
    loaded = as_loaded(model, row)
    make_transient_to_detached(loaded)  # persistent once added, with no pending changes
    session.add(loaded)
    return loaded


@functools.cache
def _insert_returning_id(table: Any) -> Any:
    """`INSERT ... RETURNING id` for `table`, built once (building it costs more than the cached compile)."""
    return table.insert().returning(table.c.id)


def _has_default(column: Any) -> bool:
    return column.default is not None or column.server_default is not None


def _version_row(actor: AnyUser, text: str, verdict: Verdict, *, number: int, now: datetime) -> dict[str, Any]:
    return {
        "number": number, "text": text, "text_sha256": text_sha256(text), "author_id": actor.id,
        "verdict": verdict.to_dict(), "decision": verdict.decision, "policy_sha256": verdict.policy.sha256,
        "scorer_version": None if verdict.scorer is None else f"{verdict.scorer.name} {verdict.scorer.version}"[:200],
        "created_at": now,
    }


def revise_draft(
    session: Session,
    actor: AnyUser,
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
            record(session, actor, "draft.revised", f"draft:{draft.id}", {"account_id": draft.account_id, "version": len(draft.versions), "unchanged": True})
            return draft
        verdict = check_text(checker, draft.account, text, draft.inbound)
        version = add_version(draft, actor, text, verdict)
        session.flush()
        remember_verdict(session, draft, verdict)
        record(session, actor, "draft.revised", f"draft:{draft.id}", {"account_id": draft.account_id, "version": version.number})
        record_checked(session, actor, draft, verdict)
    return draft
