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
    assert schemas["Error"]["properties"]["error"]["required"] == ["code", "message"]
    for name in ("CheckRequest", "DraftRequest", "InboundRequest", "DecisionRequest", "Draft", "QueueItem"):
        assert name in schemas


def test_every_secured_operation_lists_401_and_every_body_operation_lists_422(client) -> None:
    for path, operations in _document(client)["paths"].items():
        for method, operation in operations.items():
            if operation["security"]:
                assert "401" in operation["responses"], (path, method)
            if "requestBody" in operation:
                assert "422" in operation["responses"] and "400" in operation["responses"], (path, method)


def test_every_secured_operation_lists_the_rate_limit_and_database_outage_answers(client) -> None:
    """429 (Retry-After) and 503 (database_<kind>, saved: true, or null when unknown) can answer any API request."""
    document = _document(client)
    error = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert error["retry_after"]["type"] == "integer" and error["saved"]["type"] == ["boolean", "null"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation["security"]:
                responses = operation["responses"]
                assert "429" in responses and "database_unavailable" in responses["503"]["description"], (path, method)
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
