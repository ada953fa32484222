"""An idempotency key issues one credential, even when requests carrying it arrive together."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from issuer.store.models import ApiIdempotencyKey, Credential
from tests.helpers import count

SIMULTANEOUS = 6
BODY = {"template_id": "tree-planting", "learner": {"name": "Inès Moreau", "language": "fr"},
        "results": {"dig-hole": "acquired", "stake-and-water": "acquired"},
        "activity_start": "2026-03-02", "idempotency_key": "lms-export-42"}



@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")



def post_together(app, headers, bodies: list[dict]) -> list:
    """POST every body at the same moment, each from its own thread and client."""
    start = threading.Barrier(len(bodies))

    def post(body):
        client = app.test_client()
        start.wait()
        return client.post("/api/v1/credentials", json=body, headers=headers)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_the_key_is_stored_with_the_credential_and_the_requests_fingerprint(
        client, db, world, headers):
    response = client.post("/api/v1/credentials", json=BODY, headers=headers)
    stored = db.scalar(select(ApiIdempotencyKey))
    assert (stored.key, stored.organisation_id) == ("lms-export-42", world.org.id)
    assert stored.credential.uuid == response.get_json()["id"]
    assert len(stored.fingerprint) == 64


def test_the_same_key_with_another_body_is_409_and_issues_nothing_more(
        client, db, world, headers):
    client.post("/api/v1/credentials", json=BODY, headers=headers)
    other = {**BODY, "learner": {"name": "Someone Else"}}
    response = client.post("/api/v1/credentials", json=other, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(db, Credential) == 1


def test_simultaneous_requests_with_one_key_issue_exactly_one_credential(
        app, db, world, headers, postgresql_only):
    responses = post_together(app, headers, [BODY] * SIMULTANEOUS)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (SIMULTANEOUS - 1) + [201]
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert count(db, Credential) == 1
    assert count(db, ApiIdempotencyKey) == 1


def test_simultaneous_different_requests_with_one_key_issue_one_and_refuse_the_rest(
        app, db, world, headers, postgresql_only):
    bodies = [{**BODY, "learner": {"name": f"Learner {number}"}}
              for number in range(SIMULTANEOUS)]
    responses = post_together(app, headers, bodies)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (SIMULTANEOUS - 1)
    assert count(db, Credential) == 1


def test_identical_requests_without_a_key_arriving_together_make_one_learner_and_one_badge(
        app, db, world, headers, postgresql_only):
    from issuer.store.models import Learner

    body = {key: value for key, value in BODY.items() if key != "idempotency_key"}
    learners_before = count(db, Learner)
    responses = post_together(app, headers, [body] * 8)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 7 + [201]
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert count(db, Credential) == 1
    assert count(db, Learner) == learners_before + 1
