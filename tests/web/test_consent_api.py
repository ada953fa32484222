"""The API records a learner's consent when it creates them, and says what it recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from issuer.services import unit_of_work
from issuer.services.api_tokens import create_token
from issuer.store.models import AuditEvent, Credential, LearnerConsent
from tests.helpers import count, make_world, smtp_overrides

NONE = {"name": False, "email": False, "photo": False, "statistics": False}
EVERYTHING = {"name": True, "email": True, "photo": True, "statistics": True}


@pytest.fixture
def overrides(overrides, request):
    if "smtp_server" in request.fixturenames:
        return {**overrides, **smtp_overrides(request.getfixturevalue("smtp_server")[0])}
    return overrides


@pytest.fixture
def learner_id(client, headers, world) -> int:
    """A learner added through the API, who agreed to everything, e-mail address given."""
    response = client.post("/api/v1/learners", headers=headers, json={
        "name": "Inès Moreau", "email": "ines@example.org", "consent": EVERYTHING})
    assert response.status_code == 201
    return response.get_json()["id"]


def test_a_learner_created_with_consent_gets_those_answers_and_the_token_as_recorder(
        client, db, world, headers):
    response = client.post("/api/v1/learners", headers=headers, json={
        "name": "Inès Moreau", "consent": {"name": True, "statistics": True}})
    assert response.status_code == 201
    assert response.get_json()["consent"] == {**NONE, "name": True, "statistics": True}
    rows = db.query(LearnerConsent).filter_by(learner_id=response.get_json()["id"]).all()
    assert len(rows) == 4
    assert {(row.recorded_by_id, row.recorded_by_token_id is not None) for row in rows} == {
        (None, True)}


def test_a_learner_created_without_consent_has_agreed_to_nothing(client, db, world, headers):
    response = client.post("/api/v1/learners", headers=headers, json={"name": "Inès Moreau"})
    assert response.get_json()["consent"] == NONE
    assert count(db, LearnerConsent, LearnerConsent.learner_id == response.get_json()["id"]) == 0


def test_unknown_questions_and_non_boolean_answers_are_named_field_by_field(
        client, db, world, headers):
    response = client.post("/api/v1/learners", headers=headers, json={
        "name": "Inès Moreau", "consent": {"name": "yes", "marketing": True}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "consent.marketing",
         "message": "is not a consent question (name, email, photo, statistics)"},
        {"field": "consent.name", "message": "must be true or false"}]


def test_an_issue_request_records_the_consent_of_the_learner_it_creates(
        client, db, world, headers):
    response = client.post("/api/v1/credentials", headers=headers, json={
        "template_id": "tree-planting",
        "learner": {"name": "Inès Moreau", "consent": {"email": True}},
        "results": {"dig-hole": "acquired", "stake-and-water": "acquired"}})
    assert response.status_code == 201
    learner = client.get(f"/api/v1/learners/{response.get_json()['learner_id']}",
                         headers=headers).get_json()
    assert learner["consent"] == {**NONE, "email": True}


def test_consent_that_is_not_an_object_is_refused(client, world, headers):
    response = client.post("/api/v1/credentials", headers=headers, json={
        "template_id": "tree-planting", "learner": {"name": "Inès", "consent": True},
        "results": {"dig-hole": "acquired", "stake-and-water": "acquired"}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "learner.consent",
         "message": "must be an object of true/false answers (name, email, photo, statistics)"}]


# --- changing the answers: GET/PUT /learners/{id}/consent -------------------------------------


def test_the_answers_are_read_with_when_each_was_recorded(client, headers, learner_id):
    response = client.get(f"/api/v1/learners/{learner_id}/consent", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["learner_id"], body["consent"]) == (learner_id, EVERYTHING)
    assert set(body["recorded_at"]) == set(EVERYTHING)
    assert all(moment.endswith("Z") for moment in body["recorded_at"].values())


def test_a_change_is_recorded_read_back_and_audited_with_the_earlier_answer(
        client, db, headers, learner_id):
    changed = {**EVERYTHING, "photo": False, "statistics": False}
    response = client.put(f"/api/v1/learners/{learner_id}/consent", headers=headers,
                          json=changed)
    assert response.status_code == 200
    assert response.get_json()["consent"] == changed
    assert client.get(f"/api/v1/learners/{learner_id}/consent",
                      headers=headers).get_json()["consent"] == changed
    assert client.get(f"/api/v1/learners/{learner_id}",
                      headers=headers).get_json()["consent"] == changed
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "learner.consent",
                                                  AuditEvent.subject == f"learner:{learner_id}")
                         .order_by(AuditEvent.id.desc()).limit(1))
    assert event.detail["answers"] == {"photo": False, "statistics": False}
    assert event.detail["earlier"] == {"photo": True, "statistics": True}


def test_withdrawing_email_consent_stops_the_claim_email_as_the_admin_page_does(
        client, db, headers, learner_id, smtp_server):
    client.put(f"/api/v1/learners/{learner_id}/consent", headers=headers,
               json={**EVERYTHING, "email": False})
    response = client.post("/api/v1/credentials", headers=headers, json={
        "template_id": "tree-planting", "learner_id": learner_id, "send_claim_email": True,
        "results": {"dig-hole": "acquired", "stake-and-water": "acquired"}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "send_claim_email"
    assert "did not agree to receive e-mail" in response.get_json()["error"]["message"]
    assert smtp_server[1].messages == []
    assert count(db, Credential) == 0


def test_another_organisations_learner_is_403_and_an_unknown_one_404(
        client, db, headers, learner_id):
    other = make_world(db, slug="bsp", learner_names=("Anna Nowak",))
    with unit_of_work(db):
        _record, plain = create_token(db, other.org, "Other LMS")
    theirs = {"Authorization": f"Bearer {plain}"}
    url = f"/api/v1/learners/{learner_id}/consent"
    assert client.get(url, headers=theirs).status_code == 403
    assert client.put(url, headers=theirs, json=NONE).status_code == 403
    assert client.get(url, headers=headers).get_json()["consent"] == EVERYTHING
    assert client.get("/api/v1/learners/99999/consent", headers=headers).status_code == 404
    assert client.put("/api/v1/learners/99999/consent", headers=headers,
                      json=NONE).status_code == 404


def test_a_change_must_give_all_four_answers_as_true_or_false(client, headers, learner_id):
    url = f"/api/v1/learners/{learner_id}/consent"
    response = client.put(url, headers=headers, json={"name": "yes", "marketing": True})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "marketing",
         "message": "is not a consent question (name, email, photo, statistics)"},
        {"field": "name", "message": "must be true or false"},
        {"field": "email", "message": "is required: true or false"},
        {"field": "photo", "message": "is required: true or false"},
        {"field": "statistics", "message": "is required: true or false"}]
    assert client.put(url, headers=headers, json=[True]).status_code == 422
    assert client.put(url, headers=headers, data="{", content_type="application/json"
                      ).status_code == 400
    assert client.put(url, headers=headers, data="name=1").status_code == 415
    assert client.get(url, headers=headers).get_json()["consent"] == EVERYTHING


def test_an_erased_learners_answers_cannot_be_changed(client, headers, learner_id):
    assert client.delete(f"/api/v1/learners/{learner_id}", headers=headers).status_code == 200
    url = f"/api/v1/learners/{learner_id}/consent"
    assert client.get(url, headers=headers).get_json()["consent"] == NONE
    response = client.put(url, headers=headers, json=EVERYTHING)
    assert response.status_code == 422
    assert "erased" in response.get_json()["error"]["message"]


def test_the_openapi_document_describes_the_consent_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = document["paths"]["/learners/{learner_id}/consent"]
    assert operations["put"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ConsentChange"}
    assert operations["get"]["operationId"] == "getLearnerConsent"
    assert document["components"]["schemas"]["ConsentChange"]["required"] == [
        "name", "email", "photo", "statistics"]
