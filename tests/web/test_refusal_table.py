"""Every domain error has one status, the same on a page and in the API (issue 18).

`STATUS` below is the table a reader looks for. The first test walks every
module of the package, so a new exception class fails it until it is either
given an answer in `reviewer.web.refusals.ANSWERS` or listed in
`NOT_REFUSALS` with the reason no view ever meets it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

import reviewer
from reviewer.accounts.services import AccountError
from reviewer.api.errors import ApiError
from reviewer.api.services import TokenError
from reviewer.audit.browse import FilterError
from reviewer.audit.export import ExportError
from reviewer.drafting.common import CheckUnavailable
from reviewer.jobs.queue import JobsUnavailable
from reviewer.moments import OutOfRange
from reviewer.notify.services import PreferenceError
from reviewer.orgs.services import OrgAccountError
from reviewer.policy import PolicyError, PolicyIssue
from reviewer.reports.data import ReportInputError
from reviewer.review.workflow import ConflictError, InvalidInput, NotAllowed, SubmitRefused, WorkflowError
from reviewer.web.refusals import ANSWERS, attempt

#: error class -> the status it gets, on a page and in the API alike.
STATUS: dict[type[BaseException], int] = {
    NotAllowed: 403,
    ConflictError: 409,
    StaleDataError: 409,
    IntegrityError: 409,
    WorkflowError: 422,
    InvalidInput: 422,
    SubmitRefused: 422,
    AccountError: 422,
    OrgAccountError: 422,
    TokenError: 422,
    PreferenceError: 422,
    FilterError: 422,
    ExportError: 422,
    ReportInputError: 422,
    OutOfRange: 422,
    CheckUnavailable: 503,
    PolicyError: 503,
    JobsUnavailable: 503,
}

#: One instance of each, as a service raises it.
EXAMPLES: dict[type[BaseException], BaseException] = {
    NotAllowed: NotAllowed("Only approvers may approve drafts.", "not_approver"),
    ConflictError: ConflictError(),
    StaleDataError: StaleDataError("UPDATE statement on table 'drafts' expected to update 1 row(s); 0 were matched."),
    IntegrityError: IntegrityError("INSERT INTO inbound_posts ...", {}, Exception("UNIQUE constraint failed")),
    WorkflowError: WorkflowError("This cannot be done now."),
    InvalidInput: InvalidInput("url", "'ftp://x' is not an http(s) link"),
    SubmitRefused: SubmitRefused(None),
    AccountError: AccountError("The username 'lee' is taken.", "username"),
    OrgAccountError: OrgAccountError("@x on x is already the account 'X'.", "handle"),
    TokenError: TokenError("The token rvw_abc… (ci) is already revoked."),
    PreferenceError: PreferenceError("Choose one of: off, email.", "draft.routed"),
    FilterError: FilterError("before", "expected a whole number"),
    ExportError: ExportError("nothing in the range"),
    ReportInputError: ReportInputError("the period ends before it starts"),
    OutOfRange: OutOfRange("9999-12-31"),
    CheckUnavailable: CheckUnavailable("The policy city-council.yaml cannot be loaded. Ask an administrator to fix the policy file."),
    PolicyError: PolicyError([PolicyIssue("city-council.yaml", 4, 5, "x", "unknown rule kind 'nonsense'")]),
    JobsUnavailable: JobsUnavailable("REDIS_URL is set but the redis package is not installed."),
}

#: Exceptions of the package that no view meets, and why: they are not refusals to map.
NOT_REFUSALS: dict[str, str] = {
    "reviewer.api.errors.ApiError": "the API's answer itself",
    "reviewer.audit.chain.AuditError": "the audit chain and its key: start-up, the CLI, verify's report",
    "reviewer.audit.chain.AuditDataError": "the audit chain and its key: start-up, the CLI, verify's report",
    "reviewer.audit.anchors.AnchorFileError": "the anchor file, written and read by the CLI",
    "reviewer.audit.keys.AuditKeyError": "the audit key: checked at start-up",
    "reviewer.backup.manifest.BackupError": "backups: the CLI",
    "reviewer.checking.CheckerStartError": "start-up",
    "reviewer.cli.jsonl.LineError": "the CLI",
    "reviewer.policy.patterns.PatternError": "policy loading: the loader reports it as a PolicyError at file:line",
    "reviewer.policy.patterns.PatternSyntaxError": "policy loading: the loader reports it as a PolicyError at file:line",
    "reviewer.cli.policy.Failure": "the CLI",
    "reviewer.config_checks.ConfigError": "start-up",
    "reviewer.db.DatabaseConfigError": "start-up",
    "reviewer.db.SchemaOutOfDateError": "start-up",
    "reviewer.demo.DemoError": "the demo CLI",
    "reviewer.web.ratelimit.RateLimitConfigError": "start-up",
    "reviewer.notify.channels.DeliveryError": "the notification worker, which records it on the message",
    "reviewer.encoder.base.EncoderError": "the sentence encoder: loaded at start-up and by the CLI",
    "reviewer.toxicity.base.ScorerError": "the toxicity scorer: loaded at start-up and by the CLI",
    "reviewer.jsontext.JsonTextError": "a request body that is not JSON: the JSON views answer 400 before any service",
    "reviewer.reports.pdf.FetchRefused": "WeasyPrint's URL fetcher, inside the PDF renderer",
    "reviewer.policy.source._TooBig": "private to the policy loader (it becomes a PolicyError)",
    "reviewer.retention.services.RetentionError": "retention: the CLI",
    "reviewer.sso.client.ProviderError": "single sign-on: the sign-in pages answer it with their own page",
    "reviewer.sso.services.SignInRefused": "single sign-on: the sign-in pages answer it with their own page",
}

_SKIPPED_MODULES = ("reviewer.migrations", "reviewer.wsgi", "reviewer.__main__")


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class the package defines, by dotted name (each module imported)."""
    found = {}
    for module_info in pkgutil.walk_packages(reviewer.__path__, "reviewer."):
        if module_info.name.startswith(_SKIPPED_MODULES):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module_info.name:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_exception_of_the_package_is_answered_or_said_not_to_be_a_refusal() -> None:
    classes = _exception_classes()
    assert len(classes) > 30  # the walk found the package's exceptions
    unmapped = sorted(name for name, cls in classes.items() if cls not in ANSWERS and name not in NOT_REFUSALS)
    assert unmapped == [], f"give these an answer in reviewer.web.refusals.ANSWERS, or list them in NOT_REFUSALS: {unmapped}"
    assert sorted(set(NOT_REFUSALS) - set(classes)) == []  # no stale entries
    assert set(ANSWERS) == set(STATUS) == set(EXAMPLES)


@pytest.mark.parametrize("error_class", list(STATUS), ids=lambda cls: cls.__name__)
def test_each_refusal_gets_its_one_status_on_a_page_and_in_the_api(app, make_user, error_class) -> None:
    from reviewer.api.views import _services

    error = EXAMPLES[error_class]
    assert type(error) is error_class
    user = make_user("ana", roles=["staff", "approver"])
    with app.test_request_context("/inbox/", method="POST"):
        login_user(user)
        with attempt() as outcome:
            raise error
        assert outcome.refusal is not None and outcome.refusal.error is error
        assert outcome.status == STATUS[error_class]
        assert outcome.refusal.message
    with app.test_request_context("/api/v1/drafts", method="POST"):
        g.api_user = user
        with pytest.raises(ApiError) as answered:
            with _services():
                raise error
        assert answered.value.status == STATUS[error_class]
        assert answered.value.message


def test_a_refusal_in_the_api_keeps_its_code_and_field(app, make_user) -> None:
    from reviewer.api.views import _services

    with app.test_request_context("/api/v1/inbound", method="POST"):
        g.api_user = make_user("ana", roles=["staff"])
        with pytest.raises(ApiError) as answered, _services("[2]"):
            raise InvalidInput("inbound", "there is no such post")
        assert answered.value.body() == {
            "error": {"code": "invalid", "message": "[2].inbound_id: there is no such post.", "stored": "no",
                      "field": "[2].inbound_id"}
        }
        with pytest.raises(ApiError) as answered, _services():
            raise NotAllowed("You wrote this draft, so someone else must approve it.", "own_draft")
        assert (answered.value.status, answered.value.code) == (403, "own_draft")


def test_an_error_that_is_no_refusal_is_not_swallowed(app, make_user) -> None:
    user = make_user("ana", roles=["staff"])
    with app.test_request_context("/inbox/", method="POST"):
        login_user(user)
        with pytest.raises(KeyError), attempt():
            raise KeyError("a bug")
