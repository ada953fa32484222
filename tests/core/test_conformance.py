"""W3C VC conformance bugs found by the W3C test suites (issue 15), each pinned by a test."""

import copy

import pytest

from issuer.core import jsonld, proofs
from issuer.core.errors import ContextError
from issuer.core.keys import PrivateKey
from issuer.core.multibase import encode_base58btc
from issuer.core.presentations import PresentationError, verify_presentation
from tests.core.test_verify import rich_credential, sign_with_did_key, statuses, verify

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


@pytest.fixture(scope="module")
def key():
    return PrivateKey.generate()


def test_inline_context_object_with_an_extra_term_verifies(key):
    credential = rich_credential("did:key:x", **{"@context": [
        *CONTEXTS, {"shoeSize": "https://example.org/vocab#shoeSize"}]})
    credential["shoeSize"] = 42
    report = verify(sign_with_did_key(credential, key))
    assert report.verdict == "valid", report.checks


def test_verify_proof_of_a_document_without_context_reports_instead_of_raising(key):
    signed = sign_with_did_key(rich_credential("did:key:x"), key)
    del signed["@context"]
    result = proofs.verify_proof(signed, signed["proof"][0],
                                 lambda vm, purpose: (key.public_key, vm.split("#")[0]))
    assert not result.valid
    assert "@context" in result.message


def test_presentation_without_context_is_refused_not_crashed(key):
    presentation = {"type": ["VerifiablePresentation"], "proof": {
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "authentication", "verificationMethod": key.public_key.did_key_vm,
        "challenge": "c", "domain": "d", "proofValue": encode_base58btc(bytes(64))}}
    with pytest.raises(PresentationError):
        verify_presentation(presentation, "c", "d")


@pytest.mark.parametrize("context", ["a string", [{"@vocab": None}], [{"@version": 2}],
                                     [{"@context": {"x": {"@id": 5}}}]])
def test_malformed_contexts_are_context_errors(context):
    with pytest.raises(ContextError):
        jsonld.expand_safely({"@context": context, "type": "VerifiableCredential"})


def test_verifier_reports_a_string_context_as_invalid(key):
    signed = sign_with_did_key(rich_credential("did:key:x"), key)
    signed = copy.deepcopy(signed)
    signed["@context"] = "a string"
    report = verify(signed)
    assert report.verdict == "invalid"
    assert "internal" not in statuses(report)
