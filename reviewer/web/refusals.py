"""One answer to each refusal a service gives, for the pages and the API alike.

Services raise domain errors (a workflow refusal, an account rule, a policy
that cannot load, ...). Views do not catch them one by one: a page wraps the
service call in `attempt()`, an API endpoint in `api.views.services()`. Both
look the error up in `ANSWERS` (one status and one API code per class, found
along the class's MRO) and end the transaction with `settle`, which keeps
the evidence of a refused attempt:

- a refused self-approval: its `approval.refused` event is committed;
- a text the policy blocked: the change is rolled back, and a `draft.blocked`
  event recording the attempt is committed (the blocked text is not kept).

Database outages (503) are not here: `web.errors` answers them for every
request, because the session must be dropped before the page is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from reviewer.accounts.services import AccountError
from reviewer.api.services import TokenError
from reviewer.audit.browse import FilterError
from reviewer.audit.export import ExportError
from reviewer.db import get_session
from reviewer.drafting.common import CheckUnavailable
from reviewer.drafting.models import Draft
from reviewer.jobs.queue import JobsUnavailable
from reviewer.moments import OutOfRange
from reviewer.notify.services import PreferenceError
from reviewer.orgs.services import OrgAccountError
from reviewer.policy import PolicyError
from reviewer.reports.data import ReportInputError
from reviewer.review.submitting import record_blocked
from reviewer.review.workflow import ConflictError, InvalidInput, NotAllowed, SubmitRefused, WorkflowError
from reviewer.web import signed_in_user


@dataclass(frozen=True)
class Answer:
    """How one class of refusal is answered: the HTTP status, the API's error code, and (optionally) the message."""

    status: int
    code: str
    message: Callable[[Any], str] | None = None  # None: the error's own words


def _policy_unavailable(error: PolicyError) -> str:
    problems = "; ".join(f"line {issue.line}: {issue.message}" for issue in error.issues[:3])
    return f"The policy cannot be loaded ({problems}); tell an administrator."


#: Every domain error a view may meet, with its one answer (403 not allowed, 409 conflict, 422 invalid, 503 outage).
#: No domain error means "not found": a view that cannot show a thing answers 404 itself, before any service runs.
ANSWERS: dict[type[BaseException], Answer] = {
    NotAllowed: Answer(403, "not_allowed"),  # the API's code is the refusal's reason (own_draft, not_staff, ...)
    ConflictError: Answer(409, "conflict"),
    StaleDataError: Answer(409, "conflict", lambda _error: ConflictError().message),
    IntegrityError: Answer(
        409, "duplicate", lambda _error: "This clashes with something already stored (e.g. the same external_id)."
    ),
    WorkflowError: Answer(422, "invalid"),
    InvalidInput: Answer(422, "invalid"),
    SubmitRefused: Answer(422, "blocked"),
    AccountError: Answer(422, "invalid"),
    OrgAccountError: Answer(422, "invalid"),
    TokenError: Answer(422, "invalid"),
    PreferenceError: Answer(422, "invalid"),
    FilterError: Answer(422, "invalid"),
    ExportError: Answer(422, "invalid"),
    ReportInputError: Answer(422, "invalid"),
    OutOfRange: Answer(422, "invalid"),
    CheckUnavailable: Answer(503, "policy_unavailable"),
    PolicyError: Answer(503, "policy_unavailable", _policy_unavailable),
    JobsUnavailable: Answer(503, "jobs_unavailable"),
}

#: What `attempt()` and the API catch: every class above (and so their subclasses).
REFUSALS: tuple[type[BaseException], ...] = tuple(ANSWERS)


@dataclass(frozen=True)
class Refusal:
    """A domain error as a person or a client is told it.

    `message` is the whole sentence (it names the field when there is one);
    `detail` is the same without the field's name, to show under that field.
    """

    error: BaseException
    status: int
    code: str
    message: str
    field: str | None
    detail: str


def answer_for(error_class: type[BaseException]) -> Answer | None:
    """The answer for a class of error: its own entry, else its nearest base class's; None when it is no refusal."""
    return next((ANSWERS[cls] for cls in error_class.__mro__ if cls in ANSWERS), None)


def refusal_for(error: BaseException) -> Refusal:
    """How `error` is answered. A class with no entry is a bug, not a refusal: it is raised again (a 500)."""
    answer = answer_for(type(error))
    if answer is None:
        raise error
    message = answer.message(error) if answer.message else str(error)
    field = getattr(error, "field", None)
    detail = getattr(error, "detail", None) or getattr(error, "message", None) or message
    code = getattr(error, "reason", None) if isinstance(error, NotAllowed) else None
    return Refusal(error, answer.status, code or answer.code, message, field, detail if field else message)


def settle(session: Session, error: BaseException, actor: Any, blocked_draft_id: int | None = None) -> None:
    """End a refused request's transaction: roll back what the service started, keeping what is evidence.

    `blocked_draft_id`: the stored draft a blocked revision was about (its
    `draft.blocked` event is filed under it); None when the blocked text was
    to be a new draft.
    """
    if isinstance(error, NotAllowed) and error.self_approval:
        session.commit()  # the approval.refused event is evidence for the auditors
        return
    session.rollback()
    if isinstance(error, SubmitRefused):
        draft = session.get(Draft, blocked_draft_id) if blocked_draft_id is not None else None
        record_blocked(session, actor, error, draft)  # the attempt is evidence; the blocked text is not kept
        session.commit()


class Attempt:
    """What `attempt()` saw: `refusal` is None when the service call went through (and was committed)."""

    refusal: Refusal | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None

    @property
    def status(self) -> int:
        return self.refusal.status if self.refusal is not None else 200


@contextmanager
def attempt(*, blocked_draft_id: int | None = None) -> Iterator[Attempt]:
    """Run a page's service calls: commit when they go through; on a refusal, `settle` and keep it on the Attempt.

    The view then shows the refusal its own way (on the form's field, as a
    flash message) with `attempt.status`. Errors that are not refusals
    propagate untouched (a database outage is answered by `web.errors`).
    """
    session = get_session()
    outcome = Attempt()
    try:
        yield outcome
    except REFUSALS as error:
        outcome.refusal = refusal_for(error)
        settle(session, error, signed_in_user(), blocked_draft_id)
    else:
        session.commit()
