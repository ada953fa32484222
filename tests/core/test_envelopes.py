"""VC-JOSE-COSE envelopes: `jwt.sign_vc_jose` and the verifier opening an
EnvelopedVerifiableCredential (VCDM 2.0 §4.13.1), issuer binding included."""

import pytest

from issuer.core import jwt
from issuer.core.errors import SigningError
from issuer.core.keys import PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from tests.core.helpers import NOW

V2 = "https://www.w3.org/ns/credentials/v2"


@pytest.fixture(scope="module")
def signer():
    return PrivateKey.generate()


def credential_of(key: PrivateKey) -> dict:
    return {"@context": [V2], "id": "urn:uuid:6a1f0000-0000-4000-8000-00000000e0e0",
            "type": ["VerifiableCredential"], "issuer": key.public_key.did_key,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
                                  "name": "Zoé Łódź"}}


def envelope(token: str, media_type: str = "application/vc+jwt", **changes) -> dict:
    return {"@context": V2, "id": f"data:{media_type},{token}",
            "type": "EnvelopedVerifiableCredential", **changes}


def verify(document):
    return verify_credential(document, resolver=KeyResolver(), now=NOW)


def test_sign_vc_jose_puts_the_credential_unchanged_under_a_vc_jwt_header(signer):
    credential = credential_of(signer)
    token = jwt.sign_vc_jose(credential, signer, signer.public_key.did_key_vm)
    header, payload = jwt.decode_jwt(token)
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc",
                      "kid": signer.public_key.did_key_vm}
    assert payload == credential
    result = jwt.verify_jwt(token, lambda kid: signer.public_key, now=NOW)
    assert (result.valid, result.flavour, result.credential) == (True, "vc-jose", credential)


def test_sign_vc_jose_refuses_a_vc_1_1_credential(signer):
    credential = {**credential_of(signer), "@context": ["https://www.w3.org/2018/credentials/v1"]}
    with pytest.raises(SigningError, match="VCDM 2.0"):
        jwt.sign_vc_jose(credential, signer, signer.public_key.did_key_vm)


@pytest.mark.parametrize("media_type", ["application/vc+jwt", "application/jwt"])
def test_an_enveloped_credential_of_its_issuer_is_valid(signer, media_type):
    token = jwt.sign_vc_jose(credential_of(signer), signer, signer.public_key.did_key_vm)
    report = verify(envelope(token, media_type))
    assert report.verdict == "valid", report.checks
    assert report.proof_format == "vc-jwt"
    assert report.credential == credential_of(signer)
    assert report.issuer_id == signer.public_key.did_key


def test_an_enveloped_credential_signed_by_another_key_is_invalid(signer):
    other = PrivateKey.generate()
    token = jwt.sign_vc_jose(credential_of(signer), other, other.public_key.did_key_vm)
    report = verify(envelope(token))
    assert report.verdict == "invalid"
    assert [c.name for c in report.checks if c.status == "failed"] == ["issuer-binding"]


def test_an_envelope_with_an_altered_payload_is_invalid(signer):
    token = jwt.sign_vc_jose(credential_of(signer), signer, signer.public_key.did_key_vm)
    forged = jwt.sign_vc_jose({**credential_of(signer), "issuer": "did:example:mallory"},
                              signer, signer.public_key.did_key_vm)
    spliced = ".".join([token.split(".")[0], forged.split(".")[1], token.split(".")[2]])
    assert verify(envelope(spliced)).verdict == "invalid"


@pytest.mark.parametrize("changes", [
    {"@context": []},
    {"@context": "https://www.w3.org/ns/credentials/examples/v2"},
    {"type": ["EnvelopedVerifiableCredential", "VerifiableCredential"]},
    {"id": "not-a-data-url"},
    {"id": "data:application/vc+ld+json,{}"},
], ids=["empty-context", "other-context", "two-types", "plain-id", "other-media-type"])
def test_a_malformed_envelope_is_invalid(signer, changes):
    token = jwt.sign_vc_jose(credential_of(signer), signer, signer.public_key.did_key_vm)
    report = verify(envelope(token, **changes))
    assert report.verdict == "invalid"
    assert report.checks[0].name == "parse" and report.checks[0].status == "failed"
