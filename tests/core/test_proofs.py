"""eddsa-rdfc-2022 against the official 1EdTech OB 3.0 and CLR 2.0 vectors, byte for byte."""

import hashlib

import pytest

from issuer.core import jsonld, proofs
from issuer.core.keys import PrivateKey
from tests.helpers import load_vector

VECTOR_SETS = ["ob-v3p0-ldp", "clr-v2p0-ldp"]


def vector_key(name):
    seed = bytes.fromhex(load_vector(name, "key.json")["privateKeySeedHex"])
    return PrivateKey.from_ed25519_seed(seed)


def fixed_resolver(key):
    return lambda vm, purpose: (key.public_key, vm.split("#")[0])


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_document_canonical_form_is_byte_exact(name):
    unsigned = load_vector(name, "unsigned-credential.json")
    assert jsonld.canonize(unsigned) == load_vector(name, "document-canon.nq")


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_proof_config_canonical_form_is_byte_exact(name):
    config = load_vector(name, "proof-config.json")
    assert jsonld.canonize(config) == load_vector(name, "proof-canon.nq")


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_hash_data_is_proof_hash_then_document_hash(name):
    expected = load_vector(name, "expected.json")
    unsigned = load_vector(name, "unsigned-credential.json")
    options = load_vector(name, "proof-options.json")
    data = proofs.hash_data(unsigned, proofs.proof_config(unsigned, options))
    assert data.hex() == expected["dataToSignHex_proofHashThenDocumentHash"]
    assert data[:32].hex() == expected["proofConfigHashHex"]
    assert (
        hashlib.sha256(load_vector(name, "document-canon.nq").encode()).hexdigest()
        == (expected["documentHashHex"])
    )


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_signing_reproduces_the_official_proof_value(name):
    options = load_vector(name, "proof-options.json")
    signed = proofs.sign(
        load_vector(name, "unsigned-credential.json"),
        vector_key(name),
        options["verificationMethod"],
        created=options["created"],
    )
    proof = signed["proof"][0]
    assert proof["proofValue"] == load_vector(name, "expected.json")["proofValue"]
    assert {k: v for k, v in proof.items() if k != "proofValue"} == options


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_official_signed_credential_verifies(name):
    signed = load_vector(name, "signed-credential.json")
    result = proofs.verify_proof(
        signed, proofs.proofs_of(signed)[0], fixed_resolver(vector_key(name))
    )
    assert result.valid, result.message


def test_a_changed_name_breaks_the_signature():
    signed = load_vector("ob-v3p0-ldp", "signed-credential.json")
    signed["name"] = signed["name"] + "!"
    result = proofs.verify_proof(
        signed, proofs.proofs_of(signed)[0], fixed_resolver(vector_key("ob-v3p0-ldp"))
    )
    assert not result.valid
    assert "does not match" in result.message


def test_signing_is_deterministic_for_key_and_created():
    unsigned = load_vector("ob-v3p0-ldp", "unsigned-credential.json")
    key = PrivateKey.generate()
    first = proofs.sign(unsigned, key, "did:example:1#k", created="2025-03-01T10:00:00Z")
    second = proofs.sign(unsigned, key, "did:example:1#k", created="2025-03-01T10:00:00Z")
    assert first == second


def test_signing_refuses_a_non_datetime_created():
    unsigned = load_vector("ob-v3p0-ldp", "unsigned-credential.json")
    with pytest.raises(proofs.SigningError, match="dateTime"):
        proofs.sign(unsigned, PrivateKey.generate(), "did:example:1#k", created="yesterday")


def test_the_safe_mode_walk_gives_the_document_hash():
    signed = load_vector("ob-v3p0-ldp", "signed-credential.json")
    walked = jsonld.check_safe_mode(signed)
    result = proofs.verify_proof(signed, proofs.proofs_of(signed)[0],
                                 fixed_resolver(vector_key("ob-v3p0-ldp")), walked=walked)
    assert walked is not None and result.valid, result.message


def test_a_walk_of_another_document_is_not_used_for_the_hash():
    signed = load_vector("ob-v3p0-ldp", "signed-credential.json")
    altered = {**signed, "name": signed["name"] + "!"}
    result = proofs.verify_proof(altered, proofs.proofs_of(altered)[0],
                                 fixed_resolver(vector_key("ob-v3p0-ldp")),
                                 walked=jsonld.check_safe_mode(signed))
    assert not result.valid
    assert "does not match" in result.message
