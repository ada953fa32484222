"""The JSON API driven through the test client as an LMS or a partner's script would."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from issuer.core import baking, jwt
from issuer.core.keys import PrivateKey
from issuer.services import unit_of_work
from issuer.services.api_tokens import create_token, revoke_token
from issuer.services.intake_requests import MAX_BULK_ITEMS
from issuer.services.keys import active_key, jwt_kid
from issuer.store.models import ApiToken, Assessment, Credential, Learner
from tests.helpers import BASE_URL, count, make_world

ACQUIRED = {"dig-hole": "acquired", "stake-and-water": "acquired"}


@pytest.fixture
def other(db):
    """A second organisation, with its own token and learner."""
    world = make_world(db, slug="bsp", learner_names=("Anna Nowak",))
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "Other LMS")
    return world, {"Authorization": f"Bearer {plain}"}


def request_body(**changes) -> dict:
    body = {"template_id": "tree-planting",
            "learner": {"name": "Inès Moreau", "email": "ines@example.org", "language": "fr",
                        "consent": {"name": True, "email": True, "photo": True,
                                    "statistics": True}},
            "results": dict(ACQUIRED), "activity_start": "2026-03-02"}
    body.update(changes)
    return body


def issue(client, headers, **changes):
    return client.post("/api/v1/credentials", json=request_body(**changes), headers=headers)



def error_of(response) -> dict:
    assert response.mimetype == "application/json"
    return response.get_json()["error"]


# --- tokens -----------------------------------------------------------------------------------


def test_a_call_without_a_token_is_401_asking_for_a_bearer_token(client, world):
    response = client.get("/api/v1/credentials")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="sky-badges"'
    assert error_of(response)["code"] == "missing_token"


def test_an_unknown_token_is_401(client, world):
    response = client.get("/api/v1/credentials", headers={"Authorization": "Bearer sky_nope"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_a_revoked_token_is_401(client, db, world, token, headers):
    record = db.scalar(select(ApiToken))
    with unit_of_work(db):
        revoke_token(db, record, None)
    response = client.get("/api/v1/credentials", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["message"] == "this API token is unknown, expired or revoked"


def test_an_expired_token_is_401(client, db, world):
    from datetime import timedelta

    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "Short-lived", lifetime=timedelta(days=30),
                                      now=datetime.now(UTC) - timedelta(days=31))
    response = client.get("/api/v1/templates", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401


@pytest.mark.parametrize("scopes, allowed", [
    (("read",), {"list", "templates", "verify"}),
    (("issue",), {"issue"}),
    (("revoke",), {"revoke"}),
    (("learners",), {"learners"}),
])
def test_a_token_does_only_what_its_scopes_allow(client, db, world, headers, scopes, allowed):
    document = issue(client, headers).get_json()
    credential_uuid = document["credential"]["id"].rsplit("/", 1)[1]
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "Narrow", scopes=scopes)
    narrow = {"Authorization": f"Bearer {plain}"}
    calls = {
        "list": lambda: client.get("/api/v1/credentials", headers=narrow),
        "templates": lambda: client.get("/api/v1/templates", headers=narrow),
        "verify": lambda: client.post("/api/v1/verify", json=document["credential"],
                                      headers=narrow),
        "issue": lambda: issue(client, narrow, learner={"name": "Ana Costa"}),
        "learners": lambda: client.get("/api/v1/learners", headers=narrow),
        "revoke": lambda: client.post(f"/api/v1/credentials/{credential_uuid}/revoke",
                                      json={"reason": "Issued by mistake"}, headers=narrow),
    }
    for name, call in calls.items():
        response = call()
        if name in allowed:
            assert response.status_code < 400, (name, response.get_json())
        else:
            assert response.status_code == 403, name
            assert error_of(response)["code"] == "insufficient_scope"


def test_every_api_endpoint_names_the_scope_it_needs(app):
    from issuer.web.api import ENDPOINT_SCOPES, PUBLIC_ENDPOINTS

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("api.")}
    assert endpoints - PUBLIC_ENDPOINTS == set(ENDPOINT_SCOPES)


def test_a_call_records_when_the_token_was_last_used(client, db, world, headers):
    client.get("/api/v1/templates", headers=headers)
    db.expire_all()
    assert db.scalar(select(ApiToken)).last_used_at is not None


# --- issuing one ------------------------------------------------------------------------------


def test_issuing_answers_201_with_the_signed_credential_and_its_verify_url(
        client, db, world, headers):
    response = issue(client, headers)
    assert response.status_code == 201
    body = response.get_json()
    stored = db.scalar(select(Credential).where(Credential.uuid == body["id"]))
    assert body["short_id"] == stored.short_id
    assert body["verify_url"] == f"{BASE_URL}/v/{stored.short_id}"
    assert body["credential"] == json.loads(stored.signed_json)
    assert body["credential"]["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert body["status"] == "valid"
    assert body["template_id"] == "tree-planting"
    assert body["claim_token"]


def test_an_issued_credential_verifies_on_its_public_page(client, world, headers):
    short_id = issue(client, headers).get_json()["short_id"]
    report = client.get(f"/v/{short_id}", headers={"Accept": "application/json"}).get_json()
    assert report["verdict"] == "valid"


def test_the_badge_is_in_the_learners_language_with_their_name(client, world, headers):
    document = issue(client, headers).get_json()["credential"]
    subject = document["credentialSubject"]
    assert subject["achievement"]["name"] == "Planter un jeune arbre"
    assert {"type": "IdentityObject", "hashed": False, "identityHash": "Inès Moreau",
            "identityType": "name"} in subject["identifier"]


def test_the_same_idempotency_key_answers_200_with_the_same_credential(
        client, db, world, headers):
    first = issue(client, headers, idempotency_key="lms-42")
    again = issue(client, headers, idempotency_key="lms-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert "claim_token" not in again.get_json()
    assert count(db, Credential) == 1


def test_an_idempotency_key_reused_for_another_request_is_409(client, world, headers):
    issue(client, headers, idempotency_key="lms-42")
    response = issue(client, headers, idempotency_key="lms-42",
                     learner={"name": "Someone Else"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_key_reused"


def test_the_same_learner_in_the_same_session_is_not_issued_twice(client, db, world, headers):
    body = {"session_id": world.session.id, "learner_id": world.learners[0].id,
            "results": ACQUIRED}
    first = client.post("/api/v1/credentials", json=body, headers=headers)
    again = client.post("/api/v1/credentials", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(db, Credential) == 1


def test_the_same_learner_described_again_for_the_same_dates_gets_the_same_badge(
        client, db, world, headers):
    first = issue(client, headers)
    again = issue(client, headers)
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(db, Learner) == 3  # the world's two, and Inès once


def test_a_described_learner_the_organisation_knows_is_recognised_by_trimmed_email(
        client, db, world, headers):
    known = client.post("/api/v1/learners", headers=headers, json={
        "name": "Inès Moreau", "email": "ines@example.org"}).get_json()
    response = issue(client, headers, learner={"name": " Inès  Moreau",
                                               "email": " Ines@Example.org "})
    assert response.status_code == 201
    assert response.get_json()["learner_id"] == known["id"]
    assert count(db, Learner) == 3  # the world's two, and Inès once


def test_an_existing_session_gives_its_dates_to_the_badge(client, world, headers):
    response = client.post("/api/v1/credentials", headers=headers, json={
        "session_id": world.session.id, "learner_id": world.learners[0].id,
        "results": ACQUIRED})
    subject = response.get_json()["credential"]["credentialSubject"]
    assert subject["activityStartDate"] == "2026-03-02T00:00:00Z"


def test_not_yet_acquired_is_422_naming_the_gestures_and_keeps_the_evaluation(
        client, db, world, headers):
    response = issue(client, headers, results={"dig-hole": "acquired",
                                               "stake-and-water": "not-yet"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "not_yet_acquired"
    assert [detail["gesture"] for detail in error["details"]] == ["stake-and-water"]
    assert error["details"][0]["required_level"] == "acquired"
    assert count(db, Credential) == 0
    assert db.scalar(select(Assessment)).levels == {"dig-hole": "acquired",
                                                     "stake-and-water": "not-yet"}


def test_unknown_gestures_and_levels_are_422_with_one_detail_each(client, db, world, headers):
    response = issue(client, headers, results={"dig-hole": "brilliant", "sing": "acquired"})
    assert response.status_code == 422
    assert [d["field"] for d in error_of(response)["details"]] == ["results.dig-hole",
                                                                  "results.sing"]
    assert count(db, Learner) == 2


def test_every_field_problem_is_reported_at_once(client, world, headers):
    response = client.post("/api/v1/credentials", headers=headers, json={
        "template_id": "tree-planting", "learner": {"email": "not-an-address"},
        "activity_start": "14/03/2026", "colour": "green"})
    assert response.status_code == 422
    assert sorted(d["field"] for d in error_of(response)["details"]) == [
        "activity_start", "colour", "learner.email", "learner.name", "results"]


def test_an_unknown_template_is_422_on_template_id(client, world, headers):
    response = issue(client, headers, template_id="juggling")
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "template_id"


def test_malformed_json_is_400_with_a_json_error(client, world, headers):
    response = client.post("/api/v1/credentials", data='{"template_id": ',
                           content_type="application/json", headers=headers)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "malformed_json"
    assert error["message"].startswith("the body is not valid JSON: Expecting value at line 1")


def test_a_form_post_is_415(client, world, headers):
    response = client.post("/api/v1/credentials", data={"template_id": "tree-planting"},
                           headers=headers)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_body_over_the_limit_is_413(client, world, headers):
    response = issue(client, headers, narrative="x" * 300_000)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_a_session_of_another_organisation_is_403(client, world, headers, other):
    other_world, _ = other
    response = client.post("/api/v1/credentials", headers=headers, json={
        "session_id": other_world.session.id, "learner_id": world.learners[0].id,
        "results": ACQUIRED})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_a_learner_of_another_organisation_is_403(client, world, headers, other):
    other_world, _ = other
    response = issue(client, headers, learner=None, learner_id=other_world.learners[0].id)
    assert response.status_code == 403


# --- bulk -------------------------------------------------------------------------------------


def test_bulk_issues_the_good_items_and_reports_each_bad_one(client, db, world, headers):
    items = [
        request_body(idempotency_key="row-1"),
        request_body(learner={"name": "Karim B."}, results={"dig-hole": "not-yet"}),
        request_body(learner={"name": "Eva"}, results={"dig-hole": "excellent"}),
        request_body(idempotency_key="row-1"),
        "not an object",
    ]
    response = client.post("/api/v1/credentials/bulk", json=items, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == [201, 422, 422, 200, 422]
    assert [r.get("error", {}).get("code") for r in body["results"]] == [
        None, "not_yet_acquired", "validation_failed", None, "validation_failed"]
    assert body["results"][3]["credential"]["id"] == body["results"][0]["credential"]["id"]
    assert body["summary"] == {"201": 1, "422": 3, "200": 1}
    assert count(db, Credential) == 1


def test_bulk_dry_run_answers_what_would_happen_and_writes_nothing(client, db, world, headers):
    items = [request_body(), request_body(learner={"name": "Karim B."},
                                          results={"dig-hole": "not-yet"})]
    learners_before = count(db, Learner)
    response = client.post("/api/v1/credentials/bulk?dry_run=true", json=items,
                           headers=headers)
    body = response.get_json()
    assert body["dry_run"] is True
    assert [r["status"] for r in body["results"]] == [201, 422]
    assert (count(db, Credential), count(db, Learner)) == (0, learners_before)


def test_bulk_with_more_items_than_allowed_is_413(client, world, headers):
    response = client.post("/api/v1/credentials/bulk", json=[{}] * (MAX_BULK_ITEMS + 1),
                           headers=headers)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_many_items"


def test_bulk_needs_an_array(client, world, headers):
    response = client.post("/api/v1/credentials/bulk", json=request_body(), headers=headers)
    assert response.status_code == 422


# --- list, get, revoke ------------------------------------------------------------------------


def test_the_list_pages_and_filters_by_status(client, world, headers):
    ids = [issue(client, headers, learner={"name": f"Learner {n}"}).get_json()["id"]
           for n in range(3)]
    client.post(f"/api/v1/credentials/{ids[0]}/revoke", json={"reason": "Wrong person"},
                headers=headers)
    page = client.get("/api/v1/credentials?limit=2", headers=headers).get_json()
    assert (page["total"], len(page["items"]), page["next_offset"]) == (3, 2, 2)
    revoked = client.get("/api/v1/credentials?status=revoked", headers=headers).get_json()
    assert [item["id"] for item in revoked["items"]] == [ids[0]]
    valid = client.get("/api/v1/credentials?status=valid", headers=headers).get_json()
    assert sorted(item["id"] for item in valid["items"]) == sorted(ids[1:])


def test_the_list_filters_by_learner_template_and_date(client, world, headers):
    body = issue(client, headers).get_json()
    for query in (f"learner_id={body['learner_id']}", "template_id=tree-planting",
                  "since=2020-01-01"):
        listed = client.get(f"/api/v1/credentials?{query}", headers=headers).get_json()
        assert [item["id"] for item in listed["items"]] == [body["id"]], query
    assert client.get("/api/v1/credentials?since=2999-01-01",
                      headers=headers).get_json()["total"] == 0


def test_bad_list_parameters_are_422_naming_each(client, world, headers):
    response = client.get("/api/v1/credentials?status=lost&limit=0&since=yesterday",
                          headers=headers)
    assert response.status_code == 422
    assert sorted(d["field"] for d in error_of(response)["details"]) == [
        "limit", "since", "status"]


def test_the_list_shows_only_the_organisations_credentials(client, world, headers, other):
    _, other_headers = other
    issue(client, headers)
    assert client.get("/api/v1/credentials", headers=other_headers).get_json()["total"] == 0


def test_get_returns_the_signed_json_exactly_as_stored(client, db, world, headers):
    issued = issue(client, headers).get_json()
    body = client.get(f"/api/v1/credentials/{issued['id']}", headers=headers).get_json()
    stored = db.scalar(select(Credential).where(Credential.uuid == issued["id"]))
    assert body["credential"] == json.loads(stored.signed_json)
    assert body["status"] == "valid"


def test_revoking_shows_on_the_public_verification_page(client, world, headers):
    issued = issue(client, headers).get_json()
    response = client.post(f"/api/v1/credentials/{issued['id']}/revoke",
                           json={"reason": "Issued to the wrong person"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "revoked"
    report = client.get(f"/v/{issued['short_id']}",
                        headers={"Accept": "application/json"}).get_json()
    assert report["verdict"] == "revoked"


def test_revoking_again_answers_200_with_the_first_revocation(client, world, headers):
    uuid = issue(client, headers).get_json()["id"]
    first = client.post(f"/api/v1/credentials/{uuid}/revoke", json={"reason": "First"},
                        headers=headers).get_json()
    again = client.post(f"/api/v1/credentials/{uuid}/revoke", json={"reason": "Second"},
                        headers=headers)
    assert again.status_code == 200
    assert (again.get_json()["revoked_at"], again.get_json()["revocation_reason"]) == (
        first["revoked_at"], "First")


def test_revoking_without_a_reason_is_422(client, world, headers):
    uuid = issue(client, headers).get_json()["id"]
    response = client.post(f"/api/v1/credentials/{uuid}/revoke", json={}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["details"] == [{"field": "reason", "message": "is required"}]


def test_another_organisations_credential_is_403(client, world, headers, other):
    _, other_headers = other
    uuid = issue(client, headers).get_json()["id"]
    assert client.get(f"/api/v1/credentials/{uuid}", headers=other_headers).status_code == 403
    response = client.post(f"/api/v1/credentials/{uuid}/revoke", json={"reason": "Mine now"},
                           headers=other_headers)
    assert response.status_code == 403


def test_an_unknown_credential_is_404(client, world, headers):
    response = client.get("/api/v1/credentials/00000000-0000-4000-8000-000000000000",
                          headers=headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_api_address_is_a_json_404(client, world, headers):
    response = client.get("/api/v1/badges", headers=headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- verify -----------------------------------------------------------------------------------


def test_verify_reports_our_own_credential_valid(client, world, headers):
    document = issue(client, headers).get_json()["credential"]
    report = client.post("/api/v1/verify", json=document, headers=headers).get_json()
    assert (report["verdict"], report["valid"]) == ("valid", True)


def test_verify_reports_a_tampered_credential_not_valid(client, world, headers):
    document = issue(client, headers).get_json()["credential"]
    document["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    response = client.post("/api/v1/verify", json=document, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["valid"] is False


def test_verify_reads_an_uploaded_baked_png(client, world, headers):
    document = issue(client, headers).get_json()["credential"]
    png = baking.bake_png(_tiny_png(), document)
    response = client.post("/api/v1/verify", headers=headers,
                           data={"file": (io.BytesIO(png), "badge.png")},
                           content_type="multipart/form-data")
    assert response.get_json()["verdict"] == "valid"


def forged_jwt(document: dict, key, kid=None) -> str:
    """Our issuer's credential, re-signed as a VC-JWT by `key` (named by `kid` or its JWK)."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["credentialSubject"] = {**unsigned["credentialSubject"], "id": "did:example:mallory"}
    return jwt.sign_jwt(unsigned, key, kid=kid)


@pytest.mark.parametrize("named_by", ["header-jwk", "own-did-key", "other-issuer-kid"])
def test_verify_refuses_a_jwt_naming_our_issuer_but_signed_by_another_key(
        client, db, world, other, headers, named_by):
    document = issue(client, headers).get_json()["credential"]
    attacker = PrivateKey.generate()
    if named_by == "other-issuer-kid":
        record, key = active_key(db, other[0].org)
        token = forged_jwt(document, key, jwt_kid(other[0].org, record))
    else:
        kid = attacker.public_key.did_key_vm if named_by == "own-did-key" else None
        token = forged_jwt(document, attacker, kid)
    report = client.post("/api/v1/verify", data=token, content_type="text/plain",
                         headers=headers).get_json()
    assert (report["verdict"], report["valid"]) == ("invalid", False)
    assert report["issuer"]["id"] == document["issuer"]["id"]
    [binding] = [c for c in report["checks"] if c["name"] == "issuer-binding"]
    assert binding["status"] == "failed"


def test_verify_accepts_a_jwt_signed_by_our_issuers_published_key(client, db, world, headers):
    document = issue(client, headers).get_json()["credential"]
    record, key = active_key(db, world.org)
    token = forged_jwt(document, key, jwt_kid(world.org, record))
    report = client.post("/api/v1/verify", data=token, content_type="text/plain",
                         headers=headers).get_json()
    assert report["verdict"] == "valid"


def test_verify_refuses_text_that_is_not_a_jwt_with_400(client, world, headers):
    response = client.post("/api/v1/verify", data="hello verifier", content_type="text/plain",
                           headers=headers)
    assert response.status_code == 400
    assert error_of(response)["code"] == "unreadable_credential"


def test_verify_refuses_a_json_array_with_422(client, world, headers):
    response = client.post("/api/v1/verify", json=[1, 2], headers=headers)
    assert response.status_code == 422


def test_verify_refuses_an_unknown_content_type_with_415(client, world, headers):
    response = client.post("/api/v1/verify", data=b"%PDF-1.7", content_type="application/pdf",
                           headers=headers)
    assert response.status_code == 415


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


# --- templates --------------------------------------------------------------------------------


def test_templates_list_the_catalogue_with_gesture_and_level_ids(client, world, headers):
    body = client.get("/api/v1/templates", headers=headers).get_json()
    tree = next(item for item in body["items"] if item["id"] == "tree-planting")
    assert tree["version"] == "1.0"
    assert tree["name"] == {"en": "Planting a young tree", "fr": "Planter un jeune arbre"}
    assert [g["id"] for g in tree["gestures"]] == ["dig-hole", "stake-and-water"]
    assert [level["id"] for level in tree["gestures"][0]["levels"]] == ["not-yet", "acquired"]


def test_one_template_by_id_and_an_unknown_one_is_404(client, world, headers):
    assert client.get("/api/v1/templates/tree-planting",
                      headers=headers).get_json()["theme"] == "green-jobs"
    assert client.get("/api/v1/templates/juggling", headers=headers).status_code == 404


# --- learners ---------------------------------------------------------------------------------


def test_a_learner_is_created_and_read_back_with_their_credentials(client, world, headers):
    created = client.post("/api/v1/learners", headers=headers, json={
        "name": "  Inès   Moreau ", "email": "Ines@Example.org", "language": "fr"})
    assert created.status_code == 201
    learner = created.get_json()
    assert (learner["name"], learner["email"]) == ("Inès Moreau", "ines@example.org")
    issued = issue(client, headers, learner=None, learner_id=learner["id"]).get_json()
    body = client.get(f"/api/v1/learners/{learner['id']}", headers=headers).get_json()
    assert [c["id"] for c in body["credentials"]] == [issued["id"]]


def test_a_learner_without_a_name_is_422(client, world, headers):
    response = client.post("/api/v1/learners", headers=headers, json={"email": "a@b.org"})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "name"


def test_the_learner_list_is_only_the_organisations(client, world, headers, other):
    body = client.get("/api/v1/learners", headers=headers).get_json()
    assert sorted(item["name"] for item in body["items"]) == ["Zoé Lefèvre",
                                                             "Łukasz Wiśniewski"]


def test_another_organisations_learner_is_403_and_an_unknown_one_404(
        client, world, headers, other):
    other_world, _ = other
    assert client.get(f"/api/v1/learners/{other_world.learners[0].id}",
                      headers=headers).status_code == 403
    assert client.get("/api/v1/learners/99999", headers=headers).status_code == 404


def test_erasing_a_learner_revokes_their_badge_and_removes_their_data(
        client, db, world, headers):
    issued = issue(client, headers).get_json()
    response = client.delete(f"/api/v1/learners/{issued['learner_id']}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["email"]) == ("erased", None)
    assert body["erased_at"] is not None
    report = client.get(f"/v/{issued['short_id']}",
                        headers={"Accept": "application/json"}).get_json()
    assert report["verdict"] == "revoked"


def test_erasing_twice_answers_the_first_erasure(client, world, headers):
    learner_id = world.learners[0].id
    first = client.delete(f"/api/v1/learners/{learner_id}", headers=headers).get_json()
    again = client.delete(f"/api/v1/learners/{learner_id}", headers=headers)
    assert again.status_code == 200
    assert again.get_json()["erased_at"] == first["erased_at"]


def test_an_erased_learner_cannot_be_issued_a_badge(client, world, headers):
    learner_id = world.learners[0].id
    client.delete(f"/api/v1/learners/{learner_id}", headers=headers)
    response = issue(client, headers, learner=None, learner_id=learner_id)
    assert response.status_code == 422
    assert error_of(response)["code"] == "learner_erased"


def test_timestamps_are_utc_whole_seconds(client, world, headers):
    body = issue(client, headers).get_json()
    parsed = datetime.strptime(body["issued_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert parsed.tzinfo is UTC


# --- no bad input is a server error -----------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
_FIELDS = st.fixed_dictionaries({}, optional={
    "template_id": st.sampled_from(["tree-planting", "juggling"]) | _JSON,
    "session_id": st.integers(min_value=-1, max_value=2**70) | _JSON,
    "learner": st.fixed_dictionaries({}, optional={"name": _JSON, "email": _JSON,
                                                   "language": _JSON}) | _JSON,
    "learner_id": st.integers(min_value=-1, max_value=2**70) | _JSON,
    "results": st.dictionaries(st.sampled_from(["dig-hole", "stake-and-water", "x"]),
                               st.sampled_from(["acquired", "not-yet", "?"]) | _JSON),
    "comments": _JSON,
    "activity_start": st.sampled_from(["2026-03-02", "2026-13-40"]) | _JSON,
    "idempotency_key": _JSON,
})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_FIELDS | _JSON)
def test_no_issue_request_body_is_answered_with_a_server_error(client, world, headers, body):
    response = client.post("/api/v1/credentials", data=json.dumps(body),
                           content_type="application/json", headers=headers)
    # 400: text a database cannot store (NUL, lone surrogates) is refused at the edge.
    assert response.status_code in (200, 201, 400, 403, 409, 422)
    if response.status_code == 400:
        assert error_of(response)["code"] == "invalid_text"
    elif response.status_code >= 400:
        assert set(error_of(response)) == {"code", "message", "details"}


@pytest.mark.parametrize("query", ["limit=99999999999999999999", "offset=-1",
                                   "learner_id=99999999999999999999", "learner_id=١٢",
                                   "since=2026-02-30"])
def test_out_of_range_list_parameters_are_422(client, world, headers, query):
    response = client.get(f"/api/v1/credentials?{query}", headers=headers)
    assert response.status_code == 422


def test_a_huge_learner_id_in_the_path_is_404(client, world, headers):
    response = client.get("/api/v1/learners/99999999999999999999", headers=headers)
    assert response.status_code == 404


def test_deeply_nested_json_is_400(client, world, headers):
    response = client.post("/api/v1/credentials", data="[" * 100_000,
                           content_type="application/json", headers=headers)
    assert response.status_code == 400


# --- learner records -----------------------------------------------------------------------------


def test_the_learner_record_is_a_signed_clr_of_their_badges_that_verifies(
        client, db, world, headers):
    from issuer.core import schema
    from issuer.core.resolver import KeyResolver
    from issuer.core.verify import verify_credential
    from issuer.services.verification import local_fetch_json

    issued = issue(client, headers).get_json()
    response = client.get(f"/api/v1/learners/{issued['learner_id']}/record", headers=headers)
    assert response.status_code == 200
    # The same media type as the learner's download from their claim link.
    assert response.mimetype == "application/vc+ld+json"
    record = response.get_json()
    assert schema.errors(record, "clrcredential") == []
    fetch_json = local_fetch_json(db)
    report = verify_credential(record, resolver=KeyResolver(fetch_json), fetch_json=fetch_json)
    assert report.verdict == "valid"
    [embedded] = record["credentialSubject"]["verifiableCredential"]
    assert embedded == json.loads(db.scalar(select(Credential)).signed_json)


def test_another_organisations_learner_record_is_403_and_an_unknown_one_404(
        client, world, headers, other):
    other_world, _ = other
    assert client.get(f"/api/v1/learners/{other_world.learners[0].id}/record",
                      headers=headers).status_code == 403
    assert client.get("/api/v1/learners/99999/record", headers=headers).status_code == 404


def test_the_learner_record_needs_a_token(client, world):
    assert client.get(f"/api/v1/learners/{world.learners[0].id}/record").status_code == 401
