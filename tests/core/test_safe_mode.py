"""JSON-LD safe mode: a term no context defines is refused, by expansion and by signing."""

import copy

import pytest

from issuer.core import jsonld, proofs
from issuer.core.errors import SafeModeError
from issuer.core.keys import PrivateKey
from tests.helpers import rich_credential


@pytest.fixture(scope="module")
def key():
    return PrivateKey.generate()


def well_formed(key):
    return rich_credential(key.public_key.did_key)


def with_undefined_property(credential):
    credential["favouriteColour"] = "vert"
    return credential, "favouriteColour"


def with_undefined_type(credential):
    credential["credentialSubject"]["achievement"]["type"] = ["Achievement", "MicroTraining"]
    return credential, "MicroTraining"


def with_nested_undefined_term(credential):
    credential["credentialSubject"]["result"][0]["gestureScore"] = "3/3"
    return credential, "gestureScore"


def with_undefined_term_in_an_identity_object(credential):
    credential["credentialSubject"]["identifier"][0]["verified"] = True
    return credential, "verified"


BROKEN = [
    with_undefined_property,
    with_undefined_type,
    with_nested_undefined_term,
    with_undefined_term_in_an_identity_object,
]


@pytest.mark.parametrize("breakage", BROKEN)
def test_expansion_refuses_and_names_the_term(key, breakage):
    credential, term = breakage(well_formed(key))
    with pytest.raises(SafeModeError) as raised:
        jsonld.expand_safely(credential)
    assert raised.value.term == term
    assert repr(term) in str(raised.value)


@pytest.mark.parametrize("breakage", BROKEN)
def test_signing_refuses_and_names_the_term(key, breakage):
    credential, term = breakage(well_formed(key))
    with pytest.raises(SafeModeError) as raised:
        proofs.sign(credential, key, key.public_key.did_key_vm)
    assert raised.value.term == term


def test_undefined_property_message_says_it_would_be_dropped(key):
    credential, _ = with_undefined_property(well_formed(key))
    with pytest.raises(SafeModeError, match="'favouriteColour' is not defined by any context"):
        jsonld.expand_safely(credential)


def test_well_formed_credential_expands_and_signs(key):
    credential = well_formed(key)
    original = copy.deepcopy(credential)
    assert jsonld.expand_safely(credential)
    signed = proofs.sign(credential, key, key.public_key.did_key_vm)
    assert {k: v for k, v in signed.items() if k != "proof"} == original


def test_term_defined_by_an_extension_context_is_accepted(key):
    credential = well_formed(key)
    credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    credential["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    assert jsonld.expand_safely(credential)


def test_schema_validator_type_without_the_extensions_context_is_refused(key):
    credential = well_formed(key)
    credential["credentialSchema"] = [
        {"id": "https://example.org/schema.json", "type": "1EdTechJsonSchemaValidator2019"}
    ]
    with pytest.raises(SafeModeError) as raised:
        jsonld.expand_safely(credential)
    assert raised.value.term == "1EdTechJsonSchemaValidator2019"
