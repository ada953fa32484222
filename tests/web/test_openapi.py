"""The OpenAPI document: valid OpenAPI 3.1, in step with the routes, true to the answers."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import select

from issuer.services import intake_requests
from issuer.store.models import Credential
from tests.helpers import BASE_URL

ACQUIRED = {"dig-hole": "acquired", "stake-and-water": "acquired"}
PREFIX = "/api/v1"
_IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client):
    return client.get(f"{PREFIX}/openapi.json").get_json()



def _api_operations(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route of the api blueprint."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path.startswith(PREFIX), rule.rule
        for method in rule.methods - _IGNORED_METHODS:
            operations.add((method.lower(), path[len(PREFIX):]))
    return operations


def _documented_operations(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item}


def _conforms(document: dict, schema_name: str, instance) -> list[str]:
    """Every way `instance` breaks the document's schema `schema_name` ([] when it conforms)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}",
              "components": document["components"]}
    return [error.message for error in Draft202012Validator(schema).iter_errors(instance)]


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, document):
    assert _documented_operations(document) == _api_operations(app)


def test_the_document_needs_no_token_and_names_this_deployment(client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["servers"] == [{"url": f"{BASE_URL}{PREFIX}"}]


def test_every_operation_but_the_document_requires_the_bearer_token(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": document["components"][
            "securitySchemes"]["bearerAuth"]["description"]}
    assert document["security"] == [{"bearerAuth": []}]
    open_operations = [(path, method) for path, item in document["paths"].items()
                       for method, operation in item.items() if operation.get("security") == []]
    assert open_operations == [("/openapi.json", "get")]


def test_every_operation_documents_the_json_error_for_401(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path == "/openapi.json":
                continue
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, (method, path)


def test_issue_list_get_and_revoke_answers_match_their_schemas(client, db, world, headers,
                                                               document):
    issued = client.post(f"{PREFIX}/credentials", headers=headers, json={
        "template_id": "tree-planting", "learner": {"name": "Inès Moreau"},
        "results": ACQUIRED})
    uuid = issued.get_json()["id"]
    answers = [
        ("Credential", issued),
        ("CredentialPage", client.get(f"{PREFIX}/credentials", headers=headers)),
        ("Credential", client.get(f"{PREFIX}/credentials/{uuid}", headers=headers)),
        ("CredentialSummary", client.post(f"{PREFIX}/credentials/{uuid}/revoke",
                                          json={"reason": "Test"}, headers=headers)),
    ]
    for schema_name, response in answers:
        assert _conforms(document, schema_name, response.get_json()) == [], schema_name


def test_bulk_verify_template_and_learner_answers_match_their_schemas(client, db, world,
                                                                      headers, document):
    bulk = client.post(f"{PREFIX}/credentials/bulk", headers=headers, json=[
        {"template_id": "tree-planting", "learner": {"name": "A"}, "results": ACQUIRED},
        {"template_id": "tree-planting", "learner": {"name": "B"}, "results": {}}])
    signed = db.scalar(select(Credential)).signed_json
    learner_id = world.learners[0].id
    answers = [
        ("BulkResult", bulk),
        ("VerificationReport", client.post(f"{PREFIX}/verify", data=signed,
                                           content_type="application/json", headers=headers)),
        ("TemplateList", client.get(f"{PREFIX}/templates", headers=headers)),
        ("Template", client.get(f"{PREFIX}/templates/tree-planting", headers=headers)),
        ("LearnerPage", client.get(f"{PREFIX}/learners", headers=headers)),
        ("LearnerDetail", client.get(f"{PREFIX}/learners/{learner_id}", headers=headers)),
        ("Learner", client.post(f"{PREFIX}/learners", json={"name": "C"}, headers=headers)),
        ("Learner", client.delete(f"{PREFIX}/learners/{learner_id}", headers=headers)),
    ]
    for schema_name, response in answers:
        assert response.status_code in (200, 201), schema_name
        assert _conforms(document, schema_name, response.get_json()) == [], schema_name


def test_error_answers_match_the_error_schema(client, world, headers, document):
    errors = [
        client.get(f"{PREFIX}/credentials"),
        client.post(f"{PREFIX}/credentials", data="{", content_type="application/json",
                    headers=headers),
        client.post(f"{PREFIX}/credentials", json={"results": {"dig-hole": "acquired"},
                                                   "template_id": "tree-planting",
                                                   "learner": {"name": "D"}},
                    headers=headers),
        client.get(f"{PREFIX}/templates/juggling", headers=headers),
    ]
    assert [response.status_code for response in errors] == [401, 400, 422, 404]
    for response in errors:
        assert _conforms(document, "Error", response.get_json()) == []


def test_the_request_schemas_are_the_ones_requests_are_checked_with(document):
    schemas = document["components"]["schemas"]
    assert {name: schemas[name] for name in intake_requests.SCHEMAS} == (
        intake_requests.SCHEMAS)
    assert document["paths"]["/credentials"]["post"]["requestBody"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/IssueRequest"}
    assert document["paths"]["/credentials/bulk"]["post"]["requestBody"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/BulkIssueRequest"}


def test_a_request_the_served_schema_refuses_is_refused_naming_each_field(client, world,
                                                                          headers, document):
    body = {"template_id": "tree-planting", "learner": {"name": "D", "email": "nope"},
            "results": {"dig-hole": 3}, "activity_start": "14/03/2026", "colour": "green"}
    schema = {"$ref": "#/components/schemas/IssueRequest", "components": document["components"]}
    assert sorted(error.json_path for error in Draft202012Validator(schema).iter_errors(body)) \
        == ["$", "$.activity_start", "$.learner.email", "$.results['dig-hole']"]
    response = client.post(f"{PREFIX}/credentials", json=body, headers=headers)
    assert response.status_code == 422
    assert sorted(detail["field"] for detail in response.get_json()["error"]["details"]) == [
        "activity_start", "colour", "learner.email", "results"]


def test_the_docs_page_lists_every_operation_without_scripts(client, document):
    response = client.get("/api/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script" not in html and "https://cdn" not in html
    for method, path in _documented_operations(document):
        assert f"<code>{method.upper()}</code></td><td><code>{PREFIX}{path}</code>" in html


def test_the_learner_record_answer_matches_its_schema(client, db, world, headers, document):
    client.post(f"{PREFIX}/credentials", headers=headers, json={
        "template_id": "tree-planting", "learner_id": world.learners[0].id,
        "results": ACQUIRED})
    response = client.get(f"{PREFIX}/learners/{world.learners[0].id}/record", headers=headers)
    assert response.status_code == 200
    assert _conforms(document, "ClrCredential", response.get_json()) == []
