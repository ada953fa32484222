"""The W3C VC-API adapter (issue 15): issue, verify credentials and presentations, as the W3C
suites call it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from issuer.core import jwt, proofs
from issuer.core.keys import PublicKey
from issuer.services import unit_of_work
from issuer.services.api_tokens import create_token
from issuer.services.keys import active_key, issuer_did
from issuer.store.models import AuditEvent, Organisation, VcApiStatus
from tests.helpers import document, make_world, partner
from tests.helpers import issue as issue_badge

VC1 = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
       "id": "urn:uuid:1f0c2b7e-0000-4000-8000-000000000001",
       "issuanceDate": "2025-01-01T00:00:00Z",
       "credentialSubject": {"id": "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r"}}
VC2 = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
       "credentialSubject": {"id": "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r"}}


@pytest.fixture
def signer_headers(db, world):
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "W3C suites", scopes=("read", "sign"))
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def org_did_key(db, world):
    with unit_of_work(db):
        record, _key = active_key(db, world.org)
    return PublicKey.from_multibase(record.public_multibase).did_key


def issue(client, headers, credential, options=None):
    body = {"credential": credential, **({"options": options} if options else {})}
    return client.post("/api/v1/credentials/issue", json=body, headers=headers)


@pytest.mark.parametrize("credential", [VC1, VC2], ids=["vc1.1", "vc2.0"])
def test_issue_signs_as_the_organisation_and_verifies(client, signer_headers, org_did_key,
                                                      credential):
    response = issue(client, signer_headers, {**credential, "issuer": org_did_key})
    assert response.status_code == 201, response.json
    signed = response.json["verifiableCredential"]
    assert signed["proof"]["verificationMethod"].startswith(org_did_key + "#")
    verified = client.post("/api/v1/credentials/verify", headers=signer_headers,
                           json={"verifiableCredential": signed})
    assert verified.status_code == 200, verified.json
    assert verified.json["verified"] is True and "proof" in verified.json["checks"]


def test_issue_under_the_did_web_uses_the_published_key(client, db, world, signer_headers):
    response = issue(client, signer_headers, {**VC2, "issuer": {"id": issuer_did(world.org)}})
    assert response.status_code == 201
    method = response.json["verifiableCredential"]["proof"]["verificationMethod"]
    assert method.startswith(issuer_did(world.org) + "#")


def test_issue_refuses_another_issuer_and_a_broken_data_model(client, signer_headers,
                                                              org_did_key):
    other = issue(client, signer_headers, {**VC2, "issuer": "did:example:someone-else"})
    assert other.status_code == 400 and "issuer" in other.json["error"]["message"]
    typeless = {**VC2, "issuer": org_did_key, "evidence": [{"name": "photo"}]}
    refused = issue(client, signer_headers, typeless)
    assert refused.status_code == 422
    assert refused.json["error"]["message"].startswith("evidence:")
    assert issue(client, signer_headers, {**VC2, "issuer": None}).status_code == 422
    no_credential = client.post("/api/v1/credentials/issue", headers=signer_headers,
                                json={"verifiableCredential": VC2})
    assert no_credential.status_code == 400


def test_issue_needs_the_sign_permission(client, headers, org_did_key):
    response = issue(client, headers, {**VC2, "issuer": org_did_key})
    assert response.status_code == 403
    assert issue(client, {}, {**VC2, "issuer": org_did_key}).status_code == 401


def test_issue_with_a_status_entry_takes_a_slot_of_the_revocation_list(client, signer_headers,
                                                                       org_did_key):
    response = issue(client, signer_headers, {**VC2, "issuer": org_did_key},
                     {"credentialStatus": {"type": "BitstringStatusListEntry"}})
    assert response.status_code == 201, response.json
    entry = response.json["verifiableCredential"]["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    verified = client.post("/api/v1/credentials/verify", headers=signer_headers,
                           json={"verifiableCredential": response.json["verifiableCredential"]})
    assert verified.status_code == 200, verified.json
    assert "status" in verified.json["checks"]


def test_verify_refuses_a_tampered_credential_with_422(client, signer_headers, org_did_key):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key}).json[
        "verifiableCredential"]
    signed["credentialSubject"]["id"] = "did:example:mallory"
    response = client.post("/api/v1/credentials/verify", headers=signer_headers,
                           json={"verifiableCredential": signed})
    assert response.status_code == 422
    assert response.json["verified"] is False and response.json["error"]["code"] == "not_verified"
    missing = client.post("/api/v1/credentials/verify", headers=signer_headers,
                          json={"credential": signed})
    assert missing.status_code == 400


def test_verify_presentation_checks_the_holder_proof_and_each_credential(
        client, signer_headers, org_did_key, holder):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key}).json[
        "verifiableCredential"]
    presentation = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiablePresentation"], "holder": holder.public_key.did_key,
                    "verifiableCredential": [signed]}
    vp = proofs.sign(presentation, holder, holder.public_key.did_key_vm,
                     proof_purpose="authentication", challenge="c-123", domain="example.org")
    body = {"verifiablePresentation": vp, "options": {"challenge": "c-123",
                                                      "domain": "example.org"}}
    ok = client.post("/api/v1/presentations/verify", headers=signer_headers, json=body)
    assert ok.status_code == 200, ok.json
    wrong = {**body, "options": {"challenge": "other"}}
    assert client.post("/api/v1/presentations/verify", headers=signer_headers,
                       json=wrong).status_code == 422
    no_context = {"verifiablePresentation": {k: v for k, v in vp.items() if k != "@context"}}
    assert client.post("/api/v1/presentations/verify", headers=signer_headers,
                       json=no_context).status_code == 422


def test_issue_with_eddsa_jcs_2022_when_asked(client, signer_headers, org_did_key):
    response = issue(client, signer_headers, {**VC2, "issuer": org_did_key},
                     {"cryptosuite": "eddsa-jcs-2022"})
    assert response.status_code == 201, response.json
    signed = response.json["verifiableCredential"]
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    verified = client.post("/api/v1/credentials/verify", headers=signer_headers,
                           json={"verifiableCredential": signed})
    assert verified.status_code == 200, verified.json
    unknown = issue(client, signer_headers, {**VC2, "issuer": org_did_key},
                    {"cryptosuite": "ecdsa-rdfc-2019"})
    assert unknown.status_code == 400


# --- POST /credentials/status (VC-API "update status") ----------------------------------------

BOTH = {"credentialStatus": [{"type": "BitstringStatusListEntry"},
                             {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}]}


@pytest.fixture
def status_headers(db, world):
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "W3C suites", scopes=("read", "status"))
    return {"Authorization": f"Bearer {plain}"}


def update_status(client, headers, credential_id, *statuses):
    body = {"credentialId": credential_id,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": s}
                                 for s in statuses]}
    return client.post("/api/v1/credentials/status", json=body, headers=headers)


def verdict(client, headers, signed):
    return client.post("/api/v1/credentials/verify", headers=headers,
                       json={"verifiableCredential": signed}).json["verdict"]


def test_issue_with_revocation_and_suspension_entries_records_both_slots(
        client, db, signer_headers, org_did_key):
    credential = {**VC2, "id": "urn:uuid:0d7a0000-0000-4000-8000-00000000000a",
                  "issuer": org_did_key}
    response = issue(client, signer_headers, credential, BOTH)
    assert response.status_code == 201, response.json
    entries = response.json["verifiableCredential"]["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert entries[0]["statusListCredential"] != entries[1]["statusListCredential"]
    slots = db.scalars(select(VcApiStatus)).all()
    assert {(s.credential_id, s.status_list.purpose, s.status_index) for s in slots} == {
        (credential["id"], e["statusPurpose"], int(e["statusListIndex"])) for e in entries}


def test_issue_with_a_status_gives_an_id_to_a_credential_without_one(
        client, signer_headers, org_did_key):
    response = issue(client, signer_headers, {**VC2, "issuer": org_did_key},
                     {"credentialStatus": {"type": "BitstringStatusListEntry"}})
    assert response.json["verifiableCredential"]["id"].startswith("urn:uuid:")


def test_issue_refuses_to_replace_a_status_the_credential_already_has(
        client, db, signer_headers, org_did_key):
    own = {"id": "https://example.org/status/1#5", "type": "BitstringStatusListEntry",
           "statusPurpose": "revocation", "statusListIndex": "5",
           "statusListCredential": "https://example.org/status/1"}
    response = issue(client, signer_headers, {**VC2, "issuer": org_did_key,
                                              "credentialStatus": own},
                     {"credentialStatus": {"type": "BitstringStatusListEntry"}})
    assert response.status_code == 400
    assert db.scalars(select(VcApiStatus)).all() == []


def test_update_status_revokes_a_credential_issued_through_the_vc_api(
        client, signer_headers, status_headers, org_did_key):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key}, BOTH).json[
        "verifiableCredential"]
    assert verdict(client, signer_headers, signed) == "valid"
    response = update_status(client, status_headers, signed["id"], "revoked")
    assert response.status_code == 200, response.json
    assert response.json == {"credentialId": signed["id"], "credentialStatus": [
        {"type": "BitstringStatusListEntry", "status": "revoked"}]}
    assert verdict(client, signer_headers, signed) == "revoked"


def test_update_status_suspends_and_unsuspends(client, signer_headers, status_headers,
                                               org_did_key):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key}, BOTH).json[
        "verifiableCredential"]
    assert update_status(client, status_headers, signed["id"], "suspended").status_code == 200
    assert verdict(client, signer_headers, signed) == "suspended"
    assert update_status(client, status_headers, signed["id"], "unsuspended").status_code == 200
    assert verdict(client, signer_headers, signed) == "valid"


def test_update_status_cannot_suspend_without_a_suspension_entry(
        client, signer_headers, status_headers, org_did_key):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key},
                   {"credentialStatus": {"type": "BitstringStatusListEntry"}}).json[
        "verifiableCredential"]
    response = update_status(client, status_headers, signed["id"], "suspended")
    assert response.status_code == 400 and "no suspension entry" in response.json["error"][
        "message"]
    assert verdict(client, signer_headers, signed) == "valid"


def test_update_status_of_another_organisations_credential_is_not_found(
        client, db, signer_headers, org_did_key):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key}, BOTH).json[
        "verifiableCredential"]
    partner(db, "mirec")
    other = db.scalar(select(Organisation).where(Organisation.slug == "mirec"))
    with unit_of_work(db):
        _record, plain = create_token(db, other, "theirs", scopes=("status",))
    response = update_status(client, {"Authorization": f"Bearer {plain}"}, signed["id"],
                             "revoked")
    assert response.status_code == 404
    assert verdict(client, signer_headers, signed) == "valid"


def test_update_status_of_an_unknown_credential_is_not_found(client, status_headers):
    assert update_status(client, status_headers, "urn:uuid:unknown", "revoked"
                         ).status_code == 404


def test_update_status_needs_the_status_permission(client, signer_headers, org_did_key):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key}, BOTH).json[
        "verifiableCredential"]
    response = update_status(client, signer_headers, signed["id"], "revoked")
    assert response.status_code == 403 and "'status'" in response.json["error"]["message"]


@pytest.mark.parametrize("body", [
    {"credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}]},
    {"credentialId": "urn:x", "credentialStatus": []},
    {"credentialId": "urn:x", "credentialStatus": [{"type": "StatusList2021Entry",
                                                   "status": "revoked"}]},
    {"credentialId": "urn:x", "credentialStatus": [{"type": "BitstringStatusListEntry",
                                                   "status": "expired"}]},
    {"credentialId": "urn:x", "credentialStatus": [
        {"type": "BitstringStatusListEntry", "status": "suspended"},
        {"type": "BitstringStatusListEntry", "status": "unsuspended"}]},
], ids=["no-id", "empty", "other-type", "unknown-status", "two-for-one-purpose"])
def test_update_status_refuses_a_malformed_request_with_400(client, status_headers, body):
    response = client.post("/api/v1/credentials/status", json=body, headers=status_headers)
    assert response.status_code == 400


def test_update_status_is_audited(client, db, signer_headers, status_headers, org_did_key):
    signed = issue(client, signer_headers, {**VC2, "issuer": org_did_key}, BOTH).json[
        "verifiableCredential"]
    update_status(client, status_headers, signed["id"], "suspended", "revoked")
    events = db.scalars(select(AuditEvent).where(AuditEvent.subject == signed["id"])).all()
    assert sorted(e.action for e in events) == ["vc_api.issued", "vc_api.revoked",
                                                "vc_api.suspended"]
    assert all(e.detail["api_token"] for e in events)


def test_the_openapi_document_describes_update_status(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/credentials/status"]["post"]
    assert operation["operationId"] == "vcApiUpdateStatus"
    assert set(operation["responses"]) >= {"200", "400", "403", "404"}


# --- VC-JOSE-COSE envelopes ---------------------------------------------------------------------

ENVELOPE = {"envelope": "application/vc+jwt"}


def test_issue_with_an_envelope_answers_an_enveloped_vc_jwt_that_verifies(
        client, signer_headers, org_did_key):
    response = issue(client, signer_headers, {**VC2, "issuer": org_did_key}, ENVELOPE)
    assert response.status_code == 201, response.json
    enveloped = response.json["verifiableCredential"]
    assert enveloped["@context"] == "https://www.w3.org/ns/credentials/v2"
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert enveloped["id"].startswith("data:application/vc+jwt,ey")
    verified = client.post("/api/v1/credentials/verify", headers=signer_headers,
                           json={"verifiableCredential": enveloped})
    assert verified.status_code == 200, verified.json
    assert {"proof", "issuer-binding"} <= set(verified.json["checks"])


def test_an_enveloped_credential_keeps_its_status_entry(client, signer_headers, status_headers,
                                                        org_did_key):
    options = {**ENVELOPE, "credentialStatus": {"type": "BitstringStatusListEntry"}}
    response = issue(client, signer_headers, {**VC2, "issuer": org_did_key}, options)
    enveloped = response.json["verifiableCredential"]
    _header, payload = jwt.decode_jwt(enveloped["id"].split(",", 1)[1])
    assert update_status(client, status_headers, payload["id"], "revoked").status_code == 200
    assert verdict(client, signer_headers, enveloped) == "revoked"


@pytest.mark.parametrize("credential, options", [
    (VC1, ENVELOPE),
    (VC2, {"envelope": "application/cose"}),
    (VC2, {**ENVELOPE, "cryptosuite": "eddsa-jcs-2022"}),
], ids=["vc1.1", "cose", "with-cryptosuite"])
def test_issue_refuses_an_envelope_it_cannot_make(client, signer_headers, org_did_key,
                                                  credential, options):
    response = issue(client, signer_headers, {**credential, "issuer": org_did_key}, options)
    assert response.status_code == 400


def test_update_status_changes_every_credential_issued_under_that_id(
        client, signer_headers, status_headers, org_did_key):
    credential = {**VC2, "id": "urn:uuid:0d7a0000-0000-4000-8000-0000000000bb",
                  "issuer": org_did_key}
    first, second = (issue(client, signer_headers, credential, BOTH).json["verifiableCredential"]
                     for _ in range(2))
    assert update_status(client, status_headers, credential["id"], "revoked").status_code == 200
    assert [verdict(client, signer_headers, c) for c in (first, second)] == ["revoked"] * 2


def test_update_status_holds_and_revokes_one_of_the_services_own_badges(
        client, db, world, status_headers):
    badge = issue_badge(db, world, world.learners[0])
    badge_id = document(badge)["id"]

    def page_verdict():
        return client.get(f"/v/{badge.short_id}", headers={"Accept": "application/json"}
                          ).json["verdict"]

    assert update_status(client, status_headers, badge_id, "suspended").status_code == 200
    assert page_verdict() == "suspended"
    assert update_status(client, status_headers, badge_id, "unsuspended").status_code == 200
    assert page_verdict() == "valid"
    assert update_status(client, status_headers, badge_id, "revoked").status_code == 200
    assert page_verdict() == "revoked"
    refused = update_status(client, status_headers, badge_id, "suspended")
    assert refused.status_code == 400 and "revoked badge" in refused.json["error"]["message"]


def test_update_status_never_reaches_another_organisations_badge(client, db, status_headers):
    theirs = make_world(db, slug="barka", learner_names=("Anna Nowak",))
    badge = issue_badge(db, theirs, theirs.learners[0])
    response = update_status(client, status_headers, document(badge)["id"], "suspended")
    assert response.status_code == 404
    db.expire_all()
    assert badge.suspended_at is None
