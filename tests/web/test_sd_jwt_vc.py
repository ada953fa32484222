"""Badges for EU wallets as SD-JWT VC over OpenID4VCI, played from the wallet's side with a
real holder key, then presented to `/verify` as an employer would; and the offer guarded by a
transaction code, from the learner's wallet page to the token endpoint."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from jwcrypto.jwk import JWK
from openbadgeslib.ob3.eudi import verify_badge_sd_jwt
from sd_jwt.verifier import SDJWTVerifier

from issuer.core import sd_jwt
from issuer.core.keys import P256, PrivateKey, PublicKey
from issuer.core.multibase import b64url, unb64url
from issuer.services import exchanges, unit_of_work
from issuer.services.keys import active_key
from issuer.services.publishing import organisation_by_slug
from issuer.services.revocation import revoke
from issuer.store.models import Credential
from tests.helpers import issue, key_proof, open_claim, partner

BASE = "https://badges.example.org"
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
SD_JWT = "OpenBadgeCredential_sd_jwt"
EMPLOYER = "https://employer.example"
HOLDER = PrivateKey.generate(P256)


def _offer_path(client, page_path) -> tuple[str, str]:
    page = client.get(page_path).get_data(as_text=True)
    link = html.unescape(re.search(r'href="(openid-credential-offer://[^"]+)"', page).group(1))
    uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    return urlsplit(uri).path, page


def _sd_jwt_credential(client, badge, holder=HOLDER, by="kid") -> str:
    path, _page = _offer_path(client, f"/claim/{badge.claim_token}/wallet")
    offer = client.get(path).get_json()
    assert SD_JWT in offer["credential_configuration_ids"]
    code = offer["grants"][GRANT]["pre-authorized_code"]
    token = client.post("/oid4vci/token", data={"grant_type": GRANT,
                                                "pre-authorized_code": code}).get_json()
    nonce = client.post("/oid4vci/nonce").get_json()["c_nonce"]
    proof = key_proof(holder, nonce, iat=datetime.now(UTC), by=by)
    response = client.post("/oid4vci/credential",
                           headers={"Authorization": f"Bearer {token['access_token']}"},
                           json={"credential_configuration_id": SD_JWT,
                                 "proofs": {"jwt": [proof]}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["credentials"][0]["credential"]


@pytest.fixture
def issued(client, badge) -> str:
    return _sd_jwt_credential(client, badge)


def _payload(token: str) -> dict:
    return json.loads(unb64url(token.split("~")[0].split(".")[1]))


def _verify(client, presentation, nonce=None, audience=None, html_page=False):
    data = {"credential": presentation}
    if nonce:
        data["nonce"] = nonce
    if audience:
        data["audience"] = audience
    headers = {} if html_page else {"Accept": "application/json"}
    return client.post("/verify", data=data, headers=headers)


# --- metadata ------------------------------------------------------------------------------


def test_issuer_metadata_offers_dc_sd_jwt_with_a_resolvable_vct(client):
    metadata = client.get("/.well-known/openid-credential-issuer").get_json()
    configuration = metadata["credential_configurations_supported"][SD_JWT]
    assert configuration["format"] == "dc+sd-jwt"
    assert configuration["vct"] == f"{BASE}/types/open-badge"
    assert configuration["cryptographic_binding_methods_supported"] == ["jwk"]
    assert configuration["credential_signing_alg_values_supported"] == ["EdDSA"]
    assert "credential_definition" not in configuration
    type_metadata = client.get(urlsplit(configuration["vct"]).path).get_json()
    assert type_metadata["vct"] == configuration["vct"]
    assert {entry["locale"] for entry in type_metadata["display"]} == {
        "en", "fr", "nl", "es", "it", "pl"}
    sd = {tuple(claim["path"]): claim["sd"] for claim in type_metadata["claims"]}
    assert sd[("achievement",)] == "never" and sd[("credentialSubject", "name")] == "always"


def test_the_credential_is_an_sd_jwt_vc_bound_to_the_wallet_key(client, issued, world):
    jwt, disclosures, kb = sd_jwt.split(issued)
    header, payload = (json.loads(unb64url(part)) for part in jwt.split(".")[:2])
    assert (header["typ"], header["alg"], kb) == ("dc+sd-jwt", "EdDSA", "")
    assert payload["iss"] == f"{BASE}/issuers/{world.org.slug}"
    assert payload["vct"] == f"{BASE}/types/open-badge"
    assert payload["cnf"] == {"jwk": HOLDER.public_key.to_jwk()}
    assert payload["_sd_alg"] == "sha-256"
    assert payload["achievement"]["name"]
    subject = payload["credentialSubject"]  # the results stay: they are the achievement's
    assert "_sd" in subject and not {"id", "name", "identifier"} & set(subject)
    assert payload["status"]["status_list"]["uri"].startswith(f"{BASE}/status/")
    assert "Zoé" not in json.dumps(payload, ensure_ascii=False)
    names = {json.loads(unb64url(d))[1] for d in disclosures}
    assert names == {"id", "name", "identifier"} or names == {"id", "identifier"}


def test_the_issuer_key_is_discovered_from_jwt_vc_issuer_metadata(client, issued, world):
    iss = _payload(issued)["iss"]
    metadata = client.get("/.well-known/jwt-vc-issuer" + urlsplit(iss).path).get_json()
    assert metadata["issuer"] == iss
    header = json.loads(unb64url(issued.split(".")[0]))
    (key,) = [k for k in metadata["jwks"]["keys"] if k["kid"] == header["kid"]]
    public = PublicKey.from_jwk({k: v for k, v in key.items() if k in ("kty", "crv", "x")})
    assert sd_jwt.verify(issued, lambda h, p: public).claims["achievement"]
    assert "d" not in key


def test_issuer_metadata_lists_only_that_organisations_keys(client, db, world, issued):
    partner(db, "other")
    with unit_of_work(db):
        active_key(db, organisation_by_slug(db, "other"))
    ours = client.get(f"/.well-known/jwt-vc-issuer/issuers/{world.org.slug}").get_json()
    theirs = client.get("/.well-known/jwt-vc-issuer/issuers/other").get_json()
    assert {k["x"] for k in ours["jwks"]["keys"]}.isdisjoint(
        {k["x"] for k in theirs["jwks"]["keys"]})
    assert client.get("/.well-known/jwt-vc-issuer/issuers/nobody").status_code == 404
    assert client.get("/.well-known/jwt-vc-issuer/elsewhere/x").status_code == 404


def test_a_badge_signed_by_another_organisation_for_ours_does_not_verify(client, db, world,
                                                                          issued):
    partner(db, "other")
    with unit_of_work(db):
        _record, their_key = active_key(db, organisation_by_slug(db, "other"))
    payload = {k: v for k, v in _payload(issued).items() if k != "_sd_alg"}
    forged = sd_jwt.issue(payload, [], their_key, {"kid": "forged"})
    body = _verify(client, forged).get_json()
    assert body["verified"] is False and "key" in body["error"]


def test_independent_verifiers_accept_the_service_issued_credential(client, issued, world):
    """The real issued payload (status, achievement, results), its key taken from our JWT VC
    Issuer Metadata, checked by the OWF reference and by openbadgeslib[eudi]."""
    metadata = client.get(f"/.well-known/jwt-vc-issuer/issuers/{world.org.slug}").get_json()
    kid = json.loads(unb64url(issued.split(".")[0]))["kid"]
    (jwk,) = [k for k in metadata["jwks"]["keys"] if k["kid"] == kid]
    public = JWK(**{k: v for k, v in jwk.items() if k in ("kty", "crv", "x")})
    presentation = sd_jwt.present(issued, ["identifier"], HOLDER, "n-9", EMPLOYER)
    owf = SDJWTVerifier(presentation, lambda iss, header: public, expected_aud=EMPLOYER,
                        expected_nonce="n-9").get_verified_payload()
    assert owf["credentialSubject"]["identifier"] and "id" not in owf["credentialSubject"]
    theirs = verify_badge_sd_jwt(presentation, pubkey_pem=public.export_to_pem(),
                                 audience=EMPLOYER, nonce="n-9", require_key_binding=True,
                                 expected_vct=f"{BASE}/types/open-badge")
    assert theirs.key_bound and theirs.claims["achievement"] == owf["achievement"]


# --- presenting to /verify -------------------------------------------------------------------


def test_a_fresh_key_bound_presentation_is_valid_and_shows_what_was_disclosed(client, issued):
    presentation = sd_jwt.present(issued, ["identifier"], HOLDER, "n-42", EMPLOYER)
    body = _verify(client, presentation, "n-42", EMPLOYER).get_json()
    assert body["verified"] is True, body
    assert (body["key_bound"], body["status"], body["unproven"]) == (True, "valid", [])
    assert (body["verdict"], body["own_issuer"]) == ("valid", True)
    assert [item["path"] for item in body["disclosed"]] == ["credentialSubject.identifier"]
    assert "id" not in body["claims"]["credentialSubject"]  # the holder kept the DID back
    page = _verify(client, presentation, "n-42", EMPLOYER, html_page=True)
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and '<h1 id="verdict-title">Valid</h1>' in text
    assert "credentialSubject.identifier" in text and "Zoé Lefèvre" in text
    hidden = _verify(client, sd_jwt.present(issued, [], HOLDER, "n-42", EMPLOYER), "n-42",
                     EMPLOYER, html_page=True).get_data(as_text=True)
    assert "Zo\u00e9" not in hidden and "Zoé" not in html.unescape(hidden)


def test_without_key_binding_verify_never_says_valid(client, issued):
    body = _verify(client, sd_jwt.present(issued, ["name"])).get_json()
    assert body["verified"] is False and body["key_bound"] is False
    assert any("no key binding" in item for item in body["unproven"])
    text = _verify(client, sd_jwt.present(issued, ["name"]), html_page=True).get_data(
        as_text=True)
    assert "None: anyone with a copy could have presented it" in text
    assert '<h1 id="verdict-title">Valid</h1>' not in text


def test_without_the_expected_nonce_the_freshness_is_unproven(client, issued):
    presentation = sd_jwt.present(issued, [], HOLDER, "n-42", EMPLOYER)
    body = _verify(client, presentation).get_json()
    assert body["key_bound"] is True and body["verified"] is False
    assert any("nonce" in item for item in body["unproven"])


def test_a_replay_to_another_verifier_is_refused(client, issued):
    presentation = sd_jwt.present(issued, [], HOLDER, "n-42", EMPLOYER)
    body = _verify(client, presentation, "n-42", "https://other.example").get_json()
    assert body["verified"] is False and "aud" in body["error"]
    page = _verify(client, presentation, "n-1", EMPLOYER, html_page=True)
    assert page.status_code == 422 and "Not verified" in page.get_data(as_text=True)
    assert body["verdict"] == "invalid"


def test_a_revoked_badge_reads_revoked_in_the_token_status_list(client, db, world, badge,
                                                                 issued):
    with unit_of_work(db):
        revoke(db, db.get(Credential, badge.id), "issued by mistake", world.admin)
    presentation = sd_jwt.present(issued, [], HOLDER, "n", EMPLOYER)
    body = _verify(client, presentation, "n", EMPLOYER).get_json()
    assert (body["status"], body["verified"]) == ("revoked", False)
    uri = _payload(issued)["status"]["status_list"]["uri"]
    response = client.get(urlsplit(uri).path)
    assert response.mimetype == "application/statuslist+jwt"
    assert json.loads(unb64url(response.get_data(as_text=True).split(".")[0]))["typ"] == \
        "statuslist+jwt"


def test_oversized_or_garbled_presentations_are_clear_4xx(client, issued):
    jwt = issued.split("~")[0]
    body = _verify(client, jwt + "~" + "~".join(["WyJhIiwiYiIsMV0"] * 100) + "~").get_json()
    assert body["verified"] is False and "more than" in body["error"]
    response = _verify(client, issued, nonce="x" * 600)
    assert response.status_code == 400


DID_ISSUER = PrivateKey.generate()
DID_JWK = "did:jwk:" + b64url(json.dumps(DID_ISSUER.public_key.to_jwk()).encode())


@pytest.mark.parametrize("status", [
    "revoked", {"status_list": "x"}, {"status_list": {"uri": 5, "idx": "a"}},
    {"status_list": {"uri": f"{BASE}/status/00000000-0000-0000-0000-000000000000/token",
                     "idx": 0}},
    {"status_list": {"uri": "http://127.0.0.1:1/token", "idx": -1}},
])
def test_an_odd_status_is_unproven_or_refused_never_a_crash(client, status):
    token = sd_jwt.issue({"iss": DID_JWK, "vct": "urn:x", "status": status,
                          "cnf": {"jwk": HOLDER.public_key.to_jwk()},
                          "achievement": {"name": "X"}}, [], DID_ISSUER, {"kid": DID_JWK + "#0"})
    presentation = sd_jwt.present(token, [], HOLDER, "n", EMPLOYER)
    response = _verify(client, presentation, "n", EMPLOYER)
    body = response.get_json()
    assert response.status_code == 200 and body["verified"] is False
    assert body["error"] or body["unproven"]
    assert body["verdict"] != "valid"


@pytest.mark.parametrize("claims", [{"achievement": "a string"}, {"achievement": ["x"]},
                                    {"issuer": "no object", "name": {"en": "x"}}])
def test_odd_claims_of_another_issuer_render_a_page(client, claims):
    token = sd_jwt.issue({"iss": DID_JWK, **claims}, [], DID_ISSUER, {"kid": DID_JWK + "#0"})
    response = _verify(client, token, html_page=True)
    assert response.status_code == 200
    assert "Valid</h1>" not in response.get_data(as_text=True)


# --- the offer with a transaction code ------------------------------------------------------


@pytest.fixture
def code_offer(client, badge):
    path, page = _offer_path(client, f"/claim/{badge.claim_token}/wallet/code")
    digits = re.search(r'class="tx-code"[^>]*><strong>(\d{3})&nbsp;(\d{3})</strong>', page)
    return path, digits.group(1) + digits.group(2)


def test_wallet_page_links_to_the_offer_with_a_code(client, badge):
    page = client.get(f"/claim/{badge.claim_token}/wallet").get_data(as_text=True)
    assert f"/claim/{badge.claim_token}/wallet/code" in page


def test_offer_with_a_code_shows_the_code_apart_and_asks_the_wallet_for_it(client, code_offer):
    path, tx_code = code_offer
    grant = client.get(path).get_json()["grants"][GRANT]
    assert grant["tx_code"]["length"] == 6 and grant["tx_code"]["input_mode"] == "numeric"
    assert tx_code not in json.dumps(grant)  # the code never travels with the offer
    ok = client.post("/oid4vci/token", data={"grant_type": GRANT, "tx_code": tx_code,
                                             "pre-authorized_code": grant["pre-authorized_code"]})
    assert ok.status_code == 200 and ok.get_json()["access_token"]


def test_token_endpoint_refuses_a_wrong_code_and_stops_after_five(client, code_offer):
    path, tx_code = code_offer
    code = client.get(path).get_json()["grants"][GRANT]["pre-authorized_code"]
    wrong = "000000" if tx_code != "000000" else "111111"
    for _attempt in range(exchanges.MAX_TX_CODE_FAILURES):
        response = client.post("/oid4vci/token", data={
            "grant_type": GRANT, "pre-authorized_code": code, "tx_code": wrong})
        assert (response.status_code, response.get_json()["error"]) == (400, "invalid_grant")
    response = client.post("/oid4vci/token", data={
        "grant_type": GRANT, "pre-authorized_code": code, "tx_code": tx_code})
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_grant")


def test_offer_with_a_code_needs_the_learners_code_first(app, db, world, badge):
    stranger = app.test_client()
    response = stranger.get(f"/claim/{badge.claim_token}/wallet/code")
    assert response.status_code == 302 and "/wallet/code" not in response.headers["Location"]


def test_offer_with_a_code_is_refused_for_a_revoked_badge(client, db, world, badge):
    with unit_of_work(db):
        revoke(db, db.get(Credential, badge.id), "issued by mistake", world.admin)
    assert client.get(f"/claim/{badge.claim_token}/wallet/code").status_code == 410


def test_offer_with_a_code_speaks_the_learners_language(client, db, world):
    credential = issue(db, world)
    open_claim(client, credential.claim_token)
    page = client.get(f"/claim/{credential.claim_token}/wallet/code?lang=fr")
    assert page.headers["Content-Language"] == "fr"
    assert page.headers["Cache-Control"].startswith("no-store")
