"""What a wallet proves about its holder: DID-authentication presentations and OID4VCI key proofs.

Two pure checks the wallet protocols rely on:
- `verify_presentation`: a VerifiablePresentation signed by the holder's did:key for
  `proofPurpose` `authentication`, with the challenge and domain the exchange asked for. The
  Learner Credential Wallet signs with `Ed25519Signature2020`; `eddsa-rdfc-2022`
  (DataIntegrityProof) is accepted too. The proof itself is checked by `proofs.verify_proof`.
- `verify_key_proof`: an OpenID4VCI 1.0 `jwt` key proof ("Proof Types" / "Verifying Proof"):
  typed `openid4vci-proof+jwt`, an asymmetric `alg`, exactly one of `kid` / `jwk` / `x5c`, no
  private key in the header, `aud` = the Credential Issuer Identifier, a recent `iat` and a
  server-provided `nonce`.
Both return the holder's DID, the identifier the re-issued credential is bound to.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import limits
from .errors import BadgeError, VerificationError
from .jsonld import DocumentLoader
from .keys import ED25519, P256, PublicKey
from .multibase import unb64url
from .proofs import CRYPTOSUITE, PROOF_TYPE, proofs_of, verify_proof
from .resolver import KeyResolver

AUTHENTICATION = "authentication"
PRESENTATION_SUITES = {(PROOF_TYPE, CRYPTOSUITE), ("Ed25519Signature2020", None)}
KEY_PROOF_TYPE = "openid4vci-proof+jwt"
KEY_PROOF_ALGORITHMS = {"EdDSA": ED25519, "ES256": P256}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
KEY_PROOF_MAX_AGE = timedelta(minutes=5)
KEY_PROOF_CLOCK_SKEW = timedelta(minutes=1)
MAX_KEY_PROOF_BYTES = 16 * 1024


class PresentationError(VerificationError):
    """A presentation does not prove what was asked. `reason` names the failed check:
    `malformed`, `unsupported`, `challenge`, `domain`, `holder` or `signature`."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class KeyProofError(VerificationError):
    """An OID4VCI key proof is refused. `error` is the protocol's code for it:
    `invalid_proof`, or `invalid_nonce` when only the nonce is stale or unknown."""

    def __init__(self, message: str, error: str = "invalid_proof"):
        super().__init__(message)
        self.error = error


# --- DID-authentication presentations --------------------------------------------------------


def verify_presentation(presentation: dict, challenge: str, domain: str,
                        loader: DocumentLoader | None = None) -> str:
    """Check a DIDAuthentication presentation; return the holder's did:key.

    The presentation must carry exactly one proof, by a did:key verification method, for
    `authentication`, naming `challenge` and `domain` exactly; its signature must verify and a
    stated `holder` must be the key's controller.
    """
    proof = _single_proof(presentation)
    _check_proof_options(proof, challenge, domain)
    result = verify_proof(presentation, proof, KeyResolver(), loader,
                          expected_purpose=AUTHENTICATION)
    if not result.valid:
        raise PresentationError(f"the presentation's proof does not verify: {result.message}",
                                "signature")
    holder = _holder_id(presentation.get("holder"))
    if holder is not None and holder != result.controller:
        raise PresentationError(
            f"holder {holder!r} is not the controller of the signing key ({result.controller})",
            "holder")
    return result.controller


def _single_proof(presentation: object) -> dict:
    if not isinstance(presentation, dict):
        raise PresentationError("the verifiablePresentation must be a JSON object", "malformed")
    if "VerifiablePresentation" not in _as_list(presentation.get("type")):
        raise PresentationError("the presentation's type must include VerifiablePresentation",
                                "malformed")
    proofs = proofs_of(presentation)
    if len(proofs) != 1 or not isinstance(proofs[0], dict):
        raise PresentationError(
            "the presentation must carry exactly one proof by the holder's key", "malformed")
    return proofs[0]


def _check_proof_options(proof: dict, challenge: str, domain: str) -> None:
    suite = (proof.get("type"), proof.get("cryptosuite"))
    if suite not in PRESENTATION_SUITES:
        raise PresentationError(
            f"proof type {suite[0]!r} / {suite[1]!r} is not accepted: sign with "
            "Ed25519Signature2020 or DataIntegrityProof eddsa-rdfc-2022", "unsupported")
    if proof.get("proofPurpose") != AUTHENTICATION:
        raise PresentationError("the proof's proofPurpose must be 'authentication'", "malformed")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method.startswith("did:key:"):
        raise PresentationError("only did:key holders are accepted (acceptedMethods: key)",
                                "unsupported")
    if not _same(proof.get("challenge"), challenge):
        raise PresentationError("the proof's challenge is not the one this exchange issued",
                                "challenge")
    if not _same(proof.get("domain"), domain):
        raise PresentationError(f"the proof's domain must be {domain!r}", "domain")


def _holder_id(holder: object) -> str | None:
    if isinstance(holder, dict):
        holder = holder.get("id")
    return holder if isinstance(holder, str) else None


# --- OID4VCI key proofs -----------------------------------------------------------------------


@dataclass(frozen=True)
class KeyProof:
    """A verified key proof: the holder's DID, its public key and the nonce it used."""

    holder: str
    key: PublicKey
    nonce: str


def verify_key_proof(token: str, audience: str, now: datetime,
                     nonce_is_valid: Callable[[str], bool]) -> KeyProof:
    """Check an OID4VCI `jwt` key proof for the Credential Issuer `audience`.

    `nonce_is_valid(nonce)` says whether the server issued this `c_nonce` and it is still
    usable (the caller's store decides; this function stays pure). Raises KeyProofError with
    `error` `invalid_nonce` for a stale or unknown nonce and `invalid_proof` for the rest.
    """
    header, payload, signing_input, signature = _jws_parts(token)
    key, holder = _proof_key(header)
    if not key.verify(signature, signing_input):
        raise KeyProofError("the key proof's signature does not verify with its own key")
    _check_claims(payload, audience, now)
    if not nonce_is_valid(payload["nonce"]):
        raise KeyProofError("the nonce is unknown, used or expired: fetch a new c_nonce",
                            "invalid_nonce")
    return KeyProof(holder, key, payload["nonce"])


def _jws_parts(token: object) -> tuple[dict, dict, bytes, bytes]:
    if not isinstance(token, str) or len(token) > MAX_KEY_PROOF_BYTES or token.count(".") != 2:
        raise KeyProofError("a jwt key proof must be a compact JWS string")
    encoded_header, encoded_payload, encoded_signature = token.split(".")
    try:
        header = limits.parse_json(unb64url(encoded_header))
        payload = limits.parse_json(unb64url(encoded_payload))
        signature = unb64url(encoded_signature)
    except (ValueError, BadgeError):
        raise KeyProofError("the key proof is not valid base64url JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise KeyProofError("the key proof's header and payload must be JSON objects")
    _check_header(header)
    return header, payload, f"{encoded_header}.{encoded_payload}".encode("ascii"), signature


def _check_header(header: dict) -> None:
    if header.get("typ") != KEY_PROOF_TYPE:
        raise KeyProofError(f"the key proof's typ must be {KEY_PROOF_TYPE!r}")
    alg = header.get("alg")
    if alg not in KEY_PROOF_ALGORITHMS:
        raise KeyProofError(
            f"alg {alg!r} is not accepted: sign the key proof with "
            f"{' or '.join(KEY_PROOF_ALGORITHMS)} (never none or a MAC)")
    named = [member for member in ("kid", "jwk", "x5c") if member in header]
    if len(named) != 1:
        raise KeyProofError("the key proof header must carry exactly one of kid, jwk and x5c")
    if named == ["x5c"]:
        raise KeyProofError("x5c certificate chains are not supported: use a did:key kid or "
                            "a jwk")
    jwk = header.get("jwk")
    if "jwk" in header and (not isinstance(jwk, dict) or PRIVATE_JWK_MEMBERS & set(jwk)):
        raise KeyProofError("the header's jwk must be a public JWK (it must not contain a "
                            "private key)")


def _proof_key(header: dict) -> tuple[PublicKey, str]:
    """The public key that signed the proof and the holder DID it stands for."""
    try:
        if "jwk" in header:
            key = PublicKey.from_jwk(header["jwk"])
            holder = key.did_key
        else:
            key, holder = _kid_key(header["kid"])
    except BadgeError as error:
        raise KeyProofError(f"the key proof's key cannot be read: {error}") from None
    if KEY_PROOF_ALGORITHMS[header["alg"]] != key.kind:
        raise KeyProofError(f"alg {header['alg']} does not fit the holder's {key.kind} key")
    return key, holder


def _kid_key(kid: object) -> tuple[PublicKey, str]:
    if not isinstance(kid, str) or "#" not in kid:
        raise KeyProofError("the kid must be a DID URL naming one key, e.g. did:key:z…#z…")
    did = kid.split("#", 1)[0]
    if did.startswith("did:key:"):
        key, controller = KeyResolver()(kid, AUTHENTICATION)
        return key, controller
    if did.startswith("did:jwk:"):
        return _did_jwk_key(did), did
    raise KeyProofError("the kid must be a did:key or did:jwk URL")


def _did_jwk_key(did: str) -> PublicKey:
    try:
        jwk = limits.parse_json(unb64url(did.removeprefix("did:jwk:")))
    except (ValueError, BadgeError):
        raise KeyProofError(f"{did!r} does not hold a base64url JSON JWK") from None
    if not isinstance(jwk, dict) or PRIVATE_JWK_MEMBERS & set(jwk):
        raise KeyProofError("a did:jwk must hold a public JWK")
    return PublicKey.from_jwk(jwk)


def _check_claims(payload: dict, audience: str, now: datetime) -> None:
    if payload.get("aud") != audience:
        raise KeyProofError(f"the key proof's aud must be the Credential Issuer {audience}")
    issued = payload.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise KeyProofError("the key proof needs iat, a NumericDate")
    age = now.timestamp() - issued
    if age > KEY_PROOF_MAX_AGE.total_seconds():
        raise KeyProofError("the key proof is too old (iat): sign a fresh one")
    if -age > KEY_PROOF_CLOCK_SKEW.total_seconds():
        raise KeyProofError("the key proof's iat is in the future")
    if not isinstance(payload.get("nonce"), str) or not payload["nonce"]:
        raise KeyProofError("the key proof must carry the c_nonce from the nonce endpoint")


def _same(given: object, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
