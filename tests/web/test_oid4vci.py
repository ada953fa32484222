"""OpenID4VCI 1.0 pre-authorized code flow, played from the wallet's side with a real holder key:
metadata → offer by reference → token (optional tx_code) → nonce → credential with a jwt key
proof; every refusal in the spec's own error shape."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import pytest
from sqlalchemy import update

from issuer.core.jwt import verify_jwt
from issuer.core.keys import P256, PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from issuer.services import exchanges, unit_of_work
from issuer.services.publishing import credential_by_uuid
from issuer.services.revocation import revoke
from issuer.services.verification import local_fetch_json, verify_stored
from issuer.store.models import Credential, utcnow
from issuer.store.wallet_models import CredentialOffer
from tests.helpers import key_proof

BASE = "https://badges.example.org"
FORM = "application/x-www-form-urlencoded"
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture
def offer_path(client, badge):
    page = client.get(f"/claim/{badge.claim_token}/wallet").get_data(as_text=True)
    link = html.unescape(re.search(r'href="(openid-credential-offer://[^"]+)"', page).group(1))
    uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    assert uri.startswith(f"{BASE}/oid4vci/offers/")
    return urlsplit(uri).path


def _offer(client, path) -> dict:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def _code(client, path) -> str:
    return _offer(client, path)["grants"][GRANT]["pre-authorized_code"]


def _token_response(client, code, **extra):
    return client.post("/oid4vci/token", data={"grant_type": GRANT,
                                               "pre-authorized_code": code, **extra})


def _access_token(client, path) -> str:
    return _token_response(client, _code(client, path)).get_json()["access_token"]


def _nonce(client) -> str:
    return client.post("/oid4vci/nonce").get_json()["c_nonce"]


def _credential_response(client, token, holder, configuration="OpenBadgeCredential_ldp",
                         nonce=None, **proof_options):
    proof = key_proof(holder, nonce or _nonce(client), iat=datetime.now(UTC), **proof_options)
    return client.post("/oid4vci/credential", headers={"Authorization": f"Bearer {token}"},
                       json={"credential_configuration_id": configuration,
                             "proofs": {"jwt": [proof]}})


def _error(response) -> tuple[int, str]:
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()["error"]


# --- metadata ----------------------------------------------------------------------------------


def test_issuer_metadata_names_this_issuer_exactly(client):
    metadata = client.get("/.well-known/openid-credential-issuer").get_json()
    assert metadata["credential_issuer"] == BASE
    assert metadata["credential_endpoint"] == f"{BASE}/oid4vci/credential"
    assert metadata["nonce_endpoint"] == f"{BASE}/oid4vci/nonce"
    assert {entry["locale"] for entry in metadata["display"]} == {"en", "fr", "nl", "it", "es",
                                                                  "pl"}


def test_issuer_metadata_offers_ldp_vc_and_jwt_vc_json(client):
    configurations = client.get("/.well-known/openid-credential-issuer").get_json()[
        "credential_configurations_supported"]
    ldp, jwt = configurations["OpenBadgeCredential_ldp"], configurations["OpenBadgeCredential_jwt"]
    assert (ldp["format"], jwt["format"]) == ("ldp_vc", "jwt_vc_json")
    assert ldp["credential_definition"]["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert jwt["credential_definition"] == {"type": ["VerifiableCredential",
                                                     "OpenBadgeCredential"]}
    assert ldp["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "EdDSA", "ES256"]


def test_authorization_server_metadata_allows_anonymous_pre_authorized_codes(client):
    metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    assert metadata["issuer"] == BASE
    assert metadata["token_endpoint"] == f"{BASE}/oid4vci/token"
    assert metadata["grant_types_supported"] == [GRANT]
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is True


def test_metadata_for_another_tenant_path_is_not_found(client):
    assert client.get("/.well-known/openid-credential-issuer/other").status_code == 404


# --- offer and token -------------------------------------------------------------------------


def test_offer_by_reference_has_a_pre_authorized_code_and_no_tx_code(client, offer_path):
    offer = _offer(client, offer_path)
    assert offer["credential_issuer"] == BASE
    assert offer["credential_configuration_ids"] == ["OpenBadgeCredential_ldp",
                                                     "OpenBadgeCredential_jwt",
                                                     "OpenBadgeCredential_sd_jwt"]
    assert list(offer["grants"][GRANT]) == ["pre-authorized_code"]


def test_token_response_is_a_short_lived_bearer_token(client, offer_path):
    response = _token_response(client, _code(client, offer_path))
    body = response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    assert len(body["access_token"]) >= 40


def test_wrong_pre_authorized_code_is_invalid_grant(client, offer_path):
    assert _error(_token_response(client, "guessed-code")) == (400, "invalid_grant")


def test_pre_authorized_code_works_once(client, offer_path):
    code = _code(client, offer_path)
    assert _token_response(client, code).status_code == 200
    assert _error(_token_response(client, code)) == (400, "invalid_grant")


def test_redeemed_offer_is_gone(client, offer_path):
    _token_response(client, _code(client, offer_path))
    assert client.get(offer_path).status_code == 404


def test_expired_offer_is_invalid_grant(client, db, offer_path):
    code = _code(client, offer_path)
    with unit_of_work(db):
        db.execute(update(CredentialOffer).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert _error(_token_response(client, code)) == (400, "invalid_grant")


def test_unexpected_tx_code_is_invalid_request(client, offer_path):
    response = _token_response(client, _code(client, offer_path), tx_code="123456")
    assert _error(response) == (400, "invalid_request")


def test_token_request_must_be_form_encoded(client, offer_path):
    response = client.post("/oid4vci/token", json={"grant_type": GRANT,
                                                   "pre-authorized_code": "x"})
    assert _error(response) == (400, "invalid_request")


def test_other_grant_types_are_unsupported(client):
    response = client.post("/oid4vci/token", data={"grant_type": "authorization_code",
                                                   "code": "x"})
    assert _error(response) == (400, "unsupported_grant_type")


@pytest.fixture
def tx_offer(db, badge):
    with unit_of_work(db):
        new = exchanges.create_offer(db, db.get(Credential, badge.id), with_tx_code=True)
    return f"/oid4vci/offers/{new.offer_id}", new.tx_code


def test_offer_with_tx_code_says_so(client, tx_offer):
    path, _tx_code = tx_offer
    assert _offer(client, path)["grants"][GRANT]["tx_code"] == {
        "input_mode": "numeric", "length": 6,
        "description": "The 6-digit code shown next to the QR code"}


def test_right_tx_code_gets_a_token(client, tx_offer):
    path, tx_code = tx_offer
    assert _token_response(client, _code(client, path), tx_code=tx_code).status_code == 200


def test_missing_tx_code_is_invalid_request(client, tx_offer):
    path, _tx_code = tx_offer
    assert _error(_token_response(client, _code(client, path))) == (400, "invalid_request")


def test_wrong_tx_code_is_invalid_grant(client, tx_offer):
    path, tx_code = tx_offer
    wrong = "000000" if tx_code != "000000" else "111111"
    response = _token_response(client, _code(client, path), tx_code=wrong)
    assert _error(response) == (400, "invalid_grant")


def test_too_many_wrong_tx_codes_end_the_offer(client, tx_offer):
    path, tx_code = tx_offer
    code = _code(client, path)
    wrong = "000000" if tx_code != "000000" else "111111"
    for _attempt in range(exchanges.MAX_TX_CODE_FAILURES):
        _token_response(client, code, tx_code=wrong)
    assert _error(_token_response(client, code, tx_code=tx_code)) == (400, "invalid_grant")


# --- nonce and credential ----------------------------------------------------------------------


def test_nonce_endpoint_is_never_cached(client):
    response = client.post("/oid4vci/nonce")
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.get_json()["c_nonce"]) >= 32


def test_ldp_vc_is_the_badge_bound_to_the_proofs_did(client, db, badge, holder, offer_path):
    response = _credential_response(client, _access_token(client, offer_path), holder)
    assert response.status_code == 200
    credential = response.get_json()["credentials"][0]["credential"]
    copy = credential_by_uuid(db, credential["id"].rsplit("/", 1)[1])
    assert credential["credentialSubject"]["id"] == holder.public_key.did_key
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify_stored(db, copy).verdict == "valid"
    assert copy.supersedes_id == badge.id


def test_jwt_vc_json_is_an_eddsa_vc_jwt_named_by_the_did_web_key(client, db, holder, offer_path):
    response = _credential_response(client, _access_token(client, offer_path), holder,
                                    configuration="OpenBadgeCredential_jwt")
    token = response.get_json()["credentials"][0]["credential"]
    result = verify_jwt(token, KeyResolver(local_fetch_json(db)).resolve_jwk)
    assert result.valid, result.messages
    assert result.header["alg"] == "EdDSA"
    assert result.header["kid"].startswith("did:web:badges.example.org:issuers:agfe#")
    assert result.credential["credentialSubject"]["id"] == holder.public_key.did_key


def test_jwt_vc_json_kid_dereferences_to_a_jwk_an_independent_verifier_accepts(
        client, db, holder, offer_path):
    response = _credential_response(client, _access_token(client, offer_path), holder,
                                    configuration="OpenBadgeCredential_jwt")
    token = response.get_json()["credentials"][0]["credential"]
    kid = pyjwt.get_unverified_header(token)["kid"]
    document = client.get("/issuers/agfe/did.json").get_json()
    [method] = [m for m in document["verificationMethod"] if m["id"] == kid]
    assert kid in document["assertionMethod"]
    claims = pyjwt.decode(token, pyjwt.PyJWK(method["publicKeyJwk"]), algorithms=["EdDSA"],
                          options={"verify_aud": False})
    assert claims["iss"] == document["id"]
    report = verify_credential(token, resolver=KeyResolver(local_fetch_json(db)))
    assert report.check("issuer-binding").status == "passed"
    assert report.verdict == "valid"


def test_jwk_key_proof_binds_to_the_did_key_of_that_jwk(client, offer_path):
    holder = PrivateKey.generate(P256)
    response = _credential_response(client, _access_token(client, offer_path), holder, by="jwk")
    credential = response.get_json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == holder.public_key.did_key


def test_missing_access_token_is_401_with_a_bearer_challenge(client):
    response = client.post("/oid4vci/credential", json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_access_token_is_invalid_token(client, holder):
    response = _credential_response(client, "not-a-token", holder)
    assert _error(response) == (401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_wrong_nonce_is_invalid_nonce(client, holder, offer_path):
    response = _credential_response(client, _access_token(client, offer_path), holder,
                                    nonce="made-up-nonce")
    assert _error(response) == (400, "invalid_nonce")


def test_nonce_works_once(client, holder, offer_path):
    token, nonce = _access_token(client, offer_path), _nonce(client)
    assert _credential_response(client, token, holder, nonce=nonce).status_code == 200
    assert _error(_credential_response(client, token, holder, nonce=nonce)) == (
        400, "invalid_nonce")


def test_wrong_audience_is_invalid_proof(client, holder, offer_path):
    response = _credential_response(client, _access_token(client, offer_path), holder,
                                    aud="https://evil.example")
    assert _error(response) == (400, "invalid_proof")


def test_missing_proofs_is_invalid_proof(client, offer_path):
    response = client.post("/oid4vci/credential",
                           headers={"Authorization": f"Bearer {_access_token(client, offer_path)}"},
                           json={"credential_configuration_id": "OpenBadgeCredential_ldp"})
    assert _error(response) == (400, "invalid_proof")


def test_unknown_configuration_is_refused(client, holder, offer_path):
    response = _credential_response(client, _access_token(client, offer_path), holder,
                                    configuration="UniversityDegree")
    assert _error(response) == (400, "unknown_credential_configuration")


def test_missing_configuration_is_invalid_credential_request(client, offer_path):
    response = client.post("/oid4vci/credential",
                           headers={"Authorization": f"Bearer {_access_token(client, offer_path)}"},
                           json={"proofs": {"jwt": ["x.y.z"]}})
    assert _error(response) == (400, "invalid_credential_request")


def test_revoked_badge_is_credential_request_denied(client, db, world, badge, holder,
                                                    offer_path):
    token = _access_token(client, offer_path)
    with unit_of_work(db):
        revoke(db, db.get(Credential, badge.id), "issued by mistake", world.admin)
    assert _error(_credential_response(client, token, holder)) == (400,
                                                                   "credential_request_denied")


def test_expired_access_token_is_invalid_token(client, db, holder, offer_path):
    token = _access_token(client, offer_path)
    with unit_of_work(db):
        db.execute(update(CredentialOffer).values(
            token_expires_at=utcnow() - timedelta(seconds=1)))
    assert _error(_credential_response(client, token, holder)) == (401, "invalid_token")
