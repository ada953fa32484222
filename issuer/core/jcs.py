"""`eddsa-jcs-2022` (W3C EdDSA Cryptosuites v1.0 §3.3): the same proof as `eddsa-rdfc-2022`, with
the JSON Canonicalization Scheme (RFC 8785) in place of RDF canonicalization.

No JSON-LD processing is needed to hash: the signed bytes are the JCS form of the proof options
(carrying the document's `@context`) and of the document. The verifier's safe-mode check still
expands the document, so a term no context defines is refused whatever the suite.
"""

from __future__ import annotations

import hashlib

import rfc8785

from .errors import SigningError

CRYPTOSUITE = "eddsa-jcs-2022"


def canonical(value: object) -> bytes:
    """The RFC 8785 bytes of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise SigningError(f"the document cannot be canonicalized with JCS: {error}") from None


def hash_data(document: dict, proof_config: dict) -> bytes:
    """sha256(JCS(proof config)) ‖ sha256(JCS(document)), as for the RDFC suite."""
    return (hashlib.sha256(canonical(proof_config)).digest()
            + hashlib.sha256(canonical(document)).digest())
