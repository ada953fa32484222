"""Data Integrity proofs: `eddsa-rdfc-2022` and `eddsa-jcs-2022` (W3C EdDSA Cryptosuites v1.0).

Signing and verification are symmetric: both build the 64-byte
`sha256(canon(proof config)) ‖ sha256(canon(document))` and differ only in sign vs verify.
Legacy suites that older badges and wallets still use (`eddsa-2022`, `Ed25519Signature2020`)
hash the same way and are accepted when verifying, never produced.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import jcs
from .clock import utc_stamp
from .errors import BadgeError, SigningError, VerificationError
from .jsonld import DocumentLoader, canonize, default_loader
from .keys import ED25519, PrivateKey, PublicKey
from .messages import N_, message_of
from .multibase import decode_base58btc, encode_base58btc
from .rdfc import Walk
from .vc_model import ensure_suite_context

CRYPTOSUITE = "eddsa-rdfc-2022"
CRYPTOSUITES = {CRYPTOSUITE, jcs.CRYPTOSUITE}
PROOF_TYPE = "DataIntegrityProof"
LEGACY_SUITES = {("DataIntegrityProof", "eddsa-2022"), ("Ed25519Signature2020", None)}
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# Resolves a verification method URL to (public key, controller id); raises ResolutionError.
KeyResolver = Callable[[str, str], tuple[PublicKey, str]]


def hash_data(document: dict, proof_config: dict, loader: DocumentLoader | None = None,
              canonical_document: str | None = None) -> bytes:
    """The 64 bytes that are signed: proof-config hash first, then the document hash.

    `canonical_document` is the document's canonical N-Quads when the caller already has them.
    """
    if proof_config.get("cryptosuite") == jcs.CRYPTOSUITE:
        return jcs.hash_data(document, proof_config)
    canonical_config = canonize(proof_config, loader)
    canonical_document = canonical_document or canonize(document, loader)
    return (
        hashlib.sha256(canonical_config.encode("utf-8")).digest()
        + hashlib.sha256(canonical_document.encode("utf-8")).digest()
    )


def proof_config(document: dict, options: dict) -> dict:
    """The proof options with the document's `@context`, the thing canonicalized for the proof."""
    config = {k: v for k, v in options.items() if k != "proofValue"}
    if options.get("type") == "Ed25519Signature2020":
        config["@context"] = ED25519_2020_CONTEXT
    else:
        config["@context"] = document["@context"]
    return config


def sign(
    document: dict,
    key: PrivateKey,
    verification_method: str,
    created: str | None = None,
    loader: DocumentLoader | None = None,
    proof_purpose: str = "assertionMethod",
    cryptosuite: str = CRYPTOSUITE,
    **extra: str,
) -> dict:
    """Return a copy of `document` with an `eddsa-rdfc-2022` DataIntegrityProof in `proof[]`.

    Deterministic for a given key, document and `created`. `extra` adds proof options such as
    `challenge` and `domain` for presentations.
    """
    if key.kind != ED25519:
        raise SigningError(f"{cryptosuite} needs an Ed25519 key, not {key.kind}")
    if cryptosuite not in CRYPTOSUITES:
        raise SigningError(f"cryptosuite {cryptosuite!r} is not one of {sorted(CRYPTOSUITES)}")
    if "proof" in document:
        raise SigningError("the document already has a proof; sign the unsigned document")
    if "@context" not in document:
        raise SigningError("the document has no @context")
    document = ensure_suite_context(document)  # a VC 1.1 base context lacks the proof's terms
    created = created or utc_stamp()
    if not _DATETIME.match(created):
        raise SigningError(f"created {created!r} is not an XML Schema dateTime")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        **extra,
    }
    data = hash_data(document, proof_config(document, options), loader)
    signed = copy.deepcopy(document)
    signed["proof"] = [{**options, "proofValue": encode_base58btc(key.sign(data))}]
    return signed


@dataclass(frozen=True)
class ProofResult:
    """The outcome of verifying one proof."""

    valid: bool
    message: str
    verification_method: str | None = None
    controller: str | None = None
    cryptosuite: str | None = None


def proofs_of(document: dict) -> list[dict]:
    proof = document.get("proof")
    if proof is None:
        return []
    return proof if isinstance(proof, list) else [proof]


def verify_proof(
    document: dict,
    proof: dict,
    resolve_key: KeyResolver,
    loader: DocumentLoader | None = None,
    expected_purpose: str = "assertionMethod",
    walked: Walk | None = None,
) -> ProofResult:
    """Verify one proof of a secured document; never raises for a bad proof, only reports.

    `walked` is what `jsonld.check_safe_mode(document, loader)` returned for this very document,
    unchanged since: the document's hash then comes from that walk instead of a second one.
    """
    if not isinstance(proof, dict):
        return ProofResult(False, N_("proof is not an object"))
    suite = proof.get("cryptosuite")
    vm = proof.get("verificationMethod")
    if (proof.get("type") != PROOF_TYPE or suite not in CRYPTOSUITES) and (
        proof.get("type"),
        suite,
    ) not in LEGACY_SUITES:
        return ProofResult(False, N_("unsupported proof type %(type)s / %(suite)s",
                                          type=repr(proof.get("type")), suite=repr(suite)))
    if proof.get("proofPurpose") != expected_purpose:
        return ProofResult(False, N_("proofPurpose must be %(purpose)s",
                                          purpose=repr(expected_purpose)))
    if not isinstance(vm, str):
        return ProofResult(False, N_("proof has no verificationMethod"))
    try:
        signature = decode_base58btc(proof.get("proofValue", ""))
    except BadgeError as error:
        reason = message_of(error) or str(error)
        return ProofResult(False, N_("proofValue: %(reason)s", reason=reason), vm)
    if len(signature) != 64:
        return ProofResult(False, N_("proofValue is not a 64-byte Ed25519 signature"), vm)
    if "@context" not in document:
        return ProofResult(False, N_("the document has no @context"), vm)
    try:
        key, controller = resolve_key(vm, expected_purpose)
        unsecured = _chained(document, proof)
        canonical = _canonical_unsecured(document, proof, loader, walked)
        data = hash_data(unsecured, proof_config(unsecured, proof), loader, canonical)
    except BadgeError as error:
        return ProofResult(False, message_of(error) or str(error), vm)
    if key.kind != ED25519 or not key.verify(signature, data):
        return ProofResult(
            False, N_("the signature does not match the document"), vm, controller, suite
        )
    return ProofResult(True, N_("signature verified"), vm, controller, suite or proof.get("type"))


def _canonical_unsecured(document: dict, proof: dict, loader: DocumentLoader | None,
                         walked: Walk | None) -> str | None:
    """The canonical form of `document` without its proofs, from the safe-mode check's walk
    of it; None when there is no such walk or the proof chains to others."""
    if (
        walked is None
        or walked.document is not document
        or walked.loader is not (loader or default_loader())
        or proof.get("previousProof") is not None
    ):
        return None
    return walked.canonical(without="proof")


def _chained(document: dict, proof: dict) -> dict:
    """The document a proof signed: without proofs, or with those its `previousProof` names."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    wanted = previous if isinstance(previous, list) else [previous]
    chained = [p for p in proofs_of(document) if isinstance(p, dict) and p.get("id") in wanted]
    if not all(isinstance(w, str) for w in wanted) or len(chained) != len(set(wanted)):
        raise VerificationError(N_("a previousProof names a proof the document does not hold"))
    unsecured["proof"] = chained
    return unsecured
