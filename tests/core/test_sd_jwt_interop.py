"""SD-JWT VC interop with two independent implementations from PyPI, in both directions:

- `sd-jwt`, the OpenWallet Foundation's reference implementation (sd-jwt-python);
- `openbadgeslib[eudi]` (luisgf/openbadgeslib, with openvc-core), the other Python Open Badges
  library that issues and verifies badges as EUDI SD-JWT VC since 2026.

Keys are pinned here on both sides (how the issuer key is discovered is tested in
tests/web/test_sd_jwt_vc.py); the holder signs its Key Binding JWT with P-256 (ES256), the
algorithm EU wallets use (sd-jwt-python's verifier checks KB-JWTs as ES256 only).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jwcrypto.jwk import JWK
from openbadgeslib.ob3.eudi import EudiError, verify_badge_sd_jwt
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from issuer.core import sd_jwt
from issuer.core.keys import P256, PrivateKey
from tests.helpers import openbadgeslib_presentation

ISSUER = PrivateKey.generate()
HOLDER = PrivateKey.generate(P256)
VERIFIER = "https://employer.example"
NONCE = "nonce-4711"
VCT = "https://badges.example/types/open-badge"
ISS = "https://badges.example/issuers/cec"


def _jwk(key: PrivateKey, private: bool = True) -> JWK:
    return JWK(**(key.to_private_jwk() if private else key.public_key.to_jwk()))


def _pem(key: PrivateKey, private: bool = True) -> bytes:
    jwk = _jwk(key, private)
    return jwk.export_to_pem(private_key=True, password=None) if private \
        else jwk.export_to_pem()


def ours() -> str:
    claims = {"iss": ISS, "vct": VCT, "iat": int(datetime.now(UTC).timestamp()),
              "cnf": {"jwk": HOLDER.public_key.to_jwk()},
              "name": "First aid", "achievement": {"name": "First aid"},
              "credentialSubject": {"id": "did:key:z6Mk", "name": "Ann Lee"}}
    return sd_jwt.issue(claims, [("credentialSubject", "id"), ("credentialSubject", "name")],
                        ISSUER, {"kid": f"{ISS}#k1"})


def our_presentation(names=("name",)) -> str:
    return sd_jwt.present(ours(), names, HOLDER, NONCE, VERIFIER)


def pinned(header, payload):
    return ISSUER.public_key


# --- OpenWallet Foundation sd-jwt ---------------------------------------------------------


def test_owf_sd_jwt_verifies_our_presentation_with_key_binding():
    verifier = SDJWTVerifier(our_presentation(), lambda iss, header: _jwk(ISSUER, False),
                             expected_aud=VERIFIER, expected_nonce=NONCE)
    payload = verifier.get_verified_payload()
    assert payload["credentialSubject"] == {"name": "Ann Lee"}
    assert payload["achievement"] == {"name": "First aid"}


def test_owf_sd_jwt_refuses_our_presentation_for_another_verifier():
    with pytest.raises(ValueError, match="audience"):
        SDJWTVerifier(our_presentation(), lambda iss, header: _jwk(ISSUER, False),
                      expected_aud="https://other.example", expected_nonce=NONCE)


def _owf_issued() -> str:
    claims = {"iss": ISS, "vct": VCT, "achievement": {"name": "Welding"},
              "credentialSubject": {SDObj("name"): "Bo Chen", SDObj("email"): "bo@example.org"}}
    issuer = SDJWTIssuer(claims, _jwk(ISSUER), holder_key=_jwk(HOLDER, False),
                         sign_alg="EdDSA", extra_header_parameters={"typ": "dc+sd-jwt"})
    return issuer.sd_jwt_issuance


def test_we_verify_an_owf_sd_jwt_presentation():
    holder = SDJWTHolder(_owf_issued())
    holder.create_presentation({"credentialSubject": {"name": True}}, nonce=NONCE,
                               aud=VERIFIER, holder_key=_jwk(HOLDER), sign_alg="ES256")
    result = sd_jwt.verify(holder.sd_jwt_presentation, pinned, nonce=NONCE, audience=VERIFIER)
    assert result.claims["credentialSubject"] == {"name": "Bo Chen"}
    assert result.key_bound and result.nonce_checked and result.audience_checked


def test_we_refuse_an_owf_presentation_with_a_disclosure_slipped_in_after_binding():
    issued = _owf_issued()
    holder = SDJWTHolder(issued)
    holder.create_presentation({"credentialSubject": {"name": True}}, nonce=NONCE,
                               aud=VERIFIER, holder_key=_jwk(HOLDER), sign_alg="ES256")
    jwt, disclosures, kb = sd_jwt.split(holder.sd_jwt_presentation)
    every = sd_jwt.split(issued)[1]
    with pytest.raises(sd_jwt.SdJwtError, match="sd_hash"):
        sd_jwt.verify("~".join([jwt, *every, kb]), pinned)


# --- openbadgeslib[eudi] (openvc-core) ----------------------------------------------------


def test_openbadgeslib_verifies_our_presentation():
    result = verify_badge_sd_jwt(our_presentation(), pubkey_pem=_pem(ISSUER, False),
                                 audience=VERIFIER, nonce=NONCE, require_key_binding=True,
                                 expected_vct=VCT)
    assert result.key_bound
    assert result.claims["credentialSubject"] == {"name": "Ann Lee"}
    assert result.claims["achievement"]["name"] == "First aid"


def test_openbadgeslib_refuses_our_presentation_with_a_wrong_nonce():
    with pytest.raises(EudiError):
        verify_badge_sd_jwt(our_presentation(), pubkey_pem=_pem(ISSUER, False),
                            audience=VERIFIER, nonce="another", require_key_binding=True,
                            expected_vct=VCT)


def _their_presentation() -> str:
    return openbadgeslib_presentation(ISSUER, HOLDER, ISS, f"{ISS}#k1", VCT, VERIFIER, NONCE)


def test_we_verify_an_openbadgeslib_badge_presentation():
    result = sd_jwt.verify(_their_presentation(), pinned, nonce=NONCE, audience=VERIFIER)
    assert result.claims["achievement"]["name"] == "Python basics"
    assert result.claims["credentialSubject"]["id"] == "did:key:z6MkholderXYZ"
    assert [item.path for item in result.disclosed] == [("credentialSubject",)]
    assert result.key_bound and result.nonce_checked


def test_we_refuse_an_openbadgeslib_presentation_replayed_to_another_verifier():
    with pytest.raises(sd_jwt.SdJwtError, match="aud"):
        sd_jwt.verify(_their_presentation(), pinned, nonce=NONCE,
                      audience="https://other.example")
