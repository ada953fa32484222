"""SD-JWT (RFC 9901) and SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): issue, present, verify.

Pure mechanics, no network and no database:
- `issue(claims, disclosable, key, header)`: the issuer-signed JWT (`typ` `dc+sd-jwt`) with
  every path in `disclosable` replaced by a salted digest in its object's `_sd` array
  (`_sd_alg` `sha-256`), followed by the disclosures: `<jwt>~<disclosure>~…~`.
- `present(sd_jwt, names, holder_key, nonce, audience, now)`: keeps only the disclosures of
  the claim names the holder chose and appends a Key Binding JWT (`typ` `kb+jwt`, `iat`,
  `aud`, `nonce`, `sd_hash` over the presented SD-JWT).
- `verify(presentation, issuer_key, now, …)`: the issuer signature (by the key the caller's
  `issuer_key(header, payload)` trusts), every disclosure's digest (each referenced exactly
  once, no reserved or colliding names), the validity claims, and the Key Binding JWT
  (signature by `cnf.jwk`, `sd_hash`, freshness, and `nonce` / `aud` when the caller states
  what it expects). Sizes and the number of disclosures are bounded.

Only EdDSA (Ed25519) and ES256 (P-256) are accepted: the SD-JWT VC algorithm set that EU
wallets (HAIP: ES256) and our keys (Ed25519) share; never `none`, a MAC or RSA.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import limits
from .errors import BadgeError, SigningError, VerificationError
from .keys import ED25519, P256, PrivateKey, PublicKey
from .multibase import b64url, unb64url

SD_JWT_TYPE = "dc+sd-jwt"
LEGACY_SD_JWT_TYPE = "vc+sd-jwt"  # drafts before -06; read with a warning, never written
KB_JWT_TYPE = "kb+jwt"
SD_ALG = "sha-256"
ALGORITHMS = {ED25519: "EdDSA", P256: "ES256"}
KEY_KINDS = {alg: kind for kind, alg in ALGORITHMS.items()}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
RESERVED_NAMES = {"_sd", "_sd_alg", "..."}
# Claims a disclosure may never carry: they decide how the token is checked (SD-JWT VC §3.2.2)
NEVER_DISCLOSABLE = {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "iat"}
MAX_PRESENTATION_BYTES = 64 * 1024
MAX_DISCLOSURES = 64
MAX_DISCLOSURE_BYTES = 8 * 1024
KB_MAX_AGE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(minutes=1)
SALT_BYTES = 16

IssuerKey = Callable[[dict, dict], PublicKey]


class SdJwtError(VerificationError):
    """An SD-JWT is malformed or does not verify; the message says which check failed."""


@dataclass
class Disclosed:
    """One disclosed claim: where it sits (`path`) and its value."""

    path: tuple
    value: object


@dataclass
class SdJwtResult:
    """A verified SD-JWT. `claims` are the processed claims (disclosed ones put back, `_sd`
    and `_sd_alg` removed); `disclosed` lists what the holder chose to reveal.

    `key_binding` is `None` when there is no KB-JWT, else the checks it passed:
    `sd_hash`, `signature` and `fresh` always; `nonce` and `audience` only when the caller
    stated what it expected (`nonce_checked`, `audience_checked`).
    """

    header: dict
    payload: dict
    claims: dict
    disclosed: list[Disclosed]
    issuer_key: PublicKey
    holder_key: PublicKey | None = None
    key_binding: dict | None = None
    nonce_checked: bool = False
    audience_checked: bool = False
    expired: bool = False
    not_yet_valid: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def key_bound(self) -> bool:
        """The presentation proves possession of the holder key named in `cnf`."""
        return self.key_binding is not None


# --- encoding helpers ------------------------------------------------------------------------


def _json_b64(value: object) -> str:
    return b64url(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def digest(disclosure: str) -> str:
    """The base64url sha-256 of a disclosure's ASCII form (RFC 9901 §4.2.3)."""
    return b64url(hashlib.sha256(disclosure.encode("ascii")).digest())


def make_disclosure(name: str, value: object, salt: str | None = None) -> str:
    """An object-property disclosure `[salt, name, value]`, base64url-encoded."""
    return _json_b64([salt or b64url(secrets.token_bytes(SALT_BYTES)), name, value])


def sign_compact(header: dict, payload: dict, key: PrivateKey) -> str:
    """A compact JWS with `alg` set from the key (EdDSA or ES256 only)."""
    alg = ALGORITHMS.get(key.kind)
    if alg is None:
        raise SigningError(f"SD-JWT needs an Ed25519 or P-256 key, not {key.kind}")
    signing_input = f"{_json_b64({**header, 'alg': alg})}.{_json_b64(payload)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode('ascii')))}"


# --- issuing ---------------------------------------------------------------------------------


def issue(claims: dict, disclosable: Iterable[tuple[str, ...]], key: PrivateKey,
          header: dict | None = None, decoys: int = 2) -> str:
    """The SD-JWT `<issuer-jwt>~<disclosure>~…~` for `claims`.

    Each path in `disclosable` (e.g. `("credentialSubject", "name")`) that exists is replaced
    by the digest of a salted disclosure in its parent object's `_sd`; absent paths are
    skipped. `decoys` random digests are added to every `_sd` so the number of hidden claims
    does not show. `header` adds members such as `kid`; `typ` defaults to `dc+sd-jwt`.
    """
    if not isinstance(claims, dict) or any(name in claims for name in ("_sd", "_sd_alg")):
        raise SigningError("SD-JWT claims must be a JSON object without _sd or _sd_alg")
    payload = json.loads(json.dumps(claims))
    disclosures: list[str] = []
    parents: list[dict] = []
    for path in disclosable:
        if not path or path[-1] in NEVER_DISCLOSABLE | RESERVED_NAMES:
            raise SigningError(f"{'.'.join(path)!s} cannot be selectively disclosable")
        parent = payload
        for step in path[:-1]:
            parent = parent.get(step) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        disclosure = make_disclosure(path[-1], parent.pop(path[-1]))
        disclosures.append(disclosure)
        parent.setdefault("_sd", []).append(digest(disclosure))
        if all(parent is not seen for seen in parents):
            parents.append(parent)
    for parent in parents:
        parent["_sd"].extend(b64url(hashlib.sha256(secrets.token_bytes(32)).digest())
                             for _ in range(decoys))
        parent["_sd"].sort()  # the order must not tell which digest is which claim
    payload["_sd_alg"] = SD_ALG
    jwt = sign_compact({"typ": SD_JWT_TYPE, **(header or {})}, payload, key)
    return "~".join([jwt, *disclosures, ""])


# --- presenting ------------------------------------------------------------------------------


def present(sd_jwt: str, names: Iterable[str], holder_key: PrivateKey | None = None,
            nonce: str | None = None, audience: str | None = None,
            now: datetime | None = None) -> str:
    """The holder's presentation: the disclosures of the claim `names`, and a KB-JWT when a
    `holder_key` is given (then `nonce` and `audience` are required)."""
    jwt, disclosures, _kb = split(sd_jwt)
    wanted = set(names)
    kept = [d for d in disclosures
            if len(item := _decode_disclosure(d)) == 3 and item[1] in wanted]
    presented = "~".join([jwt, *kept, ""])
    if holder_key is None:
        return presented
    if not nonce or not audience:
        raise SigningError("a Key Binding JWT needs the verifier's nonce and audience")
    moment = int((now or datetime.now(UTC)).timestamp())
    kb = sign_compact({"typ": KB_JWT_TYPE},
                      {"iat": moment, "aud": audience, "nonce": nonce,
                       "sd_hash": digest(presented)}, holder_key)
    return presented + kb


# --- verifying -------------------------------------------------------------------------------


def split(presentation: object) -> tuple[str, list[str], str]:
    """(issuer JWT, disclosures, KB-JWT or "") of a compact SD-JWT; checks the size limits."""
    if not isinstance(presentation, str) or "~" not in presentation:
        raise SdJwtError("not an SD-JWT: expected <issuer-jwt>~<disclosure>~…~[<kb-jwt>]")
    if len(presentation) > MAX_PRESENTATION_BYTES:
        raise SdJwtError(f"the SD-JWT is larger than {MAX_PRESENTATION_BYTES // 1024} kB")
    jwt, *disclosures, kb = presentation.strip().split("~")
    if len(disclosures) > MAX_DISCLOSURES:
        raise SdJwtError(f"the SD-JWT has more than {MAX_DISCLOSURES} disclosures")
    if any(not d for d in disclosures):
        raise SdJwtError("the SD-JWT has an empty disclosure (two ~ in a row)")
    return jwt, disclosures, kb


def decode_jws(token: str, what: str) -> tuple[dict, dict, bytes, bytes]:
    """(header, payload, signing input, signature) of a compact JWS, NOT verified."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not all(parts):
        raise SdJwtError(f"the {what} is not a compact JWS (header.payload.signature)")
    try:
        header = limits.parse_json(unb64url(parts[0]))
        payload = limits.parse_json(unb64url(parts[1]))
        signature = unb64url(parts[2])
    except (ValueError, BadgeError):
        raise SdJwtError(f"the {what} is not base64url-encoded JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise SdJwtError(f"the {what}'s header and payload must be JSON objects")
    if header.get("alg") not in KEY_KINDS:
        raise SdJwtError(f"the {what}'s alg {header.get('alg')!r} is not accepted: EdDSA or "
                         "ES256 only (never none, a MAC or RSA)")
    if "crit" in header:
        raise SdJwtError(f"the {what} lists critical header parameters (crit) not understood")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def check_signature(header: dict, signing_input: bytes, signature: bytes, key: PublicKey,
                    what: str) -> None:
    """The JWS signature is by `key`, whose kind fits `alg`; SdJwtError otherwise."""
    if KEY_KINDS[header["alg"]] != key.kind:
        raise SdJwtError(f"the {what}'s alg {header['alg']} does not fit a {key.kind} key")
    if not key.verify(signature, signing_input):
        raise SdJwtError(f"the {what}'s signature does not verify: it was altered or signed "
                         "with another key")


def verify(presentation: str, issuer_key: IssuerKey, now: datetime | None = None,
           nonce: str | None = None, audience: str | None = None,
           require_key_binding: bool = False) -> SdJwtResult:
    """Verify an SD-JWT (VC) as issued or as presented; raises SdJwtError on any failure.

    `issuer_key(header, payload)` returns the issuer's public key (it decides which keys are
    the issuer's and raises a BadgeError when it cannot). Expiry is reported in the result,
    not raised, so a page can say "expired" rather than "forged".
    """
    now = now or datetime.now(UTC)
    jwt, disclosures, kb = split(presentation)
    header, payload, signing_input, signature = decode_jws(jwt, "issuer JWT")
    warnings = []
    typ = header.get("typ")
    if typ == LEGACY_SD_JWT_TYPE:
        warnings.append("typ vc+sd-jwt is the old media type; SD-JWT VC now uses dc+sd-jwt")
    elif typ != SD_JWT_TYPE:
        raise SdJwtError(f"the issuer JWT's typ must be {SD_JWT_TYPE}, not {typ!r}")
    try:
        key = issuer_key(header, payload)
    except BadgeError as error:
        raise SdJwtError(f"the issuer's key cannot be established: {error}") from None
    check_signature(header, signing_input, signature, key, "issuer JWT")
    if payload.get("_sd_alg", SD_ALG) != SD_ALG:
        raise SdJwtError(f"_sd_alg {payload.get('_sd_alg')!r} is not supported (sha-256 only)")
    claims, disclosed = _unpack(payload, disclosures)
    result = SdJwtResult(header, payload, claims, disclosed, key, warnings=warnings)
    _check_times(result, payload, now)
    cnf = payload.get("cnf")
    if kb:
        _check_key_binding(result, cnf, jwt, disclosures, kb, now, nonce, audience)
    elif require_key_binding:
        raise SdJwtError("a Key Binding JWT is required, and the presentation has none")
    return result


def _decode_disclosure(disclosure: str) -> list:
    if len(disclosure) > MAX_DISCLOSURE_BYTES:
        raise SdJwtError(f"a disclosure is larger than {MAX_DISCLOSURE_BYTES // 1024} kB")
    try:
        value = limits.parse_json(unb64url(disclosure).decode("utf-8"))
    except (ValueError, BadgeError, UnicodeDecodeError):
        raise SdJwtError("a disclosure is not base64url-encoded JSON") from None
    if not isinstance(value, list) or len(value) not in (2, 3) \
            or not isinstance(value[0], str):
        raise SdJwtError("a disclosure must be [salt, name, value] or [salt, value]")
    if len(value) == 3 and (not isinstance(value[1], str) or value[1] in RESERVED_NAMES):
        raise SdJwtError(f"a disclosure's claim name {value[1]!r} is not allowed")
    return value


def _unpack(payload: dict, disclosures: list[str]) -> tuple[dict, list[Disclosed]]:
    """The claims with every disclosure put back (RFC 9901 §7.1 steps 3–5)."""
    by_digest: dict[str, list] = {}
    for disclosure in disclosures:
        hashed = digest(disclosure)
        if hashed in by_digest:
            raise SdJwtError("the same disclosure is presented twice")
        by_digest[hashed] = _decode_disclosure(disclosure)
    used: set[str] = set()
    disclosed: list[Disclosed] = []

    def take(hashed: object) -> list | None:
        if not isinstance(hashed, str):
            raise SdJwtError("an _sd entry or ... digest must be a string")
        if hashed in used:
            raise SdJwtError("a digest appears more than once in the SD-JWT")
        found = by_digest.get(hashed)
        if found is not None:
            used.add(hashed)
        return found

    def walk(value: object, path: tuple) -> object:
        if isinstance(value, dict):
            out = {k: walk(v, (*path, k)) for k, v in value.items()
                   if k not in ("_sd", "_sd_alg")}
            hidden = value.get("_sd", [])
            if not isinstance(hidden, list):
                raise SdJwtError("_sd must be an array of digests")
            for hashed in hidden:
                found = take(hashed)
                if found is None:
                    continue  # a decoy, or a claim the holder withheld
                if len(found) != 3:
                    raise SdJwtError("an array-element disclosure is referenced from _sd")
                name = found[1]
                if name in out:
                    raise SdJwtError(f"the disclosed claim {name!r} already exists")
                if not path and name in NEVER_DISCLOSABLE:
                    raise SdJwtError(f"the claim {name!r} must not be selectively disclosable")
                out[name] = walk(found[2], (*path, name))
                disclosed.append(Disclosed((*path, name), out[name]))
            return out
        if isinstance(value, list):
            items = []
            for index, item in enumerate(value):
                if isinstance(item, dict) and set(item) == {"..."}:
                    found = take(item["..."])
                    if found is None:
                        continue
                    if len(found) != 2:
                        raise SdJwtError("an object-property disclosure is referenced from ...")
                    items.append(walk(found[1], (*path, index)))
                    disclosed.append(Disclosed((*path, index), items[-1]))
                else:
                    items.append(walk(item, (*path, index)))
            return items
        return value

    claims = walk(payload, ())
    if used != set(by_digest):
        raise SdJwtError("a disclosure is not referenced by the issuer-signed JWT")
    return claims, disclosed


def _numeric_date(payload: dict, name: str) -> datetime | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SdJwtError(f"{name} must be a NumericDate (seconds since 1970)")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise SdJwtError(f"{name} is out of range") from None


def _check_times(result: SdJwtResult, payload: dict, now: datetime) -> None:
    expires, not_before = _numeric_date(payload, "exp"), _numeric_date(payload, "nbf")
    _numeric_date(payload, "iat")
    result.expired = expires is not None and expires <= now - CLOCK_SKEW
    result.not_yet_valid = not_before is not None and not_before > now + CLOCK_SKEW


def holder_key_of(cnf: object) -> PublicKey:
    """The holder's public key from `cnf.jwk` (a public JWK, Ed25519 or P-256)."""
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise SdJwtError("the KB-JWT cannot be checked: the SD-JWT has no cnf.jwk holder key")
    if PRIVATE_JWK_MEMBERS & set(jwk):
        raise SdJwtError("cnf.jwk must be a public key (it holds private members)")
    try:
        return PublicKey.from_jwk(jwk)
    except BadgeError as error:
        raise SdJwtError(f"cnf.jwk cannot be read: {error}") from None


def _check_key_binding(result: SdJwtResult, cnf: object, jwt: str, disclosures: list[str],
                       kb: str, now: datetime, nonce: str | None,
                       audience: str | None) -> None:
    header, payload, signing_input, signature = decode_jws(kb, "Key Binding JWT")
    if header.get("typ") != KB_JWT_TYPE:
        raise SdJwtError(f"the Key Binding JWT's typ must be {KB_JWT_TYPE}")
    holder = holder_key_of(cnf)
    check_signature(header, signing_input, signature, holder, "Key Binding JWT")
    expected = digest("~".join([jwt, *disclosures, ""]))
    if not isinstance(payload.get("sd_hash"), str) \
            or not hmac.compare_digest(payload["sd_hash"], expected):
        raise SdJwtError("the Key Binding JWT's sd_hash does not match the presented SD-JWT "
                         "(disclosures were added, removed or changed)")
    issued = _numeric_date(payload, "iat")
    if issued is None:
        raise SdJwtError("the Key Binding JWT has no iat")
    if now - issued > KB_MAX_AGE:
        raise SdJwtError("the Key Binding JWT is too old (iat): ask the holder for a fresh "
                         "presentation")
    if issued - now > CLOCK_SKEW:
        raise SdJwtError("the Key Binding JWT's iat is in the future")
    for claim in ("nonce", "aud"):
        if not isinstance(payload.get(claim), str) or not payload[claim]:
            raise SdJwtError(f"the Key Binding JWT has no {claim}")
    if nonce is not None:
        if not hmac.compare_digest(payload["nonce"].encode(), nonce.encode()):
            raise SdJwtError("the Key Binding JWT's nonce is not the one this verifier asked for")
        result.nonce_checked = True
    if audience is not None:
        if payload["aud"] != audience:
            raise SdJwtError("the Key Binding JWT's aud is not this verifier")
        result.audience_checked = True
    result.holder_key = holder
    result.key_binding = {"nonce": payload["nonce"], "aud": payload["aud"],
                          "iat": int(issued.timestamp())}
