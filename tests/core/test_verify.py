"""The OB 3.0 verifier checklist on the official vectors and on credentials signed at test time.

Keys and status lists reach the verifier through `fetch_json`, its real injection point: here an
in-memory lookup of controller documents built with `issuer.core.did.verification_method`.
"""

import copy
import json
from datetime import UTC, datetime

import pytest

from issuer.core import baking, jsonld, jwt, proofs, status_list
from issuer.core.keys import PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import hash_identity, verify_credential
from tests.core.helpers import (
    BAKING_ISSUER,
    NOW,
    OB_ISSUER,
    STATUS_FIXTURE,
    STATUS_LIST_URL,
    VALIDATOR_ISSUER,
    VECTOR_KEY,
    controller_document,
    published,
    sign_with_did_key,
    statuses,
    verify,
)
from tests.helpers import EMAIL, VECTORS, load_vector, rich_credential

# --- credentials signed at test time -------------------------------------------------------


@pytest.fixture(scope="module")
def signer():
    return PrivateKey.generate()


@pytest.fixture(scope="module")
def signed(signer):
    return sign_with_did_key(rich_credential("did:key:placeholder"), signer)


# --- the official vectors ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ob-v3p0-ldp", "clr-v2p0-ldp"])
def test_official_vector_verifies(name):
    report = verify(load_vector(name, "signed-credential.json"))
    assert report.verdict == "valid"
    assert report.valid is True
    assert report.issuer_id == OB_ISSUER
    assert statuses(report)["proof"] == "passed"
    assert statuses(report)["issuer-binding"] == "passed"


def test_clr_embedded_credential_is_verified_on_its_own():
    report = verify(load_vector("clr-v2p0-ldp", "signed-credential.json"))
    [inner] = report.embedded
    assert inner.verdict == "valid"
    assert inner.credential["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert statuses(report)["embedded"] == "passed"


def test_clr_bundling_a_tampered_credential_is_valid_but_reports_the_inner_failure(signer):
    clr = load_vector("clr-v2p0-ldp", "unsigned-credential.json")
    inner = clr["credentialSubject"]["verifiableCredential"][0]
    inner["name"] = inner["name"] + " (altered)"
    clr["issuer"]["id"] = signer.public_key.did_key
    signed = proofs.sign(clr, signer, signer.public_key.did_key_vm)
    report = verify(signed)
    assert report.verdict == "valid"
    [inner_report] = report.embedded
    assert inner_report.verdict == "invalid"
    assert inner_report.check("proof").message == "the signature does not match the document"
    assert report.check("embedded").message == "1 of 1 embedded credential(s) not valid: invalid"


def test_https_issuer_fixture_verifies():
    report = verify(load_vector("misc", "credential-https-issuer.json"))
    assert report.verdict == "valid"
    assert report.check("issuer-binding").message == (
        f"the signing key is controlled by {VALIDATOR_ISSUER}"
    )


def test_key_controller_other_than_the_issuer_is_invalid():
    elsewhere = "https://elsewhere.example/keys"
    fetch = published(**{VALIDATOR_ISSUER: controller_document(elsewhere, VECTOR_KEY)})
    report = verify(load_vector("misc", "credential-https-issuer.json"), fetch)
    assert report.verdict == "invalid"
    assert statuses(report)["proof"] == "failed"
    assert (
        "controller document id 'https://elsewhere.example/keys'" in report.check("proof").message
    )


def test_key_listed_by_another_controller_fails_the_issuer_binding(signer):
    other = "https://other.example/org"
    credential = rich_credential(VALIDATOR_ISSUER)
    signed = proofs.sign(credential, signer, f"{other}#{signer.public_key.multibase}")
    fetch = published(**{other: controller_document(other, signer.public_key)})
    report = verify(signed, fetch)
    assert report.verdict == "invalid"
    assert report.check("issuer-binding").status == "failed"
    assert report.check("issuer-binding").message == (
        f"key controller '{other}' does not match issuer '{VALIDATOR_ISSUER}'"
    )


def test_offline_verification_of_the_1edtech_layout_warns_that_the_key_was_not_fetched():
    credential = load_vector("ob-v3p0-ldp", "signed-credential.json")
    report = verify_credential(credential, resolver=KeyResolver(), now=NOW)
    assert report.verdict == "valid"
    assert report.warnings == [
        f"key for {OB_ISSUER}#{VECTOR_KEY.multibase} taken from its URL fragment; the "
        f"controller document {OB_ISSUER} was not fetched (offline)"
    ]


# --- status --------------------------------------------------------------------------------


def test_bitstring_status_fixture_is_revoked_when_its_list_is_served():
    status_list = load_vector("bitstring-status-list", "status-list-credential.json")
    report = verify(STATUS_FIXTURE, published(**{STATUS_LIST_URL: status_list}))
    assert report.verdict == "revoked"
    assert report.revoked is True
    assert report.valid is False
    assert report.check("status").message == f"revoked ({STATUS_LIST_URL})"


def test_unreachable_status_list_is_a_warning_not_a_failure():
    report = verify(STATUS_FIXTURE)
    assert report.verdict == "valid"
    assert report.check("status").status == "warning"
    assert report.check("status").message.startswith(
        f"status list {STATUS_LIST_URL} could not be retrieved"
    )


def test_status_list_with_a_bad_proof_is_not_trusted():
    status_list = load_vector("bitstring-status-list", "status-list-credential.json")
    status_list["credentialSubject"]["statusPurpose"] = "suspension"
    report = verify(STATUS_FIXTURE, published(**{STATUS_LIST_URL: status_list}))
    assert report.verdict == "valid"
    assert report.check("status").status == "warning"
    assert "does not verify (the signature does not match the document)" in (
        report.check("status").message
    )


def test_offline_verification_does_not_check_status():
    report = verify_credential(STATUS_FIXTURE, resolver=KeyResolver(published()), now=NOW)
    assert report.check("status").message == (
        "BitstringStatusListEntry status not checked: no fetcher configured (offline)"
    )


LIST_URL = "https://issuer.example/status/7"


def signed_status_list(key, purpose, set_indexes, issuer=None):
    bits = status_list.new_bitstring()
    for index in set_indexes:
        status_list.set_status(bits, index)
    unsigned = status_list.status_list_credential(
        LIST_URL,
        issuer or key.public_key.did_key,
        status_list.encode_list(bits),
        "2025-01-01T00:00:00Z",
        purpose=purpose,
    )
    return proofs.sign(unsigned, key, key.public_key.did_key_vm)


def credential_with_status(signer, purpose, index=4242):
    entry = status_list.status_entry(LIST_URL, index, purpose)
    return sign_with_did_key(rich_credential("did:key:x", credentialStatus=entry), signer)


@pytest.mark.parametrize("purpose", ["revocation", "suspension"])
def test_bitstring_status_set_bit_gives_the_purpose_as_verdict(signer, purpose):
    listing = signed_status_list(signer, purpose, [4242])
    report = verify(credential_with_status(signer, purpose), published(**{LIST_URL: listing}))
    assert report.verdict == {"revocation": "revoked", "suspension": "suspended"}[purpose]
    assert (report.revoked, report.suspended) == (purpose == "revocation", purpose == "suspension")


def test_bitstring_status_clear_bit_is_valid(signer):
    listing = signed_status_list(signer, "revocation", [4241, 4243])
    report = verify(credential_with_status(signer, "revocation"), published(**{LIST_URL: listing}))
    assert report.verdict == "valid"
    assert report.check("status").status == "passed"


def test_revoked_takes_precedence_over_expired(signer):
    listing = signed_status_list(signer, "revocation", [4242])
    report = verify(
        credential_with_status(signer, "revocation"),
        published(**{LIST_URL: listing}),
        now=datetime(2028, 1, 1, tzinfo=UTC),
    )
    assert (report.verdict, report.expired, report.revoked) == ("revoked", True, True)


def test_status_list_from_another_issuer_is_used_with_a_warning(signer):
    other = PrivateKey.generate()
    listing = signed_status_list(other, "revocation", [4242])
    report = verify(credential_with_status(signer, "revocation"), published(**{LIST_URL: listing}))
    assert report.verdict == "revoked"
    assert report.warnings == [
        f"status list {LIST_URL} is issued by {other.public_key.did_key}, not by the "
        "credential's issuer"
    ]


def test_status_list_not_signed_by_its_own_issuer_is_not_trusted(signer):
    listing = signed_status_list(signer, "revocation", [4242], issuer="https://other.example")
    report = verify(credential_with_status(signer, "revocation"), published(**{LIST_URL: listing}))
    assert report.verdict == "valid"
    assert report.check("status").message == (
        f"status list {LIST_URL} is not signed by its issuer 'https://other.example'"
    )


def revocation_list_credential(signer, list_url, revoked_ids):
    credential = rich_credential(
        "did:key:placeholder",
        credentialStatus={"id": list_url, "type": "1EdTechRevocationList"},
    )
    credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    signed = sign_with_did_key(credential, signer)
    listing = {"id": list_url, "revokedCredential": [{"id": i} for i in revoked_ids]}
    return signed, listing


def test_1edtech_revocation_list_naming_the_credential_revokes_it(signer):
    url = "https://issuer.example/revocations/1"
    signed, listing = revocation_list_credential(signer, url, [rich_credential("x")["id"]])
    report = verify(signed, published(**{url: listing}))
    assert report.verdict == "revoked"


def test_1edtech_revocation_list_plural_key_is_read_too(signer):
    url = "https://issuer.example/revocations/1"
    signed, listing = revocation_list_credential(signer, url, [rich_credential("x")["id"]])
    listing["revokedCredentials"] = listing.pop("revokedCredential")
    assert verify(signed, published(**{url: listing})).verdict == "revoked"


def test_1edtech_revocation_list_without_the_credential_passes(signer):
    url = "https://issuer.example/revocations/1"
    signed, listing = revocation_list_credential(signer, url, ["urn:uuid:someone-else"])
    report = verify(signed, published(**{url: listing}))
    assert report.verdict == "valid"
    assert report.check("status").message == f"not on the revocation list {url}"


# --- whether the status was checked: "valid" only means "not revoked" when it was ------------


def test_status_not_checked_offline_is_valid_with_status_checked_false(signer):
    credential = credential_with_status(signer, "revocation")
    report = verify_credential(credential, resolver=KeyResolver(published()), now=NOW)
    assert (report.verdict, report.status_checked) == ("valid", False)
    assert report.to_json()["statusChecked"] is False


def test_unreachable_status_list_gives_status_checked_false(signer):
    report = verify(credential_with_status(signer, "revocation"))
    assert (report.verdict, report.status_checked) == ("valid", False)


def test_status_list_with_a_bad_proof_gives_status_checked_false(signer):
    listing = signed_status_list(signer, "revocation", [])
    listing["credentialSubject"]["statusPurpose"] = "suspension"
    report = verify(credential_with_status(signer, "revocation"), published(**{LIST_URL: listing}))
    assert (report.verdict, report.status_checked) == ("valid", False)


def test_served_status_list_gives_status_checked_true(signer):
    listing = signed_status_list(signer, "revocation", [4241])
    report = verify(credential_with_status(signer, "revocation"), published(**{LIST_URL: listing}))
    assert (report.verdict, report.status_checked) == ("valid", True)
    assert report.to_json()["statusChecked"] is True


def test_revoked_by_a_served_list_counts_as_status_checked(signer):
    listing = signed_status_list(signer, "revocation", [4242])
    report = verify(credential_with_status(signer, "revocation"), published(**{LIST_URL: listing}))
    assert (report.verdict, report.status_checked) == ("revoked", True)


def test_credential_without_status_has_status_checked_none(signed):
    report = verify(signed)
    assert "credentialStatus" not in signed
    assert (report.verdict, report.status_checked) == ("valid", None)
    assert report.to_json()["statusChecked"] is None


# --- the clock -----------------------------------------------------------------------------


def test_expired_credential(signed):
    report = verify(signed, now=datetime(2027, 3, 1, 10, 0, 1, tzinfo=UTC))
    assert report.verdict == "expired"
    assert (report.expired, report.valid) == (True, False)
    assert report.check("validity").message == "expired at 2027-03-01T10:00:00Z"


def test_not_yet_valid_credential(signed):
    report = verify(signed, now=datetime(2025, 3, 1, 9, 59, 59, tzinfo=UTC))
    assert report.verdict == "not_yet_valid"
    assert report.not_yet_valid is True


def test_official_vector_before_its_valid_from_is_not_yet_valid():
    report = verify(load_vector("ob-v3p0-ldp", "signed-credential.json"), now=datetime(2009, 1, 1))
    assert report.verdict == "not_yet_valid"


def test_signed_rich_credential_verifies_offline_with_did_key(signed):
    report = verify_credential(signed, resolver=KeyResolver(), now=NOW)
    assert report.verdict == "valid"
    assert report.issuer_name == "Compétences Łódź – Niño & Città"
    assert report.warnings == []


# --- recipient -----------------------------------------------------------------------------


def test_hash_identity_matches_the_ob_implementation_guide_example():
    assert hash_identity("jjefferson18@example.com", "FleurDeSel") == (
        "sha256$658625b25ab3d75d613ca97d9a5a77f70e2192feca5557f4ad09a4d4f121f5fc"
    )


def test_hash_identity_matches_the_spec_example():
    assert hash_identity("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_recipient_email_is_verified_against_the_salted_hash(signed):
    assert verify(signed, email=EMAIL).recipient_verified is True


def test_recipient_email_is_tried_lower_cased(signed):
    assert verify(signed, email="JJefferson18@Example.com").recipient_verified is True


def test_recipient_hash_is_compared_case_insensitively(signer):
    credential = rich_credential("did:key:placeholder")
    identity = credential["credentialSubject"]["identifier"][0]
    identity["identityHash"] = "sha256$" + identity["identityHash"][7:].upper()
    report = verify(sign_with_did_key(credential, signer), email=EMAIL)
    assert report.recipient_verified is True


def test_wrong_email_does_not_verify_the_recipient_but_keeps_the_credential_valid(signed):
    report = verify(signed, email="someone@example.com")
    assert (report.recipient_verified, report.verdict) == (False, "valid")
    assert report.check("recipient").status == "failed"


def test_recipient_not_asked_is_none(signed):
    assert verify(signed).recipient_verified is None


def test_recipient_subject_id():
    credential = load_vector("ob-v3p0-ldp", "signed-credential.json")
    subject_id = credential["credentialSubject"]["id"]
    assert verify(credential, subject_id=subject_id).recipient_verified is True
    assert verify(credential, subject_id="did:example:other").recipient_verified is False


def test_trusted_issuer_list(signed):
    assert verify(signed, trusted_issuers=[signed["issuer"]["id"]]).issuer_trusted is True
    report = verify(signed, trusted_issuers=["https://trusted.example"])
    assert (report.issuer_trusted, report.verdict) == (False, "valid")


# --- endorsements --------------------------------------------------------------------------


def endorsement(signer, endorsed_id, comment="Formation sérieuse."):
    public = signer.public_key
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:6f1e1b4a-3f0e-4f7b-9d55-0a0b0c0d0e0f",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Endorsement",
        "issuer": {"id": public.did_key, "type": ["Profile"], "name": "Réseau Européen"},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": endorsed_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }
    return proofs.sign(unsigned, signer, public.did_key_vm, created="2025-01-01T00:00:00Z")


def test_endorsements_at_every_level_are_verified(signer):
    endorser = PrivateKey.generate()
    credential = rich_credential("did:key:placeholder")
    credential["endorsement"] = [endorsement(endorser, credential["id"])]
    achievement = credential["credentialSubject"]["achievement"]
    achievement["endorsement"] = [endorsement(endorser, achievement["id"])]
    credential["issuer"]["endorsement"] = [endorsement(endorser, signer.public_key.did_key)]
    report = verify(sign_with_did_key(credential, signer))
    assert report.verdict == "valid"
    assert [r.verdict for r in report.endorsements] == ["valid", "valid", "valid"]
    assert report.check("endorsements").message == "3 endorsement(s) verified"


def test_broken_endorsement_is_reported_without_invalidating_the_badge(signer):
    endorser = PrivateKey.generate()
    credential = rich_credential("did:key:placeholder")
    broken = endorsement(endorser, credential["id"])
    broken["proof"][0]["verificationMethod"] = signer.public_key.did_key_vm
    credential["endorsement"] = [broken]
    report = verify(sign_with_did_key(credential, signer))
    assert report.verdict == "valid"
    [nested] = report.endorsements
    assert nested.verdict == "invalid"
    assert report.check("endorsements").status == "warning"
    assert report.check("endorsements").message == "1 of 1 endorsement(s) not valid: invalid"


# --- inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_baked_json_images_verify(name):
    report = verify((VECTORS / "baking" / name).read_bytes())
    assert report.verdict == "valid"
    assert report.issuer_id == BAKING_ISSUER


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg"])
def test_baked_jwt_images_signed_by_an_unpublished_header_key_are_not_genuine(name):
    # The 1EdTech fixtures put the key in the JWT header and publish it nowhere: the signature
    # verifies, but nothing ties that key to the issuer.
    report = verify((VECTORS / "baking" / name).read_bytes())
    assert report.proof_format == "vc-jwt"
    assert report.check("proof").status == "passed"
    assert report.check("issuer-binding").status == "failed"
    assert report.check("issuer-binding").message == (
        "the JWT is signed with a key embedded in the JWT header, which is not published under "
        f"issuer '{VALIDATOR_ISSUER}'"
    )
    assert report.verdict == "invalid"


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg"])
def test_baked_jwt_images_verify_when_the_issuer_publishes_the_header_key(name):
    image = (VECTORS / "baking" / name).read_bytes()
    header, _ = jwt.decode_jwt(baking.extract(image))
    jwks_url = "https://1edtech.edu/.well-known/jwks.json"
    report = verify(image, published(**{jwks_url: {"keys": [{**header["jwk"], "kid": "k1"}]}}))
    assert report.check("issuer-binding").status == "passed"
    assert report.check("issuer-binding").message == (
        f"the JWT key {jwks_url}#k1 belongs to {VALIDATOR_ISSUER}"
    )
    assert report.verdict == "valid"


def test_json_text_and_bytes_are_accepted():
    text = (VECTORS / "ob-v3p0-ldp" / "signed-credential.json").read_text("utf-8")
    assert verify(text).verdict == "valid"
    assert verify(text.encode("utf-8")).verdict == "valid"


@pytest.mark.parametrize(
    "source, message",
    [
        ("not a credential", "input is neither a JSON object, a compact JWS nor a baked image"),
        ("{broken", "not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "input is neither a JSON object, a compact JWS nor a baked image"),
        (b"\x89PNG\r\n\x1a\nnot really", None),
        (42, "a credential must be a JSON object"),
    ],
)
def test_unparseable_input_is_invalid_with_a_failed_parse_check(source, message):
    report = verify(source)
    assert report.verdict == "invalid"
    assert [c.name for c in report.checks] == ["parse"]
    assert report.checks[0].status == "failed"
    if message:
        assert report.checks[0].message.startswith(message)


def test_credential_without_proof_is_invalid(signed):
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    report = verify(unsigned)
    assert report.verdict == "invalid"
    assert report.check("proof").message == "the credential has no proof"


def test_reversed_context_is_invalid(signed):
    tampered = copy.deepcopy(signed)
    tampered["@context"].reverse()
    report = verify(tampered)
    assert report.check("context").status == "failed"
    assert report.verdict == "invalid"


def test_subject_without_id_or_identifier_is_invalid(signer):
    credential = rich_credential("did:key:placeholder")
    del credential["credentialSubject"]["identifier"]
    report = verify(sign_with_did_key(credential, signer))
    assert report.check("subject").status == "failed"
    assert report.verdict == "invalid"


def test_missing_valid_from_is_invalid(signer):
    credential = rich_credential("did:key:placeholder")
    del credential["validFrom"]
    report = verify(sign_with_did_key(credential, signer))
    assert report.check("dates").message == "validFrom is missing"
    assert report.verdict == "invalid"


def test_context_variant_is_reported_when_only_another_edition_verifies(signer):
    # The 2026 validator edition of the 3.0.3 context defines endorsementJwt; ours does not.
    credential = rich_credential(signer.public_key.did_key)
    credential["endorsementJwt"] = ["eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"]
    signed = proofs.sign(
        credential,
        signer,
        signer.public_key.did_key_vm,
        loader=jsonld.make_loader("validator-2026-06"),
    )
    report = verify(signed)
    assert report.context_variant == "validator-2026-06"
    assert report.check("safe-mode").status == "passed"
    assert report.check("proof").message == (
        "1 valid proof(s) (eddsa-rdfc-2022), using the validator-2026-06 edition of the OB "
        "3.0.3 context"
    )
    assert report.verdict == "valid"
    assert [r.verdict for r in report.endorsements] == ["invalid"]


def test_primary_context_is_reported_as_no_variant(signed):
    assert verify(signed).context_variant is None


# --- VC-JWT --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jwt_credential(signer):
    credential = rich_credential(signer.public_key.did_key)
    credential["credentialSubject"]["id"] = "did:example:learner-1"
    return credential


def test_vc_jwt_with_a_did_key_kid_verifies_and_binds_the_issuer(signer, jwt_credential):
    token = jwt.sign_jwt(jwt_credential, signer, kid=signer.public_key.did_key_vm)
    report = verify(token)
    assert report.verdict == "valid"
    assert report.proof_format == "vc-jwt"
    assert report.check("issuer-binding").status == "passed"


def test_vc_jwt_signed_by_another_key_is_invalid_but_still_named(signer, jwt_credential):
    other = PrivateKey.generate()
    token = jwt.sign_jwt(jwt_credential, other, kid=signer.public_key.did_key_vm)
    report = verify(token)
    assert report.verdict == "invalid"
    assert report.check("parse").status == "passed"
    assert report.check("proof").status == "failed"
    assert report.issuer_id == signer.public_key.did_key


def test_report_json_has_stable_keys(signed):
    document = verify(signed, email=EMAIL).to_json()
    assert document["standard"] == "Open Badges 3.0"
    assert list(document) == [
        "verdict",
        "valid",
        "credentialId",
        "issuer",
        "flags",
        "recipientVerified",
        "issuerTrusted",
        "contextVariant",
        "proofFormat",
        "standard",
        "statusChecked",
        "checks",
        "warnings",
        "endorsements",
        "embedded",
        "credential",
    ]
    assert document["flags"] == {
        "revoked": False,
        "suspended": False,
        "expired": False,
        "notYetValid": False,
    }
    assert document["recipientVerified"] is True
    json.dumps(document)
