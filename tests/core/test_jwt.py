"""VC-JWT (OB 3.0 profile): round trips, the 1EdTech baked JWTs, and each refusal."""

import base64
import hashlib
import hmac
import json
import warnings
from datetime import UTC, datetime

import pytest
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import import_key

from issuer.core import baking, jwt
from issuer.core.errors import ResolutionError, SigningError, VerificationError
from issuer.core.keys import ED25519, P256, RSA, PrivateKey
from tests.helpers import VECTORS

NOW = datetime(2025, 6, 1, tzinfo=UTC)
KID = "did:web:badges.example:issuers:cec#key-1"
SUBJECT = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
CREDENTIAL = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "https://badges.example/credentials/0d5b6f3e-7c1a-4a57-9d3b-5e2f1c8a9b10",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "did:web:badges.example:issuers:cec", "type": ["Profile"], "name": "CEC"},
    "validFrom": "2025-01-15T09:30:00Z",
    "validUntil": "2027-01-15T09:30:00Z",
    "name": "Tri sélectif — łódź, señor, à bientôt",
    "credentialSubject": {"id": SUBJECT, "type": ["AchievementSubject"]},
}
VALID_FROM = int(datetime(2025, 1, 15, 9, 30, tzinfo=UTC).timestamp())
VALID_UNTIL = int(datetime(2027, 1, 15, 9, 30, tzinfo=UTC).timestamp())
ALG = {ED25519: "EdDSA", P256: "ES256", RSA: "RS256"}


@pytest.fixture(scope="module")
def keys():
    return {kind: PrivateKey.generate(kind) for kind in (ED25519, P256, RSA)}


def segment(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def sign_raw(header: dict, payload: dict, key: PrivateKey) -> str:
    """Sign arbitrary header and payload with joserfc directly, bypassing sign_jwt's rules."""
    registry = jws.JWSRegistry(algorithms=[header["alg"]], strict_check_header=False)
    with warnings.catch_warnings():  # joserfc warns on every EdDSA use (RFC 9864)
        warnings.simplefilter("ignore", SecurityWarning)
        return jws.serialize_compact(
            header, json.dumps(payload), import_key(key.to_private_jwk()), registry=registry
        )


def ob_payload(**changes) -> dict:
    payload = {
        **CREDENTIAL, "iss": CREDENTIAL["issuer"]["id"], "jti": CREDENTIAL["id"],
        "sub": SUBJECT, "nbf": VALID_FROM, "exp": VALID_UNTIL,
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def embedded(key: PrivateKey, **header) -> dict:
    return {"alg": ALG[key.kind], "jwk": key.public_key.to_jwk(), **header}


def no_resolver(kid):
    raise AssertionError("the key is embedded; nothing should be resolved")


@pytest.mark.parametrize("kind", [ED25519, P256, RSA])
def test_round_trip_with_kid(keys, kind):
    key = keys[kind]
    token = jwt.sign_jwt(CREDENTIAL, key, kid=KID)
    resolved = []
    result = jwt.verify_jwt(token, lambda kid: resolved.append(kid) or key.public_key, now=NOW)
    assert resolved == [KID]
    assert (result.valid, result.flavour, result.messages, result.warnings) == (
        True, "ob-v3", [], []
    )
    assert result.credential == CREDENTIAL
    assert result.header == {"alg": ALG[kind], "typ": "JWT", "kid": KID}
    assert result.key.raw == key.public_key.raw


@pytest.mark.parametrize("kind", [ED25519, P256, RSA])
def test_round_trip_with_embedded_jwk(keys, kind):
    key = keys[kind]
    token = jwt.sign_jwt(CREDENTIAL, key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert (result.valid, result.credential, result.messages) == (True, CREDENTIAL, [])
    assert result.header == {"alg": ALG[kind], "typ": "JWT", "jwk": key.public_key.to_jwk()}


def test_embedded_jwk_never_holds_the_private_part(keys):
    for key in keys.values():
        header, _ = jwt.decode_jwt(jwt.sign_jwt(CREDENTIAL, key))
        assert set(header["jwk"]) <= {"kty", "crv", "x", "y", "n", "e"}


def test_payload_is_the_credential_plus_registered_claims(keys):
    _, payload = jwt.decode_jwt(jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID))
    assert payload == ob_payload()


def test_payload_has_no_exp_without_valid_until(keys):
    credential = {k: v for k, v in CREDENTIAL.items() if k != "validUntil"}
    _, payload = jwt.decode_jwt(jwt.sign_jwt(credential, keys[ED25519], kid=KID))
    assert "exp" not in payload
    assert payload["nbf"] == VALID_FROM


def test_payload_keeps_non_ascii_as_utf8(keys):
    token = jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID)
    raw = base64.urlsafe_b64decode(token.split(".")[1] + "==")
    assert "łódź".encode() in raw


def test_signing_without_a_subject_id_is_refused(keys):
    credential = {**CREDENTIAL, "credentialSubject": {"type": ["AchievementSubject"]}}
    with pytest.raises(SigningError) as raised:
        jwt.sign_jwt(credential, keys[ED25519], kid=KID)
    assert str(raised.value) == (
        "VC-JWT needs credentialSubject.id (a wallet DID); this learner has only hashed "
        "identifiers — use the Data Integrity proof instead"
    )


def test_signing_fractional_valid_from_is_refused(keys):
    credential = {**CREDENTIAL, "validFrom": "2025-01-15T09:30:00.250Z"}
    with pytest.raises(SigningError, match="fractional seconds"):
        jwt.sign_jwt(credential, keys[ED25519], kid=KID)


def test_signing_zero_fraction_valid_from_verifies(keys):
    credential = {**CREDENTIAL, "validFrom": "2025-01-15T09:30:00.000Z"}
    token = jwt.sign_jwt(credential, keys[ED25519], kid=KID)
    assert jwt.verify_jwt(token, lambda kid: keys[ED25519].public_key, now=NOW).valid


def test_signing_without_valid_from_is_refused(keys):
    credential = {k: v for k, v in CREDENTIAL.items() if k != "validFrom"}
    with pytest.raises(SigningError, match="validFrom must be a dateTime"):
        jwt.sign_jwt(credential, keys[ED25519], kid=KID)


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg"])
def test_1edtech_baked_jwt_verifies_with_its_embedded_jwk(name):
    token = baking.extract((VECTORS / "baking" / name).read_bytes())
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert (result.valid, result.flavour, result.messages) == (True, "ob-v3", [])
    assert result.header["alg"] == "RS256"
    assert result.credential["id"] == "http://example.com/credentials/3527"
    assert "iat" not in result.credential and "aud" not in result.credential
    assert result.warnings == [
        "the JWT has no sub claim, which OB 3.0 requires (aud carries credentialSubject.id "
        "instead, as in the 1EdTech fixtures)"
    ]


def test_tampered_payload_is_refused(keys):
    header, signature = jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID).split(".")[::2]
    forged = ".".join([header, segment(ob_payload(name="Forged badge")), signature])
    result = jwt.verify_jwt(forged, lambda kid: keys[ED25519].public_key, now=NOW)
    assert result.valid is False
    assert result.credential is None
    assert result.messages == [
        "the signature does not match: the token was altered or signed with another key"
    ]


def test_swapped_header_alg_is_refused(keys):
    _, payload, signature = jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID).split(".")
    forged = ".".join([segment({"alg": "ES256", "kid": KID}), payload, signature])
    result = jwt.verify_jwt(forged, lambda kid: keys[ED25519].public_key, now=NOW)
    assert result.valid is False
    assert result.messages == ["alg ES256 does not fit the issuer's Ed25519 key (expected EdDSA)"]


def test_alg_none_is_refused(keys):
    token = ".".join([segment({"alg": "none", "kid": KID}), segment(ob_payload()), ""])
    result = jwt.verify_jwt(token, lambda kid: keys[ED25519].public_key, now=NOW)
    assert result.valid is False
    assert result.messages == ["alg 'none' is refused: an unsigned JWT proves nothing"]


def test_hmac_with_the_public_key_as_secret_is_refused(keys):
    public = keys[RSA].public_key
    signing_input = f"{segment({'alg': 'HS256', 'jwk': public.to_jwk()})}.{segment(ob_payload())}"
    mac = hmac.new(public.raw, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert result.valid is False
    assert result.messages == ["alg 'HS256' is not accepted: it must be RS256, ES256 or EdDSA"]


def test_jwk_containing_the_private_part_is_refused(keys):
    key = keys[P256]
    token = sign_raw({"alg": "ES256", "jwk": key.to_private_jwk()}, ob_payload(), key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert result.valid is False
    assert result.messages == [
        "the header's jwk is not a public JWK (it contains private members such as 'd'): refused"
    ]
    assert result.header["jwk"] == key.public_key.to_jwk()  # the leaked secret is not passed on


def test_header_with_both_kid_and_jwk_is_refused(keys):
    key = keys[ED25519]
    token = sign_raw(embedded(key, kid=KID), ob_payload(), key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert result.messages == [
        "the header must carry exactly one of kid and jwk to name the signing key"
    ]


def test_unknown_typ_is_refused(keys):
    key = keys[ED25519]
    token = sign_raw(embedded(key, typ="application/json"), ob_payload(), key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert result.messages == ["typ 'application/json' is not accepted: it must be JWT or vc+jwt"]


def test_nbf_different_from_valid_from_is_refused(keys):
    key = keys[ED25519]
    token = sign_raw(embedded(key), ob_payload(nbf=VALID_FROM + 60), key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert result.valid is False
    assert result.messages == [
        "nbf (2025-01-15T09:31:00Z) does not equal validFrom (2025-01-15T09:30:00Z)"
    ]


def test_ob_flavour_without_nbf_is_refused(keys):
    key = keys[ED25519]
    token = sign_raw(embedded(key, typ="JWT"), ob_payload(nbf=None), key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert result.messages == ["nbf is required by OB 3.0 and must equal validFrom"]


@pytest.mark.parametrize(
    "claim, value, message",
    [
        ("iss", "did:web:evil.example", "iss 'did:web:evil.example' does not equal issuer.id "
         "'did:web:badges.example:issuers:cec'"),
        ("jti", "urn:uuid:other", f"jti 'urn:uuid:other' does not equal id {CREDENTIAL['id']!r}"),
        ("sub", "did:key:other", f"sub 'did:key:other' does not equal credentialSubject.id "
         f"{SUBJECT!r}"),
    ],
)
def test_claim_disagreeing_with_the_credential_is_refused(keys, claim, value, message):
    key = keys[ED25519]
    token = sign_raw(embedded(key), ob_payload(**{claim: value}), key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert (result.valid, result.messages) == (False, [message])


def test_missing_subject_id_with_sub_claim_is_refused(keys):
    key = keys[ED25519]
    payload = ob_payload(credentialSubject={"type": ["AchievementSubject"]})
    result = jwt.verify_jwt(sign_raw(embedded(key), payload, key), no_resolver, now=NOW)
    assert result.valid is False
    assert result.messages == [f"sub {SUBJECT!r} does not equal credentialSubject.id None"]


def test_expired_credential_is_flagged(keys):
    token = jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID)
    later = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
    result = jwt.verify_jwt(token, lambda kid: keys[ED25519].public_key, now=later)
    assert (result.valid, result.expired, result.current) == (True, True, False)
    assert result.messages == ["the credential expired at 2027-01-15T09:30:00Z"]


def test_credential_not_yet_valid_is_flagged(keys):
    token = jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID)
    earlier = datetime(2025, 1, 15, 9, 29, 59, tzinfo=UTC)
    result = jwt.verify_jwt(token, lambda kid: keys[ED25519].public_key, now=earlier)
    assert (result.valid, result.not_yet_valid, result.current) == (True, True, False)
    assert result.messages == ["the credential is not valid before 2025-01-15T09:30:00Z"]


def test_w3c_jose_flavour_is_accepted_without_nbf(keys):
    key = keys[P256]
    token = sign_raw(embedded(key, typ="vc+jwt", cty="vc"), CREDENTIAL, key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert (result.valid, result.flavour, result.messages) == (True, "vc-jose", [])
    assert result.credential == CREDENTIAL


def test_vc_claim_flavour_is_accepted_and_filled_from_the_claims(keys):
    key = keys[ED25519]
    payload = {
        "iss": "did:web:badges.example:issuers:cec",
        "sub": SUBJECT,
        "jti": "urn:uuid:6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
        "nbf": VALID_FROM,
        "exp": VALID_UNTIL,
        "vc": {
            "@context": ["https://www.w3.org/2018/credentials/v1",
                         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": {"type": ["AchievementSubject"]},
        },
    }
    result = jwt.verify_jwt(sign_raw(embedded(key), payload, key), no_resolver, now=NOW)
    assert (result.valid, result.flavour, result.messages) == (True, "vc-1.1", [])
    assert result.credential == {
        **payload["vc"],
        "issuer": "did:web:badges.example:issuers:cec",
        "id": "urn:uuid:6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
        "credentialSubject": {"type": ["AchievementSubject"], "id": SUBJECT},
        "issuanceDate": "2025-01-15T09:30:00Z",
        "expirationDate": "2027-01-15T09:30:00Z",
    }


def test_vc_claim_with_a_v2_context_is_refused(keys):
    key = keys[ED25519]
    payload = {"iss": "did:web:x", "nbf": VALID_FROM, "vc": {"@context": CREDENTIAL["@context"]}}
    result = jwt.verify_jwt(sign_raw(embedded(key), payload, key), no_resolver, now=NOW)
    assert result.valid is False
    assert result.messages == [
        "a vc claim needs https://www.w3.org/2018/credentials/v1 as its first @context"
    ]


def test_unresolvable_kid_is_reported(keys):
    def unreachable(kid):
        raise ResolutionError(f"cannot fetch {kid}")

    token = jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID)
    result = jwt.verify_jwt(token, unreachable, now=NOW)
    assert (result.valid, result.messages) == (False, [f"cannot fetch {KID}"])


def test_extra_header_parameters_are_a_warning(keys):
    key = keys[ED25519]
    token = sign_raw(embedded(key, x5u="https://x.example/cert"), ob_payload(), key)
    result = jwt.verify_jwt(token, no_resolver, now=NOW)
    assert result.valid is True
    assert result.warnings == ["header parameters x5u are not allowed by OB 3.0 (ignored)"]


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "!!.e30.", "e30.bm90IGpzb24.AA"])
def test_malformed_tokens_are_refused_by_decode(token):
    with pytest.raises(VerificationError):
        jwt.decode_jwt(token)


def test_malformed_token_is_reported_by_verify():
    result = jwt.verify_jwt("not a jwt", no_resolver, now=NOW)
    assert (result.valid, result.credential, result.flavour) == (False, None, None)
    assert result.messages == [
        "not a compact JWS: expected header.payload.signature (base64url)"
    ]


def test_decode_reads_without_verifying(keys):
    token = jwt.sign_jwt(CREDENTIAL, keys[ED25519], kid=KID)
    header, payload = jwt.decode_jwt(token[:-4] + "AAAA")
    assert header["kid"] == KID
    assert payload["jti"] == CREDENTIAL["id"]


def test_signing_something_that_is_not_a_credential_is_refused(keys):
    with pytest.raises(SigningError, match="must be a JSON object"):
        jwt.sign_jwt(["not", "a", "credential"], keys[ED25519], kid=KID)
