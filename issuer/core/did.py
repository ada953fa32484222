"""did:key expansion and did:web documents (W3C DID, Multikey verification methods)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

from .errors import ResolutionError
from .keys import PublicKey

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def verification_method(controller: str, key: PublicKey, fragment: str | None = None) -> dict:
    """A `Multikey` verification method whose id is `<controller>#<fragment or multibase>`."""
    return {
        "id": f"{controller}#{fragment or key.multibase}",
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": key.multibase,
    }


def json_web_key_method(controller: str, key: PublicKey) -> dict:
    """A `JsonWebKey` verification method (`<controller>#<JWK thumbprint>`) for VC-JWT verifiers.

    OB 3.0 §8.2 wants a JWT `kid` to dereference to a JWK, and a Multikey may carry only
    `publicKeyMultibase` (CID 1.0 forbids two forms of one key in one method), so the same key
    is listed a second time in this form.
    """
    return {
        "id": f"{controller}#{key.thumbprint()}",
        "type": "JsonWebKey",
        "controller": controller,
        "publicKeyJwk": key.to_jwk(),
    }


def did_key_document(did: str) -> dict:
    """Expand a `did:key:z…` into its DID document, offline."""
    if not did.startswith("did:key:"):
        raise ResolutionError(f"not a did:key: {did!r}")
    multibase = did.removeprefix("did:key:").split("#")[0]
    try:
        key = PublicKey.from_multibase(multibase)
    except Exception as error:
        raise ResolutionError(f"invalid did:key {did!r}: {error}") from None
    method = verification_method(did, key)
    return {
        "@context": DID_CONTEXTS,
        "id": did,
        "verificationMethod": [method],
        "authentication": [method["id"]],
        "assertionMethod": [method["id"]],
        "capabilityInvocation": [method["id"]],
        "capabilityDelegation": [method["id"]],
    }


def did_web_document(did: str, keys: Iterable[PublicKey], profile: dict | None = None) -> dict:
    """A did:web document listing every key version, all usable for `assertionMethod`.

    Each key appears as a Multikey (Data Integrity proofs) and then as a JsonWebKey (VC-JWT).
    Earlier keys stay listed after rotation so that badges they signed keep verifying.
    """
    keys = list(keys)
    methods = [verification_method(did, key) for key in keys]
    methods += [json_web_key_method(did, key) for key in keys]
    document = {"@context": list(DID_CONTEXTS), "id": did, "verificationMethod": methods}
    document["assertionMethod"] = [m["id"] for m in methods]
    document["authentication"] = [m["id"] for m in methods]
    if profile and profile.get("url"):
        document["alsoKnownAs"] = [profile["url"]]
    return document


def did_web_for(base_url: str, *path: str) -> str:
    """`did:web` identifier for a base URL and path, e.g. did:web:example.org%3A8080:issuers:cec."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"base URL {base_url!r} has no host")
    host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
    segments = [s for s in parts.path.split("/") if s] + [quote(p, safe="") for p in path]
    return ":".join(["did:web", host, *segments])


def did_web_url(did: str, allow_http_loopback: bool = False) -> str:
    """The https URL of a did:web document (colons → slashes, then `/did.json`)."""
    if not did.startswith("did:web:"):
        raise ResolutionError(f"not a did:web: {did!r}")
    segments = did.removeprefix("did:web:").split("#")[0].split(":")
    host = unquote(segments[0])
    if not host or "/" in host:
        raise ResolutionError(f"invalid did:web host in {did!r}")
    path = "/".join(unquote(s) for s in segments[1:])
    scheme = "https"
    if allow_http_loopback and host.split(":")[0] in ("localhost", "127.0.0.1", "[::1]"):
        scheme = "http"
    return (
        f"{scheme}://{host}/{path}/did.json" if path else f"{scheme}://{host}/.well-known/did.json"
    )
