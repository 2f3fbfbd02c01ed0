"""The OpenAPI document is valid OpenAPI 3.1 and describes every /api/v1 route the app has."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def test_the_document_is_public_and_valid_openapi_3_1(client) -> None:
    document = _document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises OpenAPIValidationError naming the bad part


def test_every_api_route_and_method_is_in_the_document(app, client) -> None:
    paths = _document(client)["paths"]
    described = {(path, method.upper()) for path, operations in paths.items() for method in operations}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method))
    assert routes, "no /api/v1 routes registered"
    assert routes - described == set(), "routes missing from the OpenAPI document"
    assert described - routes == set(), "the document describes routes the app does not have"


def test_the_document_describes_the_verdict_and_errors(client) -> None:
    schemas = _document(client)["components"]["schemas"]
    assert set(schemas["Verdict"]["required"]) >= {"decision", "routes", "findings", "policy", "scorer"}
    assert schemas["Error"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert schemas["ErrorBody"]["required"] == ["code", "message", "stored"]
    for name in ("CheckRequest", "DraftRequest", "InboundRequest", "DecisionRequest", "Draft", "QueueItem", "QueuePage"):
        assert name in schemas


def test_every_secured_operation_lists_401_and_every_body_operation_lists_422(client) -> None:
    for path, operations in _document(client)["paths"].items():
        for method, operation in operations.items():
            if operation["security"]:
                assert "401" in operation["responses"], (path, method)
            if "requestBody" in operation:
                assert "422" in operation["responses"] and "400" in operation["responses"], (path, method)


def test_every_secured_operation_lists_the_rate_limit_and_database_outage_answers(client) -> None:
    """429 (Retry-After) and 503 (database_<kind>, `stored` yes/no/unknown) can answer any API request."""
    document = _document(client)
    error = document["components"]["schemas"]["ErrorBody"]["properties"]
    assert error["retry_after"]["type"] == "integer" and error["stored"] == {"$ref": "#/components/schemas/Stored"}
    assert error["saved"]["type"] == ["boolean", "null"] and error["saved"]["deprecated"] is True
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "Retry-After" in responses["429"]["headers"], (path, method)
            if operation["security"]:
                assert "database_unavailable" in responses["503"]["description"], (path, method)
                assert "Retry-After" in responses["503"]["headers"], (path, method)
    assert "policy_unavailable" in document["paths"]["/drafts"]["post"]["responses"]["503"]["description"]


def test_a_verdict_from_the_api_matches_the_documented_keys(app, client, make_user, make_account, make_token) -> None:
    staff = make_user("writer", roles=["staff"])
    account = make_account()
    response = client.post(
        "/api/v1/check",
        json={"text": "You idiot", "account_id": account.id},
        headers={"Authorization": f"Bearer {make_token(staff)}"},
    )
    assert response.status_code == 200
    verdict = response.get_json()
    schema = _document(client)["components"]["schemas"]["Verdict"]
    assert set(verdict) == set(schema["properties"])
    assert set(verdict["findings"][0]) == set(_document(client)["components"]["schemas"]["Finding"]["properties"])


def test_the_validator_refuses_a_broken_copy(client) -> None:
    """The contract test can fail: a parameter that is in no known place is not OpenAPI."""
    import pytest
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    document = _document(client)
    document["paths"]["/queue"]["get"]["parameters"][0]["in"] = "nowhere"
    with pytest.raises(OpenAPIValidationError):
        validate(document)


def test_the_servers_url_never_reflects_the_host_header(client) -> None:
    """A forged Host must not become the API's address in the document (cache poisoning, phishing links)."""
    document = client.get("/api/v1/openapi.json", headers={"Host": "evil.example"}).get_json()
    assert document["servers"] == [{"url": "/api/v1"}]  # relative: the address the document was fetched from
    assert "evil.example" not in str(document)


def test_the_servers_url_is_the_configured_base_url(make_app) -> None:
    client = make_app(EXTERNAL_BASE_URL="https://reviewer.example.govt.nz/").test_client()
    document = client.get("/api/v1/openapi.json", headers={"Host": "evil.example"}).get_json()
    assert document["servers"] == [{"url": "https://reviewer.example.govt.nz/api/v1"}]
    validate(document)


def _enums(node, where: str = ""):
    """(where, values) of every `enum` in the document, outside the conditionals' `if` clauses."""
    if isinstance(node, dict):
        if "enum" in node:
            yield where, node["enum"]
        for key, value in node.items():
            if key != "if":
                yield from _enums(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _enums(value, f"{where}/{index}")


def test_each_word_list_is_one_named_enum_referenced_everywhere(client) -> None:
    """pass/review/block is one Decision, the platforms one Platform...: no inline enum a generator would name."""
    from reviewer.api.error_codes import ERROR_CODES
    from reviewer.policy.schema import SEVERITIES
    from reviewer.vocabulary import DECISIONS, DRAFT_STATES, PLATFORMS

    document = _document(client)
    places = dict(_enums(document))
    assert all(re.fullmatch(r"/components/schemas/\w+", where) for where in places), places
    schemas = document["components"]["schemas"]
    assert schemas["Decision"]["enum"] == list(DECISIONS)
    assert schemas["Platform"]["enum"] == list(PLATFORMS)
    assert schemas["DraftState"]["enum"] == list(DRAFT_STATES)
    assert schemas["Severity"]["enum"] == list(SEVERITIES)
    assert schemas["ErrorCode"]["enum"] == list(ERROR_CODES)
    assert len({tuple(values) for values in places.values()}) == len(places), "two enums with the same values"
    assert schemas["Inbound"]["properties"]["platform"] == schemas["Account"]["properties"]["platform"]
    assert {"$ref": "#/components/schemas/Platform"} in schemas["CheckRequest"]["properties"]["platform"]["anyOf"]
    for name in ("Verdict", "Draft", "DraftVersion"):
        assert schemas[name]["properties"]["decision"] == {"$ref": "#/components/schemas/Decision"}


def test_no_inline_object_a_generator_would_have_to_name(client) -> None:
    """Response bodies and nested objects are named components (no `ErrorError`, no `...Response200`)."""
    document = _document(client)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                schema = response["content"]["application/json"]["schema"]
                refs = schema.get("oneOf", [schema])
                assert all("$ref" in one for one in refs), (path, method, status)
    for name, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("type") != "object", (name, field)
            assert prop.get("items", {}).get("type") != "object", (name, field)


def test_every_operation_is_tagged_and_declares_the_statuses_it_can_answer(client) -> None:
    document = _document(client)
    tags = {tag["name"] for tag in document["tags"]}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["tags"] and set(operation["tags"]) <= tags, (path, method)
            responses = operation["responses"]
            assert "default" in responses and "429" in responses, (path, method)
            if "requestBody" in operation:
                assert "413" in responses, (path, method)
            for status, response in responses.items():
                assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(response["headers"]), (
                    path, method, status)
            if "401" in responses:
                assert "WWW-Authenticate" in responses["401"]["headers"]
    assert {"404"} <= set(document["paths"]["/drafts/{draft_id}/decision"]["post"]["responses"])
    assert {"409"} <= set(document["paths"]["/inbound"]["post"]["responses"])


def _accepts(document: dict, name: str, body: dict) -> bool:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})
    return validator.is_valid(body)


def test_the_rules_across_fields_are_in_the_schema_and_agree_with_the_api(client, people, api_as) -> None:
    """Exactly one of account_id or policy (platform only with policy); a comment to reject or return;
    a version to approve: a body the document refuses, the API refuses with 422; one it accepts gets past."""
    document = _document(client)
    staff, legal = api_as(people["staff"]), api_as(people["legal"])
    account = people["account"].id
    checks = [
        ({"text": "Hello", "account_id": account}, True),
        ({"text": "Hello", "policy": "government.yaml"}, True),
        ({"text": "Hello", "policy": "government.yaml", "platform": "x"}, True),
        ({"text": "Hello", "account_id": None, "policy": "government.yaml"}, True),
        ({"text": "Hello"}, False),
        ({"text": "Hello", "account_id": account, "policy": "government.yaml"}, False),
        ({"text": "Hello", "account_id": account, "platform": "x"}, False),
    ]
    for body, valid in checks:
        assert _accepts(document, "CheckRequest", body) is valid, body
        assert (staff.post("/api/v1/check", json=body).status_code == 200) is valid, body
    draft = staff.post("/api/v1/drafts", json={"account_id": account, "text": "Is the lawsuit over?"}).get_json()
    decisions = [
        ({"action": "reject"}, False),
        ({"action": "reject", "comment": None}, False),
        ({"action": "return", "comment": "  "}, False),
        ({"action": "approve"}, False),
        ({"action": "approve", "expected_version": None}, False),
        ({"action": "reject", "comment": "Off topic."}, True),
    ]
    for body, valid in decisions:
        assert _accepts(document, "DecisionRequest", body) is valid, body
        assert (legal.post(f"/api/v1/drafts/{draft['id']}/decision", json=body).status_code == 200) is valid, body
    assert _accepts(document, "DecisionRequest", {"action": "approve", "expected_version": 3})
    assert _accepts(document, "DecisionRequest", {"action": "approve", "expected_text_sha256": "0" * 64})
