"""VC-JWT as profiled by Open Badges 3.0, signed and verified with joserfc.

We emit OB's flavour: the credential at the top level of the payload plus `iss`, `jti`, `sub`,
`nbf` (= validFrom) and `exp` (= validUntil), header `{"alg", "typ": "JWT", "kid" | "jwk"}`.
We accept three flavours when verifying:
- "ob-v3": OB 3.0 (typ absent or JWT); `nbf` required and equal to validFrom;
- "vc-jose": W3C VC-JOSE-COSE (typ vc+jwt); the claims are checked only when present;
- "vc-1.1": VC-JWT 1.1 / OID4VCI `jwt_vc_json`, the credential in a `vc` claim.
Only EdDSA (Ed25519), ES256 (P-256) and RS256 are accepted; "none" and HMAC never are.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwk import import_key
from joserfc.jws import JWSRegistry

from . import limits
from .errors import BadgeError, LimitError, SigningError, VerificationError
from .keys import ED25519, P256, RSA, PrivateKey, PublicKey
from .messages import N_
from .multibase import unb64url

ALGORITHMS = {ED25519: "EdDSA", P256: "ES256", RSA: "RS256"}
ACCEPTED_TYPES = (None, "jwt", "vc+jwt")  # compared case-insensitively (RFC 7515 §4.1.9)
KNOWN_HEADERS = {"alg", "kid", "jwk", "typ", "cty"}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
JWT_CLAIMS = ("iss", "sub", "jti", "nbf", "exp", "iat", "aud")
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
MAX_TOKEN_BYTES = 8 * 1024 * 1024  # baked credentials may embed images as data: URLs
NO_SUBJECT_ID = (
    "VC-JWT needs credentialSubject.id (a wallet DID); this learner has only hashed "
    "identifiers — use the Data Integrity proof instead"
)
_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")

ResolveKid = Callable[[str], PublicKey]


@dataclass
class JwtResult:
    """The outcome of verifying a VC-JWT.

    `valid` means genuine and self-consistent: the signature verifies and the JWT claims agree
    with the credential. Time is reported apart, in `expired` and `not_yet_valid` (and a line
    in `messages`), so a page can say "expired" rather than "not genuine". `warnings` are
    deviations that do not invalidate the token. With an embedded `jwk`, `key` still has to be
    tied to the issuer by the caller (DID document or JWKS).
    """

    valid: bool
    credential: dict | None
    flavour: str | None
    messages: list[str]
    header: dict
    key: PublicKey | None = None
    expired: bool = False
    not_yet_valid: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def current(self) -> bool:
        """Valid and within its validity period."""
        return self.valid and not self.expired and not self.not_yet_valid


@dataclass
class _Claims:
    flavour: str
    credential: dict | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_before: datetime | None = None
    expires: datetime | None = None


class _Registry(JWSRegistry):
    """joserfc's registry, with room for large credentials and without its EdDSA warning.

    joserfc warns on every EdDSA use because RFC 9864 prefers "Ed25519"; OB 3.0 and the
    wallets still say "EdDSA", so the warning would only be noise. The allow-list stays.
    """

    max_header_length = 16 * 1024
    max_payload_length = MAX_TOKEN_BYTES

    def get_alg(self, name: str):
        if name not in (self.allowed or ()) or name not in self.algorithms:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        return self.algorithms[name]


def sign_jwt(credential: dict, key: PrivateKey, kid: str | None = None) -> str:
    """Sign `credential` as an OB 3.0 VC-JWT; the header names the key by `kid` or embeds it."""
    claims = _registered_claims(credential)
    alg = ALGORITHMS.get(key.kind)
    if alg is None:
        raise SigningError(f"no JWS algorithm for a {key.kind} key")
    header = {"alg": alg, "typ": "JWT"}
    if kid is None:
        header["jwk"] = key.public_key.to_jwk()
    elif isinstance(kid, str) and kid:
        header["kid"] = kid
    else:
        raise SigningError("kid must be a non-empty URI that dereferences to the public key")
    payload = {**credential, **claims}
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    signing_key = import_key(key.to_private_jwk())
    try:
        return jws.serialize_compact(
            header, data, signing_key, algorithms=[alg], registry=_registry(alg)
        )
    except JoseError as error:
        raise SigningError(f"JWS signing failed: {error.error}") from None


def sign_vc_jose(credential: dict, key: PrivateKey, kid: str) -> str:
    """Sign a VCDM 2.0 `credential` as W3C VC-JOSE-COSE: header typ vc+jwt, the credential as
    the payload, unchanged (no JWT claims: the verifier reads dates and issuer from it)."""
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or contexts[:1] != [VC_V2_CONTEXT]:
        raise SigningError(f"VC-JOSE-COSE secures VCDM 2.0 credentials: @context must start with "
                           f"{VC_V2_CONTEXT}")
    alg = ALGORITHMS.get(key.kind)
    if alg is None:
        raise SigningError(f"no JWS algorithm for a {key.kind} key")
    if not isinstance(kid, str) or not kid:
        raise SigningError("kid must be a non-empty URI that dereferences to the public key")
    header = {"alg": alg, "typ": "vc+jwt", "cty": "vc", "kid": kid}
    data = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        return jws.serialize_compact(header, data, import_key(key.to_private_jwk()),
                                     algorithms=[alg], registry=_registry(alg))
    except JoseError as error:
        raise SigningError(f"JWS signing failed: {error.error}") from None


def decode_jwt(token: str) -> tuple[dict, dict]:
    """The (header, payload) of a compact JWS, NOT verified: use it only to route the token."""
    if not isinstance(token, str) or len(token) > 2 * MAX_TOKEN_BYTES:
        raise VerificationError("a VC-JWT must be a compact JWS string of reasonable size")
    parts = token.strip().split(".")
    # an empty signature is well-formed (alg "none"); the header check refuses it later
    if len(parts) != 3 or not (parts[0] and parts[1] and all(map(_BASE64URL.match, parts))):
        raise VerificationError("not a compact JWS: expected header.payload.signature (base64url)")
    return _json_part(parts[0], "header"), _json_part(parts[1], "payload")


def verify_jwt(token: str, resolve_kid: ResolveKid, now: datetime | None = None) -> JwtResult:
    """Verify a VC-JWT (OB 3.0, W3C JOSE or VC 1.1 flavour); reports, never raises for bad input.

    `resolve_kid(kid)` returns the public key a `kid` names and raises a BadgeError
    (ResolutionError) when it cannot.
    """
    try:
        header, payload = decode_jwt(token)
    except VerificationError as error:
        return JwtResult(False, None, None, [str(error)], {})
    problems = _header_problems(header)
    if problems:
        return JwtResult(False, None, None, problems, _redacted(header))
    try:
        key = _header_key(header, resolve_kid)
        _check_signature(token.strip(), header["alg"], key)
    except BadgeError as error:
        return JwtResult(False, None, None, [str(error)], header)
    claims = _read_claims(header, payload)
    warnings = _header_warnings(header) + claims.warnings
    result = JwtResult(
        not claims.problems, claims.credential, claims.flavour, claims.problems, header, key,
        warnings=warnings,
    )
    _check_period(result, claims, now or datetime.now(UTC))
    return result


# --- signing ---------------------------------------------------------------------------------


def _registered_claims(credential: dict) -> dict:
    if not isinstance(credential, dict):
        raise SigningError("the credential must be a JSON object")
    if "vc" in credential:
        raise SigningError("the credential has a 'vc' property, which VC-JWT reserves")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict) or not _is_text(subject.get("id")):
        raise SigningError(NO_SUBJECT_ID)
    issuer = _issuer_id(credential)
    if not _is_text(issuer):
        raise SigningError("the credential's issuer has no id to use as iss")
    if not _is_text(credential.get("id")):
        raise SigningError("the credential has no id to use as jti")
    claims = {"iss": issuer, "jti": credential["id"], "sub": subject["id"]}
    claims["nbf"] = _signing_date(credential.get("validFrom"), "validFrom")
    if "validUntil" in credential:
        claims["exp"] = _signing_date(credential["validUntil"], "validUntil")
    return claims


def _signing_date(value: object, name: str) -> int:
    match = _DATETIME.match(value) if isinstance(value, str) else None
    if not match:
        raise SigningError(f"{name} must be a dateTime like 2025-01-31T09:00:00Z, not {value!r}")
    if match.group(2) and match.group(2).strip(".0"):
        raise SigningError(
            f"{name} {value!r} has fractional seconds, so the whole-second JWT date could not "
            f"equal it: use whole seconds (YYYY-MM-DDThh:mm:ssZ)"
        )
    try:
        return int(_parse_datetime(value).timestamp())
    except ValueError:
        raise SigningError(f"{name} {value!r} is not a valid date and time") from None


# --- verification: header, key, signature ----------------------------------------------------


def _header_problems(header: dict) -> list[str]:
    problems = []
    alg = header.get("alg")
    if alg not in ALGORITHMS.values():
        if alg == "none":
            problems.append("alg 'none' is refused: an unsigned JWT proves nothing")
        else:
            problems.append(f"alg {alg!r} is not accepted: it must be RS256, ES256 or EdDSA")
    if _typ(header) not in ACCEPTED_TYPES:
        problems.append(f"typ {header.get('typ')!r} is not accepted: it must be JWT or vc+jwt")
    if ("kid" in header) == ("jwk" in header):
        problems.append("the header must carry exactly one of kid and jwk to name the signing key")
    jwk = header.get("jwk")
    if "jwk" in header and (not isinstance(jwk, dict) or PRIVATE_JWK_MEMBERS & set(jwk)):
        problems.append(
            "the header's jwk is not a public JWK (it contains private members such as 'd'): "
            "refused"
            if isinstance(jwk, dict) else "the header's jwk is not a JSON object"
        )
    if "crit" in header:
        problems.append("the header lists critical extensions (crit) that are not understood")
    return problems


def _redacted(header: dict) -> dict:
    """The header without private key members, so a leaked key is not passed on or logged."""
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        return header
    return {**header, "jwk": {k: v for k, v in jwk.items() if k not in PRIVATE_JWK_MEMBERS}}


def _header_warnings(header: dict) -> list[str]:
    extra = sorted(set(header) - KNOWN_HEADERS)
    if not extra:
        return []
    return [f"header parameters {', '.join(extra)} are not allowed by OB 3.0 (ignored)"]


def _header_key(header: dict, resolve_kid: ResolveKid) -> PublicKey:
    key = PublicKey.from_jwk(header["jwk"]) if "jwk" in header else resolve_kid(header["kid"])
    expected = ALGORITHMS.get(key.kind)
    if header["alg"] != expected:
        raise VerificationError(
            f"alg {header['alg']} does not fit the issuer's {key.kind} key (expected {expected})"
        )
    return key


def _check_signature(token: str, alg: str, key: PublicKey) -> None:
    try:
        jws.deserialize_compact(
            token, import_key(key.to_jwk()), algorithms=[alg], registry=_registry(alg)
        )
    except BadSignatureError:
        raise VerificationError(
            "the signature does not match: the token was altered or signed with another key"
        ) from None
    except JoseError as error:
        raise VerificationError(f"the JWS cannot be verified: {error.error}") from None


def _registry(alg: str) -> _Registry:
    return _Registry(algorithms=[alg], strict_check_header=False)


# --- verification: claims --------------------------------------------------------------------


def _read_claims(header: dict, payload: dict) -> _Claims:
    if "vc" in payload:
        return _vc11_claims(payload)
    flavour = "vc-jose" if _typ(header) == "vc+jwt" else "ob-v3"
    return _vcdm2_claims(payload, flavour)


def _vcdm2_claims(payload: dict, flavour: str) -> _Claims:
    """Credential at the top level; OB requires iss, jti, nbf, sub; JOSE checks what is there."""
    credential = {k: v for k, v in payload.items() if k not in JWT_CLAIMS}
    claims = _Claims(flavour, credential)
    required = flavour == "ob-v3"
    _same_text(claims, payload, "iss", _issuer_id(credential), "issuer.id", required)
    _same_text(claims, payload, "jti", credential.get("id"), "id", required)
    _check_sub(claims, payload, required)
    valid_from = _credential_date(claims, credential, "validFrom")
    valid_until = _credential_date(claims, credential, "validUntil")
    nbf = _claim_date(claims, payload, "nbf")
    exp = _claim_date(claims, payload, "exp")
    if nbf is None and required:
        claims.problems.append("nbf is required by OB 3.0 and must equal validFrom")
    if nbf is not None and nbf != valid_from:
        claims.problems.append(_differ("nbf", nbf, "validFrom", valid_from))
    if exp is not None and valid_until is not None and exp != valid_until:
        claims.problems.append(_differ("exp", exp, "validUntil", valid_until))
    claims.not_before = nbf or valid_from
    claims.expires = exp or valid_until
    return claims


def _vc11_claims(payload: dict) -> _Claims:
    """VC-JWT 1.1: the claims fill or must match issuer, id, subject id and the two dates."""
    vc = payload["vc"]
    if not isinstance(vc, dict):
        return _Claims("vc-1.1", None, ["the vc claim is not a JSON object"])
    credential = copy.deepcopy(vc)
    claims = _Claims("vc-1.1", credential)
    contexts = vc.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != VC_V1_CONTEXT:
        claims.problems.append(f"a vc claim needs {VC_V1_CONTEXT} as its first @context")
    _fill_or_match(claims, credential, payload, "iss", "issuer")
    _fill_or_match(claims, credential, payload, "jti", "id")
    if isinstance(credential.get("credentialSubject"), dict):
        _fill_or_match(claims, credential["credentialSubject"], payload, "sub", "id")
    for claim, name in (("nbf", "issuanceDate"), ("exp", "expirationDate")):
        value = _claim_date(claims, payload, claim)
        stated = _credential_date(claims, credential, name)
        if value is not None and stated is None:
            credential[name] = _text(value)
        elif value is not None and value != stated:
            claims.problems.append(_differ(claim, value, name, stated))
    claims.not_before = _credential_date(claims, credential, "issuanceDate")
    claims.expires = _credential_date(claims, credential, "expirationDate")
    return claims


def _same_text(claims: _Claims, payload: dict, claim: str, expected, name: str, required: bool):
    if claim not in payload:
        if required:
            claims.problems.append(f"the {claim} claim is required and must equal {name}")
    elif payload[claim] != expected:
        claims.problems.append(f"{claim} {payload[claim]!r} does not equal {name} {expected!r}")


def _check_sub(claims: _Claims, payload: dict, required: bool) -> None:
    subject = claims.credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if "sub" in payload:
        _same_text(claims, payload, "sub", subject_id, "credentialSubject.id", True)
    elif required:
        note = "the JWT has no sub claim, which OB 3.0 requires"
        if subject_id is not None and payload.get("aud") == subject_id:
            note += " (aud carries credentialSubject.id instead, as in the 1EdTech fixtures)"
        claims.warnings.append(note)


def _fill_or_match(claims: _Claims, target: dict, payload: dict, claim: str, name: str) -> None:
    if claim not in payload:
        return
    stated = target.get(name)
    stated_id = stated.get("id") if isinstance(stated, dict) else stated
    if stated is None:
        target[name] = payload[claim]
    elif stated_id != payload[claim]:
        claims.problems.append(f"{claim} {payload[claim]!r} does not equal {name} {stated_id!r}")


def _claim_date(claims: _Claims, payload: dict, claim: str) -> datetime | None:
    value = payload.get(claim)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        claims.problems.append(f"{claim} must be a NumericDate (seconds since 1970)")
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        claims.problems.append(f"{claim} {value!r} is out of range")
        return None


def _credential_date(claims: _Claims, credential: dict, name: str) -> datetime | None:
    value = credential.get(name)
    if value is None:
        return None
    try:
        return _parse_datetime(value)
    except ValueError:
        claims.problems.append(f"{name} {value!r} is not a dateTime")
        return None


def _check_period(result: JwtResult, claims: _Claims, now: datetime) -> None:
    if claims.expires is not None and claims.expires <= now:
        result.expired = True
        result.messages.append(
            N_("the credential expired at %(date)s", date=_text(claims.expires)))
    if claims.not_before is not None and claims.not_before > now:
        result.not_yet_valid = True
        result.messages.append(
            N_("the credential is not valid before %(date)s", date=_text(claims.not_before)))


# --- small helpers ---------------------------------------------------------------------------


def _json_part(segment: str, name: str) -> dict:
    try:
        value = limits.parse_json(unb64url(segment).decode("utf-8"))
    except LimitError:
        raise
    except (BadgeError, UnicodeDecodeError, ValueError):
        raise VerificationError(f"the JWT {name} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise VerificationError(f"the JWT {name} is not a JSON object")
    return value


def _typ(header: dict) -> str | None:
    typ = header.get("typ")
    return typ.lower() if isinstance(typ, str) else typ


def _issuer_id(credential: dict):
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _parse_datetime(value: object) -> datetime:
    """An XML Schema dateTime with a time zone; ValueError otherwise."""
    match = _DATETIME.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not a dateTime: {value!r}")
    fraction = (match.group(2) or ".0")[:7]  # microseconds at most
    zone = match.group(3).upper().replace("Z", "+00:00")
    return datetime.fromisoformat(match.group(1) + fraction + zone)


def _differ(claim: str, value: datetime, name: str, stated: datetime | None) -> str:
    return f"{claim} ({_text(value)}) does not equal {name} ({_text(stated)})"


def _text(moment: datetime | None) -> str:
    if moment is None:
        return "absent"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
