"""W3C VC conformance bugs found by the W3C test suites (issue 15), each pinned by a test."""

import copy
import hashlib
import json

import pytest

from issuer.core import extra_contexts, jsonld, proofs, vc_model
from issuer.core.errors import ContextError
from issuer.core.keys import PrivateKey, PublicKey
from issuer.core.multibase import encode_base58btc
from issuer.core.presentations import PresentationError, verify_presentation
from tests.core.helpers import rich_credential, sign_with_did_key, statuses, verify
from tests.helpers import VECTORS

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


@pytest.mark.parametrize("context", ["a string", [{"@vocab": None}]])
def test_canonicalising_a_malformed_context_is_a_context_error(context):
    document = {"@context": context, "type": "VerifiableCredential"}
    with pytest.raises(ContextError):
        jsonld.canonize(document)
    with pytest.raises(ContextError):
        jsonld.check_safe_mode(document)


def test_verifier_reports_a_string_context_as_invalid(key):
    signed = sign_with_did_key(rich_credential("did:key:x"), key)
    signed = copy.deepcopy(signed)
    signed["@context"] = "a string"
    report = verify(signed)
    assert report.verdict == "invalid"
    assert "internal" not in statuses(report)


# --- VC 1.1 signing and the data model -----------------------------------------------------

VC1 = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"],
       "id": "urn:uuid:5e1d0c1c-0000-4000-8000-000000000001",
       "issuanceDate": "2025-01-01T00:00:00Z",
       "credentialSubject": {"id": "did:example:learner"}}


def test_signing_a_vc_1_1_credential_adds_the_data_integrity_context(key):
    document = {**VC1, "issuer": key.public_key.did_key}
    signed = proofs.sign(document, key, key.public_key.did_key_vm, created="2025-01-01T00:00:00Z")
    assert signed["@context"] == [*VC1["@context"], "https://w3id.org/security/data-integrity/v2"]
    result = proofs.verify_proof(signed, signed["proof"][0],
                                 lambda vm, purpose: (key.public_key, vm.split("#")[0]))
    assert result.valid, result.message


VC2 = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
       "issuer": "did:example:issuer", "credentialSubject": {"id": "did:example:learner"}}


def test_a_minimal_vc_2_0_credential_has_no_data_model_problem():
    assert vc_model.problems(VC2) == []
    assert vc_model.problems({**VC1, "issuer": "did:example:issuer"}) == []


@pytest.mark.parametrize(("change", "named"), [
    ({"issuer": None}, "issuer"),
    ({"credentialSubject": {}}, "credentialSubject"),
    ({"credentialSubject": []}, "credentialSubject"),
    ({"credentialStatus": {"id": "https://example.org/status/1"}}, "credentialStatus"),
    ({"termsOfUse": [{"id": "https://example.org/tou"}]}, "termsOfUse"),
    ({"evidence": [{"name": "photo"}]}, "evidence"),
    ({"refreshService": {"id": "https://example.org/refresh"}}, "refreshService"),
    ({"credentialSchema": {"id": "https://example.org/schema.json"}}, "credentialSchema"),
    ({"validFrom": "2025-01-01T00:00:00"}, "validFrom"),
    ({"validUntil": "tomorrow"}, "validUntil"),
    ({"relatedResource": [{"id": "https://example.org/a"}]}, "relatedResource"),
    ({"relatedResource": [{"id": "https://example.org/a", "digestSRI": "sha384-x"}] * 2},
     "relatedResource"),
    ({"@context": ["https://www.w3.org/ns/credentials/examples/v2",
                   "https://www.w3.org/ns/credentials/v2"]}, "@context"),
    ({"type": ["ExampleCredential"]}, "type"),
    ({"name": 4}, "name"),
])
def test_data_model_problems_are_named(change, named):
    found = vc_model.problems({**VC2, **change})
    assert found and found[0].startswith(named + ":"), found
    with pytest.raises(vc_model.DataModelError, match=f"^{named}"):
        vc_model.check_credential({**VC2, **change})


def test_missing_credential_subject_is_named():
    document = {k: v for k, v in VC2.items() if k != "credentialSubject"}
    assert vc_model.problems(document) == ["credentialSubject: is required"]


# --- any W3C credential, proof sets and chains ----------------------------------------------

def plain_credential(key, **extra):
    document = {**VC2, "issuer": key.public_key.did_key, "validFrom": "2025-01-01T00:00:00Z",
                **extra}
    return proofs.sign(document, key, key.public_key.did_key_vm, created="2025-01-01T00:00:00Z",
                       id="urn:uuid:7c1b3f3a-0000-4000-8000-00000000000a")


def test_a_plain_w3c_credential_verifies_without_the_open_badges_checks(key):
    report = verify(plain_credential(key))
    assert report.verdict == "valid", report.checks
    assert "schema" not in statuses(report) and "subject" not in statuses(report)


def test_a_plain_credential_breaking_the_data_model_is_invalid(key):
    signed = plain_credential(key, validUntil="someday")
    report = verify(signed)
    assert report.verdict == "invalid"
    assert statuses(report)["data-model"] == "failed"


def test_a_plain_credential_signed_by_a_key_the_issuer_does_not_control_is_invalid(key):
    other = PrivateKey.generate()
    document = {**VC2, "issuer": key.public_key.did_key, "validFrom": "2025-01-01T00:00:00Z"}
    signed = proofs.sign(document, other, other.public_key.did_key_vm,
                         created="2025-01-01T00:00:00Z")
    assert statuses(verify(signed))["issuer-binding"] == "failed"


def chained_proof(document, key, previous):
    """A second proof over `document` and the proof(s) it names in previousProof."""
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
               "created": "2025-01-02T00:00:00Z", "verificationMethod": key.public_key.did_key_vm,
               "proofPurpose": "assertionMethod", "previousProof": previous}
    data = proofs.hash_data(document, proofs.proof_config(document, options))
    return {**options, "proofValue": encode_base58btc(key.sign(data))}


def test_a_proof_chain_verifies_and_a_broken_link_does_not(key):
    signed = plain_credential(key)
    second = chained_proof(signed, key, signed["proof"][0]["id"])
    assert verify({**signed, "proof": [signed["proof"][0], second]}).verdict == "valid"
    dangling = {**second, "previousProof": "urn:uuid:not-in-the-document"}
    report = verify({**signed, "proof": [signed["proof"][0], dangling]})
    assert report.verdict == "invalid"
    assert "previousProof" in str(next(c.message for c in report.checks if c.name == "proof"))


def test_every_proof_of_a_proof_set_must_verify(key):
    signed = plain_credential(key)
    good = signed["proof"][0]
    forged = {**good, "proofValue": encode_base58btc(bytes(64))}
    assert verify({**signed, "proof": [good, good]}).verdict == "valid"
    assert verify({**signed, "proof": [good, forged]}).verdict == "invalid"


# --- extra contexts: closed world, hash-pinned ----------------------------------------------

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EXAMPLES_BYTES = b'{"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}'
EXAMPLES_SHA256 = hashlib.sha256(EXAMPLES_BYTES).hexdigest()


@pytest.fixture
def examples_context():
    yield
    extra_contexts.unregister(EXAMPLES_V2)


def alumni():
    return {**VC2, "@context": [*VC2["@context"], EXAMPLES_V2], "type": [
        "VerifiableCredential", "AlumniCredential"]}


def test_an_unregistered_context_is_refused():
    # A URL no test registers: threads keep the contexts they resolved (see unregister).
    document = {**alumni(), "@context": [*VC2["@context"], "https://partner.example/ctx/v1"]}
    with pytest.raises(ContextError, match="unknown JSON-LD context"):
        jsonld.expand_safely(document)


def test_a_registered_context_loads_and_a_wrong_pin_is_refused(examples_context):
    with pytest.raises(ContextError, match="pinned"):
        extra_contexts.register(EXAMPLES_V2, EXAMPLES_BYTES, "0" * 64)
    extra_contexts.register(EXAMPLES_V2, EXAMPLES_BYTES, EXAMPLES_SHA256)
    expanded = jsonld.expand_safely(alumni())
    assert "https://www.w3.org/ns/credentials/examples#AlumniCredential" in expanded[0]["@type"]
    with pytest.raises(ContextError, match="other bytes"):
        changed = EXAMPLES_BYTES.replace(b"examples#", b"evil#")
        extra_contexts.register(EXAMPLES_V2, changed, hashlib.sha256(changed).hexdigest())


def test_a_bundled_context_cannot_be_replaced():
    data = b'{"@context": {"@vocab": "https://evil.example/#"}}'
    with pytest.raises(ContextError, match="bundled"):
        extra_contexts.register(jsonld.CREDENTIALS_V2, data, hashlib.sha256(data).hexdigest())


def test_an_index_registers_all_or_nothing(tmp_path, examples_context):
    (tmp_path / "examples.json").write_bytes(EXAMPLES_BYTES)
    index = {EXAMPLES_V2: {"file": "examples.json", "sha256": EXAMPLES_SHA256},
             "https://partner.example/ctx": {"file": "examples.json", "sha256": "0" * 64}}
    (tmp_path / "index.json").write_text(json.dumps(index))
    with pytest.raises(ContextError, match="pinned"):
        extra_contexts.register_index(tmp_path / "index.json")
    assert EXAMPLES_V2 not in extra_contexts.registered()
    del index["https://partner.example/ctx"]
    (tmp_path / "index.json").write_text(json.dumps(index))
    assert extra_contexts.register_index(tmp_path / "index.json") == [EXAMPLES_V2]
    outside = {"https://partner.example/ctx": {"file": "../x.json", "sha256": EXAMPLES_SHA256}}
    (tmp_path / "index.json").write_text(json.dumps(outside))
    with pytest.raises(ContextError, match="outside"):
        extra_contexts.register_index(tmp_path / "index.json")


# --- the W3C vc-di-eddsa vectors: eddsa-jcs-2022 and a proof chain --------------------------

def fragment_key(vm, purpose):
    """The vectors' methods name their key in the fragment; the controller is the URL."""
    return PublicKey.from_multibase(vm.split("#")[1]), vm.split("#")[0]


def w3c_vector(name):
    return json.loads((VECTORS / "w3c-eddsa" / name).read_text("utf-8"))


@pytest.fixture
def examples_registered(examples_context):
    extra_contexts.register(EXAMPLES_V2, EXAMPLES_BYTES, EXAMPLES_SHA256)


def test_the_w3c_eddsa_jcs_2022_vector_verifies_and_a_change_does_not(examples_registered):
    signed = w3c_vector("signedJCS.json")
    assert proofs.verify_proof(signed, signed["proof"], fragment_key).valid
    changed = {**signed, "name": "Alumnus Credential"}
    assert not proofs.verify_proof(changed, signed["proof"], fragment_key).valid


def test_signing_with_eddsa_jcs_2022_round_trips(key, examples_registered):
    document = {k: v for k, v in w3c_vector("signedJCS.json").items() if k != "proof"}
    signed = proofs.sign(document, key, key.public_key.did_key_vm, cryptosuite="eddsa-jcs-2022")
    proof = signed["proof"][0]
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    result = proofs.verify_proof(signed, proof, lambda vm, p: (key.public_key, "x"))
    assert result.valid and result.cryptosuite == "eddsa-jcs-2022"


def test_every_proof_of_the_w3c_proof_chain_vector_verifies(examples_registered):
    signed = w3c_vector("signedProofChain2.json")
    results = [proofs.verify_proof(signed, p, fragment_key) for p in signed["proof"]]
    assert [r.valid for r in results] == [True] * 4, [r.message for r in results]
    broken = {**signed, "proof": signed["proof"][1:]}  # the chain's first link is gone
    assert not proofs.verify_proof(broken, broken["proof"][1], fragment_key).valid


def test_a_proof_in_an_unimplemented_suite_is_a_warning_beside_a_valid_one(key):
    signed = plain_credential(key)
    other = {**signed["proof"][0], "cryptosuite": "ecdsa-rdfc-2019", "id": "urn:uuid:other"}
    report = verify({**signed, "proof": [signed["proof"][0], other]})
    assert report.verdict == "valid", report.checks
    assert any("not checked" in str(w) for w in report.warnings)
    assert verify({**signed, "proof": [other]}).verdict == "invalid"
