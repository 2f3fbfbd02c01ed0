"""`error.code`: the OpenAPI ErrorCode enum is exactly the set of codes the code can send.

The codes are read from the source: every `ApiError(status, "code", ...)`,
every workflow refusal `NotAllowed(message, "reason")` (the API answers
403 with the reason as its code), the database outages (`database_<kind>`)
and the defaults any HTTP error under /api/ gets. A code added anywhere
without the enum (a generated client would fail to parse it) fails here,
and so does an enum entry nothing sends.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import reviewer
from reviewer.api import errors
from reviewer.api.error_codes import ERROR_CODES
from reviewer.review.workflow import NotAllowed
from reviewer.web import outages
from reviewer.web.refusals import ANSWERS

PACKAGE = Path(reviewer.__file__).parent
# ApiError calls whose code is not a literal, and where each comes from (both are read below).
DYNAMIC_CODES = {("api/views.py", "refusal.code"), ("web/errors.py", "code")}


def _calls(name: str):
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
                yield path.relative_to(PACKAGE).as_posix(), node


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def sent_codes() -> set[str]:
    codes = {code for code, _ in errors.DEFAULTS.values()}
    dynamic = set()
    for where, call in _calls("ApiError"):
        code = _argument(call, 1, "code")
        if isinstance(code, ast.Constant) and isinstance(code.value, str):
            codes.add(code.value)
        elif code is not None:
            dynamic.add((where, ast.unparse(code)))
    assert dynamic == DYNAMIC_CODES, "an ApiError code that this test cannot read: add its source here"
    codes |= {answer.code for answer in ANSWERS.values()}  # refusal.code: the table's, or NotAllowed's reason
    codes.add(inspect.signature(NotAllowed).parameters["reason"].default)
    for _, call in _calls("NotAllowed"):
        reason = _argument(call, 1, "reason")
        if reason is not None:
            assert isinstance(reason, ast.Constant), ast.unparse(call)
            codes.add(reason.value)
    codes |= {f"database_{o.kind}" for o in vars(outages).values() if isinstance(o, outages.Outage)}
    return codes


def test_the_enum_is_exactly_the_codes_the_api_can_send() -> None:
    sent = sent_codes()
    assert len(sent) > 30
    assert sorted(sent - set(ERROR_CODES)) == [], "codes sent that the ErrorCode enum lacks"
    assert sorted(set(ERROR_CODES) - sent) == [], "ErrorCode entries nothing sends"


def test_the_document_lists_every_code_with_its_meaning(client) -> None:
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ErrorCode"]
    assert schema["enum"] == list(ERROR_CODES)
    for code in ERROR_CODES:
        assert f"`{code}`:" in schema["description"]


@pytest.mark.parametrize(("saved", "in_doubt", "outcome"), [
    (False, False, {"stored": "no"}),
    (True, False, {"stored": "yes", "saved": True}),
    (False, True, {"stored": "unknown", "saved": None}),
])
def test_a_database_outage_says_whether_the_change_was_stored(saved, in_doubt, outcome) -> None:
    assert errors.outage_outcome(saved, in_doubt) == outcome
    body = errors.ApiError(503, "database_unavailable", **errors.outage_outcome(saved, in_doubt)).body()["error"]
    assert body["stored"] == outcome["stored"] and ("saved" in body) == ("saved" in outcome)


def test_every_other_error_says_nothing_was_stored(people, api_as) -> None:
    response = api_as(people["staff"]).post("/api/v1/check", json={"text": "hello"})
    assert response.status_code == 422
    assert response.get_json()["error"]["stored"] == "no"
    with pytest.raises(ValueError, match="stored must be one of"):
        errors.ApiError(500, stored="maybe")
