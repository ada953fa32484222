"""The holder's side of the wallet protocols, with real keys: DIDAuth presentations signed the way
the Learner Credential Wallet signs them (Ed25519Signature2020) and with eddsa-rdfc-2022, and
OID4VCI key-proof JWTs named by a did:key kid or by a jwk. The signing helpers here are the
wallet's half and are reused by the web tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from issuer.core import proofs
from issuer.core.keys import ED25519, P256, PrivateKey
from issuer.core.multibase import b64url
from issuer.core.presentations import (
    KeyProofError,
    PresentationError,
    verify_key_proof,
    verify_presentation,
)
from tests.helpers import (
    CREATED,
    CREDENTIALS_V1,
    CREDENTIALS_V2,
    NOW,
    key_proof,
    presentation,
    sign_ed25519_2020,
    sign_eddsa_rdfc_2022,
)

CHALLENGE = "c0ffee-challenge-3f9a"
DOMAIN = "badges.example.org"
ISSUER = "https://badges.example.org"


# --- the wallet's half --------------------------------------------------------------------------


def unsigned_jwt(header: dict, claims: dict) -> str:
    encode = lambda part: b64url(json.dumps(part).encode())  # noqa: E731
    return f"{encode(header)}.{encode(claims)}.{b64url(b'x' * 64)}"


def accept(nonce: str) -> bool:
    return nonce == "n-0nce"


# --- DIDAuth presentations ---------------------------------------------------------------------


def test_ed25519signature2020_presentation_gives_the_holder_did(holder):
    signed = sign_ed25519_2020(presentation(holder.public_key.did_key), holder, CHALLENGE, DOMAIN)
    assert verify_presentation(signed, CHALLENGE, DOMAIN) == holder.public_key.did_key


def test_ed25519signature2020_presentation_in_vc_2_0_verifies(holder):
    unsigned = presentation(holder.public_key.did_key, CREDENTIALS_V2)
    signed = sign_ed25519_2020(unsigned, holder, CHALLENGE, DOMAIN)
    assert verify_presentation(signed, CHALLENGE, DOMAIN) == holder.public_key.did_key


def test_eddsa_rdfc_2022_presentation_gives_the_holder_did(holder):
    unsigned = presentation(holder.public_key.did_key, CREDENTIALS_V2)
    signed = sign_eddsa_rdfc_2022(unsigned, holder, CHALLENGE, DOMAIN)
    assert verify_presentation(signed, CHALLENGE, DOMAIN) == holder.public_key.did_key


def test_presentation_without_holder_gives_the_signing_did(holder):
    unsigned = {"@context": [CREDENTIALS_V1], "type": ["VerifiablePresentation"]}
    signed = sign_ed25519_2020(unsigned, holder, CHALLENGE, DOMAIN)
    assert verify_presentation(signed, CHALLENGE, DOMAIN) == holder.public_key.did_key


def test_wrong_challenge_is_refused(holder):
    signed = sign_ed25519_2020(presentation(holder.public_key.did_key), holder, "other", DOMAIN)
    with pytest.raises(PresentationError) as refused:
        verify_presentation(signed, CHALLENGE, DOMAIN)
    assert refused.value.reason == "challenge"


def test_wrong_domain_is_refused(holder):
    signed = sign_ed25519_2020(presentation(holder.public_key.did_key), holder, CHALLENGE,
                               "evil.example")
    with pytest.raises(PresentationError) as refused:
        verify_presentation(signed, CHALLENGE, DOMAIN)
    assert refused.value.reason == "domain"


def test_tampered_presentation_is_refused(holder):
    signed = sign_ed25519_2020(presentation(holder.public_key.did_key), holder, CHALLENGE, DOMAIN)
    signed["holder"] = PrivateKey.generate(ED25519).public_key.did_key
    with pytest.raises(PresentationError) as refused:
        verify_presentation(signed, CHALLENGE, DOMAIN)
    assert refused.value.reason == "signature"


def test_holder_other_than_the_signer_is_refused(holder):
    someone = PrivateKey.generate(ED25519).public_key.did_key
    signed = sign_ed25519_2020(presentation(someone), holder, CHALLENGE, DOMAIN)
    with pytest.raises(PresentationError) as refused:
        verify_presentation(signed, CHALLENGE, DOMAIN)
    assert refused.value.reason == "holder"


def test_assertion_method_proof_is_not_authentication(holder):
    signed = proofs.sign(presentation(holder.public_key.did_key, CREDENTIALS_V2), holder,
                         holder.public_key.did_key_vm, created=CREATED, challenge=CHALLENGE,
                         domain=DOMAIN)
    with pytest.raises(PresentationError, match="authentication"):
        verify_presentation(signed, CHALLENGE, DOMAIN)


def test_unsigned_presentation_is_refused(holder):
    with pytest.raises(PresentationError) as refused:
        verify_presentation(presentation(holder.public_key.did_key), CHALLENGE, DOMAIN)
    assert refused.value.reason == "malformed"


# --- OID4VCI key proofs ----------------------------------------------------------------------


def test_key_proof_with_did_key_kid_gives_the_did(holder):
    proof = verify_key_proof(key_proof(holder, "n-0nce"), ISSUER, NOW, accept)
    assert (proof.holder, proof.nonce) == (holder.public_key.did_key, "n-0nce")


def test_key_proof_with_jwk_gives_its_did_key(holder):
    proof = verify_key_proof(key_proof(holder, "n-0nce", by="jwk"), ISSUER, NOW, accept)
    assert proof.holder == holder.public_key.did_key


def test_p256_key_proof_with_jwk_is_accepted():
    holder = PrivateKey.generate(P256)
    proof = verify_key_proof(key_proof(holder, "n-0nce", by="jwk"), ISSUER, NOW, accept)
    assert proof.holder.startswith("did:key:zDn")


def test_key_proof_with_did_jwk_kid_gives_that_did(holder):
    did = "did:jwk:" + b64url(json.dumps(holder.public_key.to_jwk()).encode())
    token = key_proof(holder, "n-0nce", by="none", header={"kid": f"{did}#0"})
    assert verify_key_proof(token, ISSUER, NOW, accept).holder == did


def test_wrong_nonce_is_invalid_nonce(holder):
    with pytest.raises(KeyProofError) as refused:
        verify_key_proof(key_proof(holder, "stale"), ISSUER, NOW, accept)
    assert refused.value.error == "invalid_nonce"


def test_missing_nonce_is_invalid_proof(holder):
    with pytest.raises(KeyProofError, match="c_nonce") as refused:
        verify_key_proof(key_proof(holder, None), ISSUER, NOW, accept)
    assert refused.value.error == "invalid_proof"


def test_wrong_audience_is_refused(holder):
    with pytest.raises(KeyProofError, match="aud"):
        verify_key_proof(key_proof(holder, "n-0nce", aud="https://evil.example"), ISSUER, NOW,
                         accept)


def test_old_key_proof_is_refused(holder):
    old = datetime(2026, 3, 2, 9, 50, tzinfo=UTC)
    with pytest.raises(KeyProofError, match="too old"):
        verify_key_proof(key_proof(holder, "n-0nce", iat=old), ISSUER, NOW, accept)


def test_future_key_proof_is_refused(holder):
    later = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
    with pytest.raises(KeyProofError, match="future"):
        verify_key_proof(key_proof(holder, "n-0nce", iat=later), ISSUER, NOW, accept)


def test_wrong_typ_is_refused(holder):
    with pytest.raises(KeyProofError, match="typ"):
        verify_key_proof(key_proof(holder, "n-0nce", header={"typ": "JWT"}), ISSUER, NOW, accept)


def test_alg_none_is_refused(holder):
    token = unsigned_jwt({"typ": "openid4vci-proof+jwt", "alg": "none",
                          "kid": holder.public_key.did_key_vm},
                         {"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": "n-0nce"})
    with pytest.raises(KeyProofError, match="never none"):
        verify_key_proof(token, ISSUER, NOW, accept)


def test_hmac_alg_is_refused(holder):
    token = unsigned_jwt({"typ": "openid4vci-proof+jwt", "alg": "HS256",
                          "kid": holder.public_key.did_key_vm},
                         {"aud": ISSUER, "iat": int(NOW.timestamp()), "nonce": "n-0nce"})
    with pytest.raises(KeyProofError, match="HS256"):
        verify_key_proof(token, ISSUER, NOW, accept)


def test_kid_and_jwk_together_are_refused(holder):
    token = key_proof(holder, "n-0nce", header={"jwk": holder.public_key.to_jwk()})
    with pytest.raises(KeyProofError, match="exactly one"):
        verify_key_proof(token, ISSUER, NOW, accept)


def test_x5c_is_refused_with_a_clear_error(holder):
    token = key_proof(holder, "n-0nce", by="none", header={"x5c": ["MIIB"]})
    with pytest.raises(KeyProofError, match="x5c certificate chains are not supported"):
        verify_key_proof(token, ISSUER, NOW, accept)


def test_private_key_in_header_is_refused(holder):
    token = key_proof(holder, "n-0nce", by="none", header={"jwk": holder.to_private_jwk()})
    with pytest.raises(KeyProofError, match="private key") as refused:
        verify_key_proof(token, ISSUER, NOW, accept)
    assert holder.to_private_jwk()["d"] not in str(refused.value)


def test_key_proof_signed_by_another_key_is_refused(holder):
    other = PrivateKey.generate(ED25519)
    token = key_proof(other, "n-0nce", by="none", header={"kid": holder.public_key.did_key_vm})
    with pytest.raises(KeyProofError, match="signature"):
        verify_key_proof(token, ISSUER, NOW, accept)


def test_alg_that_does_not_fit_the_key_is_refused(holder):
    token = key_proof(holder, "n-0nce")
    header, rest = token.split(".", 1)
    forged = b64url(json.dumps({"typ": "openid4vci-proof+jwt", "alg": "ES256",
                                "kid": holder.public_key.did_key_vm}).encode())
    with pytest.raises(KeyProofError, match="does not fit"):
        verify_key_proof(f"{forged}.{rest}", ISSUER, NOW, accept)
