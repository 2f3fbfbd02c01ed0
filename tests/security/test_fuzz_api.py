"""Schemathesis against /api/v1/openapi.json through the WSGI app: no 500s, and answers match the document.

Every operation in the document is fuzzed (positive and negative data,
bounded examples) with a valid bearer token of a user who holds the staff,
approver and auditor roles and drafts for a real account, so requests get
past authentication into the validation and services. Checks: no server
error, the status code is one the operation documents, the content type
and the body match the documented response schema.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.generation import GenerationMode

from fixtures_workflow import REVIEW_TEXT

EXAMPLES_PER_OPERATION = 30
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]


@pytest.fixture
def fuzz_target(secure_app, make_user, make_account, make_inbound, make_draft, make_token):
    """The API schema (loaded through the app) and a token whose user may reach every operation."""
    user = make_user("fuzzer", roles=["staff", "approver", "auditor"], groups=["comms", "legal"])
    account = make_account("@FuzzCity", name="Fuzz City")
    post = make_inbound(account)
    draft = make_draft("pending", text=REVIEW_TEXT, account=account)
    token = make_token(user).secret
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", secure_app)
    real = {"account_id": account.id, "inbound_id": post.id, "draft_id": draft.id}
    return schema, {"Authorization": f"Bearer {token}"}, real


def _steered(real: dict[str, int]) -> Any:
    """Point a valid case at real objects, so it gets past "no such account/draft" into the services."""

    def steer(case: Any) -> Any:
        if isinstance(case.body, dict):
            for name in ("account_id", "inbound_id"):
                if name in case.body:
                    case.body[name] = real[name]
        if case.path_parameters and "draft_id" in case.path_parameters:
            case.path_parameters["draft_id"] = real["draft_id"]
        return case

    return steer


def _fuzz_operation(operation: Any, headers: dict[str, str], real: dict[str, int], failures: list[str]) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
           | operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(_steered(real))
           | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case: Any) -> None:
        try:
            response = case.call(headers=headers)  # a crash inside the app propagates here (TESTING)
            case.validate_response(response, checks=CHECKS)
        except Exception as error:  # collect every operation's failures, then report them together
            failures.append(f"{operation.label}: {type(error).__name__}: {str(error)[:600]}\n  {case.as_curl_command()}")
            raise

    try:
        run()
    except Exception as error:  # noqa: BLE001 -- hypothesis re-raises the shrunk failure; make sure it is recorded
        if not failures or not failures[-1].startswith(operation.label):
            failures.append(f"{operation.label}: {type(error).__name__}: {str(error)[:600]}")


@pytest.mark.slow
def test_every_operation_answers_as_documented_and_never_500(fuzz_target) -> None:
    schema, headers, real = fuzz_target
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7, [op.label for op in operations]
    for operation in operations:
        _fuzz_operation(operation, headers, real, failures)
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
