"""The API records a learner's consent when it creates them, and says what it recorded."""

from __future__ import annotations

from issuer.store.models import LearnerConsent
from tests.helpers import count

NONE = {"name": False, "email": False, "photo": False, "statistics": False}


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
