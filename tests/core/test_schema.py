"""Validation against the bundled 1EdTech schemas, offline, with the spec's prose-only rules."""

import copy

import pytest

from issuer.core import schema
from issuer.core.errors import SchemaError
from tests.helpers import load_vector


@pytest.fixture
def credential():
    return load_vector("ob-v3p0-ldp", "signed-credential.json")


def test_ob_vector_conforms_to_the_tolerant_schema(credential):
    schema.validate(credential, "achievementcredential")


def test_clr_vector_conforms_to_the_clr_schema():
    schema.validate(load_vector("clr-v2p0-ldp", "signed-credential.json"), "clrcredential")


def test_status_and_https_fixtures_conform():
    schema.validate(load_vector("misc", "credential-https-issuer.json"))
    schema.validate(load_vector("bitstring-status-list", "credential-with-status-entry.json"))


def test_strict_schema_wants_proof_as_an_array(credential):
    [error] = schema.errors(credential, "achievementcredential", strict=True)
    assert error.startswith("proof: {'type': 'DataIntegrityProof'") and error.endswith("...")
    credential["proof"] = [credential["proof"]]
    schema.validate(credential, strict=True)


def test_schema_is_chosen_from_the_type():
    assert schema.schema_for({"type": ["VerifiableCredential", "OpenBadgeCredential"]}) == (
        "achievementcredential"
    )
    assert schema.schema_for({"type": ["VerifiableCredential", "AchievementCredential"]}) == (
        "achievementcredential"
    )
    assert schema.schema_for({"type": ["VerifiableCredential", "EndorsementCredential"]}) == (
        "endorsementcredential"
    )
    assert schema.schema_for({"type": ["VerifiableCredential", "ClrCredential"]}) == "clrcredential"
    assert schema.schema_for({"type": "Profile"}) == "profile"


def test_unknown_type_has_no_schema():
    with pytest.raises(SchemaError, match="no schema for a document of type"):
        schema.schema_for({"type": ["VerifiableCredential", "BitstringStatusListCredential"]})


def test_unknown_schema_name_is_refused(credential):
    with pytest.raises(SchemaError, match="no bundled schema named 'nonsense'"):
        schema.validate(credential, "nonsense")


def test_context_order_is_enforced(credential):
    credential["@context"].reverse()
    assert schema.errors(credential) == [
        "@context[0]: 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json' is not one "
        "of ['https://www.w3.org/ns/credentials/v2']"
    ]


def test_error_names_the_path_of_the_bad_value(credential):
    credential["credentialSubject"]["achievement"]["image"] = "https://example.org/badge.png"
    assert schema.errors(credential) == [
        "credentialSubject.achievement.image: 'https://example.org/badge.png' is not of type "
        "'object'"
    ]


def test_validate_raises_with_every_error_listed(credential):
    credential["credentialSubject"]["achievement"]["image"] = "https://example.org/badge.png"
    credential["@context"].reverse()
    with pytest.raises(SchemaError, match=r"\(and 1 more\)") as raised:
        schema.validate(credential)
    assert len(raised.value.errors) == 2


def test_identity_type_typo_is_reported(credential):
    credential["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "hashed": False, "identityHash": "x", "identityType": "email"}
    ]
    [error] = schema.errors(credential)
    assert error.startswith("credentialSubject.identifier[0].identityType: 'email' is not one of")


def test_subject_without_id_or_identifier_fails_the_prose_rule(credential):
    del credential["credentialSubject"]["id"]
    assert schema.errors(credential) == [
        "credentialSubject: needs an 'id' or at least one 'identifier' for the recipient"
    ]


def test_subject_with_identifier_only_passes(credential):
    del credential["credentialSubject"]["id"]
    credential["credentialSubject"]["identifier"] = [
        {"type": "IdentityObject", "hashed": False, "identityHash": "Ana", "identityType": "name"}
    ]
    assert schema.errors(credential) == []


def test_datetime_without_timezone_is_reported_once(credential):
    credential["validFrom"] = "2024-05-01T12:00:00"
    assert schema.errors(credential) == ["validFrom: '2024-05-01T12:00:00' is not a 'date-time'"]


def test_non_ascii_text_validates(credential):
    fresh = copy.deepcopy(credential)
    fresh["name"] = "Compétences numériques – łódź, niño, città, Straße"
    assert schema.errors(fresh) == []
