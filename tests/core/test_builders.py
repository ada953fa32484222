"""The OB 3.0 builders: strict-schema JSON, safe-mode JSON-LD, signable, and refusing bad values."""

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from issuer.core import jsonld, proofs, schema
from issuer.core.builders import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA,
    CREDENTIALS_V2,
    ENDORSEMENT_CREDENTIAL_SCHEMA,
    OB_CONTEXT,
    OB_EXTENSIONS,
    Achievement,
    AchievementSubject,
    Address,
    Alignment,
    Criteria,
    EndorsementCredential,
    Evidence,
    IdentifierEntry,
    Image,
    OpenBadgeCredential,
    Profile,
    Related,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    email_identifier,
    hash_identity,
    name_identifier,
    new_credential_id,
)
from issuer.core.errors import BuildError
from issuer.core.keys import PrivateKey, PublicKey
from issuer.domain.microcredentials import (
    MicroCredentialFacts,
    iso_duration,
    micro_credential_elements,
    with_micro_credential,
)

HOST = "https://badges.example.org"
ACHIEVEMENT_ID = f"{HOST}/achievements/sorting-waste/fr"
ESCO_SORT = "http://data.europa.eu/esco/skill/1c4b3c4e-7f0e-4d0a-9b5f-0c1f4b5e6a7d"
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def did_key_resolver(vm, purpose):
    return PublicKey.from_multibase(vm.split("#")[1]), vm.split("#")[0]


def sign(document, key):
    return proofs.sign(document, key, key.public_key.did_key_vm, created="2025-03-01T12:00:00Z")


def assert_valid_both_schemas(credential, schema_name=None):
    assert schema.errors(credential, schema_name) == []
    assert schema.errors(credential, schema_name, strict=True) == []


def issuer(profile_id="did:web:badges.example.org:issuers:cec"):
    return Profile(profile_id, "Centre d'Éducation Citoyenne", url="https://cec.example.org")


def gesture(slug, name):
    levels = (
        RubricCriterionLevel(f"{ACHIEVEMENT_ID}/{slug}/not-yet", "Pas encore acquis", level="1"),
        RubricCriterionLevel(f"{ACHIEVEMENT_ID}/{slug}/acquired", "Acquis", level="2"),
    )
    return ResultDescription(
        f"{ACHIEVEMENT_ID}/{slug}",
        name,
        "RubricCriterionLevel",
        rubric_criterion_levels=levels,
        required_level=levels[1].id,
    )


def achievement(**changes):
    values = {
        "id": ACHIEVEMENT_ID,
        "name": "Trier et réduire les déchets sur un chantier",
        "description": "Une demi-journée pour prendre les bons réflexes avec les déchets.",
        "criteria": Criteria(narrative="Réaliser les trois gestes devant le formateur."),
        "in_language": "fr",
    }
    return Achievement(**{**values, **changes})


def subject(the_achievement=None, **changes):
    values = {
        "achievement": the_achievement or achievement(),
        "identifiers": [name_identifier("Zoë")],
    }
    return AchievementSubject(**{**values, **changes})


def credential(the_subject=None, **changes):
    values = {
        "id": f"{HOST}/credentials/6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
        "issuer": issuer(),
        "subject": the_subject or subject(),
        "valid_from": "2025-03-01T12:00:00Z",
    }
    return OpenBadgeCredential(**{**values, **changes})


def facts(**changes):
    values = {
        "learning_outcomes": [
            ("Trier les déchets là où ils sont produits.", ESCO_SORT),
            ("Reconnaître les déchets dangereux.", None),
        ],
        "workload_hours": 3.5,
        "eqf_level": 2,
        "assessment_type": "observation",
        "participation_form": "onsite",
        "quality_assurance": "Grille d'observation SKY, relue par les partenaires.",
        "prerequisites": "Aucun",
        "language": "fr",
    }
    return MicroCredentialFacts(**{**values, **changes})


def rich_credential(issuer_profile):
    """Three gestures, results, evidence, ESCO + EQF, translations, status, images, accents."""
    gestures = [
        gesture("sort-at-source", "Mettre chaque déchet dans le bon conteneur"),
        gesture("reduce-and-reuse", "Produire moins de déchets — réutiliser les chutes"),
        gesture("hazardous-waste", "Manipuler les déchets dangereux en sécurité"),
    ]
    the_achievement = with_micro_credential(achievement(
        result_descriptions=gestures,
        image=Image(f"{HOST}/achievements/sorting-waste.png", "Tri des déchets"),
        related=[
            Related(f"{HOST}/achievements/sorting-waste/pl", in_language="pl"),
            Related(f"{HOST}/achievements/sorting-waste/es", in_language="es"),
            Related(f"{HOST}/achievements/sorting-waste/it", in_language="it"),
            Related(f"{HOST}/achievements/sorting-waste/nl", in_language="nl"),
        ],
        version="1.0",
        human_code="SKY-GJ-01",
        field_of_study="Économie circulaire",
        creator=issuer_profile,
        tags=["déchets", "chantier"],
    ), facts())
    results = [Result(g.id, g.rubric_criterion_levels[1].id, status="Completed") for g in gestures]
    the_subject = AchievementSubject(
        the_achievement,
        identifiers=[name_identifier("Łucja Núñez-Dupré"), email_identifier("lucja@example.org")],
        results=results,
        activity_start_date="2025-03-01T08:30:00Z",
        activity_end_date="2025-03-01T12:00:00Z",
        narrative="Très bon travail : gestes sûrs, même pour les déchets dangereux. Świetnie!",
    )
    return OpenBadgeCredential(
        id=new_credential_id(HOST),
        issuer=issuer_profile,
        subject=the_subject,
        valid_from="2025-03-01T12:00:00Z",
        valid_until="2030-03-01T12:00:00Z",
        image=Image(f"{HOST}/credentials/baked.png"),
        evidence=[
            Evidence(
                id=f"{HOST}/evidence/photo-1.jpg",
                name="Photo du tri",
                narrative="Benne bois / métal / plâtre, étiquettes lues à voix haute.",
                genre="Photo",
            )
        ],
        credential_status={
            "id": f"{HOST}/status/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": f"{HOST}/status/1",
        },
    )


# --- identity hashing (DIGEST §A.6) ---------------------------------------------------------


def test_identity_hash_reproduces_the_spec_example():
    assert hash_identity("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_identity_hash_reproduces_the_implementation_guide_example():
    assert hash_identity("jjefferson18@example.com", "FleurDeSel") == (
        "sha256$658625b25ab3d75d613ca97d9a5a77f70e2192feca5557f4ad09a4d4f121f5fc"
    )


def test_email_identifier_hashes_the_trimmed_lower_cased_address():
    identity = email_identifier("  A@Example.COM ", salt="Kosher")
    assert identity == {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
        "identityType": "emailAddress",
        "salt": "Kosher",
    }


def test_email_identifier_draws_a_fresh_16_byte_hex_salt_each_time():
    first, second = email_identifier("a@example.com"), email_identifier("a@example.com")
    assert re.fullmatch(r"[0-9a-f]{32}", first["salt"])
    assert first["salt"] != second["salt"]
    assert first["identityHash"] == hash_identity("a@example.com", first["salt"])


def test_email_identifier_refuses_something_that_is_not_an_address():
    with pytest.raises(BuildError, match="not an e-mail address"):
        email_identifier("ana at example.org")


def test_name_identifier_is_the_unhashed_name():
    assert name_identifier(" Łucja Núñez ") == {
        "type": "IdentityObject",
        "hashed": False,
        "identityHash": "Łucja Núñez",
        "identityType": "name",
    }


# --- refusals -------------------------------------------------------------------------------


def test_in_language_en_us_is_refused():
    with pytest.raises(BuildError, match="'en-us'"):
        achievement(in_language="en-us")


def test_related_in_language_follows_the_same_pattern():
    with pytest.raises(BuildError, match="Related inLanguage"):
        Related(f"{HOST}/achievements/x/fr", in_language="FR")


def test_unknown_achievement_type_is_refused():
    with pytest.raises(BuildError, match="achievementType 'MicroBadge'"):
        achievement(achievement_type="MicroBadge")


def test_extension_achievement_type_is_accepted():
    assert achievement(achievement_type="ext:Workshop").to_json()["achievementType"] == (
        "ext:Workshop"
    )


def test_subject_without_id_or_identifier_is_refused():
    with pytest.raises(BuildError, match="needs the learner's id"):
        AchievementSubject(achievement())


def test_subject_with_only_a_wallet_did_is_accepted():
    the_subject = AchievementSubject(
        achievement(), id="did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"
    )
    assert "identifier" not in the_subject.to_json()


def test_bare_string_credential_id_is_refused():
    with pytest.raises(BuildError, match="https URL or 'urn:uuid:<uuid>'"):
        credential(id="credential-42")


@pytest.mark.parametrize(
    "bad_id",
    [
        "urn:uuid:not-a-uuid",
        "http://badges.example.org/credentials/1",
        "ftp://x/y",
        "https://[::1/credentials/1",
    ],
)
def test_credential_id_must_be_https_or_urn_uuid(bad_id):
    with pytest.raises(BuildError):
        credential(id=bad_id)


def test_http_credential_id_is_accepted_on_loopback_for_development():
    assert credential(id="http://localhost:5000/credentials/1").id == (
        "http://localhost:5000/credentials/1"
    )


def test_malformed_identifier_dict_is_refused():
    with pytest.raises(BuildError, match="IdentityObject dicts"):
        AchievementSubject(achievement(), identifiers=[{"type": "IdentityObject", "email": "x"}])


def test_result_pointing_outside_the_achievement_is_refused():
    with pytest.raises(BuildError, match="not a result description"):
        subject(results=[Result(f"{HOST}/achievements/other/gesture")])


def test_achieved_level_outside_the_rubric_is_refused():
    the_gesture = gesture("sort", "Trier")
    with pytest.raises(BuildError, match="not a rubric level"):
        subject(
            achievement(result_descriptions=[the_gesture]),
            results=[Result(the_gesture.id, achieved_level=f"{HOST}/levels/gold")],
        )


def test_status_result_type_needs_a_status():
    described = ResultDescription(f"{ACHIEVEMENT_ID}/attendance", "Présence", "Status")
    with pytest.raises(BuildError, match="resultType Status"):
        subject(achievement(result_descriptions=[described]), results=[Result(described.id)])


def test_unknown_result_status_is_refused():
    with pytest.raises(BuildError, match="Result status 'Passed'"):
        Result(status="Passed")


def test_required_level_must_be_one_of_the_rubric_levels():
    with pytest.raises(BuildError, match="requiredLevel"):
        ResultDescription(
            f"{ACHIEVEMENT_ID}/g",
            "Geste",
            "RubricCriterionLevel",
            rubric_criterion_levels=[RubricCriterionLevel(f"{ACHIEVEMENT_ID}/g/ok", "Acquis")],
            required_level=f"{ACHIEVEMENT_ID}/g/excellent",
        )


def test_lower_case_country_code_is_refused():
    with pytest.raises(BuildError, match="ISO 3166-1 alpha-2"):
        Address(address_country_code="be")


def test_relative_achievement_id_is_refused():
    with pytest.raises(BuildError, match="Achievement id must be an absolute URI"):
        achievement(id="sorting-waste")


def test_valid_until_before_valid_from_is_refused():
    with pytest.raises(BuildError, match="validUntil"):
        credential(valid_until="2025-02-01T00:00:00Z")


def test_credential_status_without_id_is_refused():
    with pytest.raises(BuildError, match="credentialStatus"):
        credential(credential_status={"type": "BitstringStatusListEntry"})


def test_unsigned_endorsement_is_refused_on_an_achievement():
    unsigned = EndorsementCredential(
        new_credential_id(None), issuer(), ACHIEVEMENT_ID, "Approuvé", "2025-01-01T00:00:00Z"
    ).to_json()
    with pytest.raises(BuildError, match="signed EndorsementCredential"):
        achievement(endorsements=[unsigned])


# --- timestamps -----------------------------------------------------------------------------


def test_aware_datetime_is_rendered_in_utc_whole_seconds():
    brussels = timezone(timedelta(hours=1))
    valid_from = datetime(2025, 3, 1, 13, 0, 5, 987654, tzinfo=brussels)
    assert credential(valid_from=valid_from).to_json()["validFrom"] == "2025-03-01T12:00:05Z"


def test_naive_datetime_is_refused():
    with pytest.raises(BuildError, match="naive datetime"):
        credential(valid_from=datetime(2025, 3, 1, 12, 0, 0))


@pytest.mark.parametrize(
    "value",
    ["2025-03-01", "2025-03-01T12:00:00", "2025-03-01T12:00:00+01:00", "2025-02-30T12:00:00Z"],
)
def test_timestamp_strings_must_be_utc_whole_seconds(value):
    with pytest.raises(BuildError, match="YYYY-MM-DDThh:mm:ssZ"):
        credential(valid_from=value)


# --- shape of the JSON ----------------------------------------------------------------------


def test_credential_with_schema_names_the_extensions_context_and_the_ob_schema():
    document = credential().to_json()
    assert document["@context"] == [CREDENTIALS_V2, OB_CONTEXT, OB_EXTENSIONS]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["credentialSchema"] == [
        {"id": ACHIEVEMENT_CREDENTIAL_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
    ]


def test_credential_without_schema_has_exactly_the_two_standard_contexts():
    document = credential(credential_schema=False).to_json()
    assert document["@context"] == [CREDENTIALS_V2, OB_CONTEXT]
    assert "credentialSchema" not in document


def test_credential_name_and_description_default_to_the_achievement():
    document = credential().to_json()
    assert document["name"] == "Trier et réduire les déchets sur un chantier"
    assert document["description"] == (
        "Une demi-journée pour prendre les bons réflexes avec les déchets."
    )


def test_image_is_an_object_with_the_plain_type_string():
    assert Image("https://x.example/i.png", "Logo").to_json() == {
        "id": "https://x.example/i.png",
        "type": "Image",
        "caption": "Logo",
    }


def test_absent_values_are_omitted_not_null_or_empty():
    document = credential().to_json()
    assert document["credentialSubject"] == {
        "type": ["AchievementSubject"],
        "identifier": [name_identifier("Zoë")],
        "achievement": {
            "id": ACHIEVEMENT_ID,
            "type": ["Achievement"],
            "achievementType": "MicroCredential",
            "name": "Trier et réduire les déchets sur un chantier",
            "description": "Une demi-journée pour prendre les bons réflexes avec les déchets.",
            "criteria": {"narrative": "Réaliser les trois gestes devant le formateur."},
            "inLanguage": "fr",
        },
    }
    assert document["issuer"] == {
        "id": "did:web:badges.example.org:issuers:cec",
        "type": ["Profile"],
        "name": "Centre d'Éducation Citoyenne",
        "url": "https://cec.example.org",
    }


def test_builders_are_immutable_even_when_given_lists():
    built = achievement(tags=["déchets"])
    assert built.tags == ("déchets",)


def test_new_credential_id_under_a_base_url():
    assert re.fullmatch(rf"{HOST}/credentials/{UUID_RE}", new_credential_id(HOST + "/"))


def test_new_credential_id_without_a_base_url_is_a_urn_uuid():
    assert re.fullmatch(rf"urn:uuid:{UUID_RE}", new_credential_id(None))


def test_new_credential_id_refuses_a_plain_http_base_url():
    with pytest.raises(BuildError, match="https URL"):
        new_credential_id("http://badges.example.org")


# --- every builder validates against the tolerant AND the strict schema ---------------------

PIECES = {
    "profile with everything": lambda: credential(
        issuer=Profile(
            "did:web:badges.example.org:issuers:barka",
            "Fundacja Barka",
            url="https://barka.example.org",
            email="biuro@barka.example.org",
            phone="+48 61 000 00 00",
            description="Pomoc wzajemna, Poznań",
            image=Image(f"{HOST}/issuers/barka/logo.png", "Logo Barka"),
            address=Address(
                "Polska", "PL", "Wielkopolska", "Poznań", "61-001", "ul. Święty Wojciech 1"
            ),
            other_identifiers=[IdentifierEntry("0000012345", "ext:KRS")],
            official="Zofia Żółć",
            parent_org=Profile("https://barka.example.org", "Barka"),
        )
    ),
    "alignments and rubric": lambda: credential(
        subject(
            achievement(
                alignments=[
                    Alignment(
                        "Trier les déchets",
                        ESCO_SORT,
                        target_code="S6.13",
                        target_framework="ESCO",
                        target_type="ext:ESCOSkill",
                        target_description="Compétence ESCO",
                    )
                ],
                result_descriptions=[gesture("sort", "Trier")],
                credits_available=1.0,
                specialization="Chantier",
                other_identifiers=[IdentifierEntry("SKY-01", "identifier")],
            )
        )
    ),
    "scored result description": lambda: credential(
        subject(
            achievement(
                result_descriptions=[
                    ResultDescription(
                        f"{ACHIEVEMENT_ID}/score",
                        "Score",
                        "ScaledScore",
                        allowed_values=["1", "2", "3"],
                        value_min="1",
                        value_max="3",
                        required_value="2",
                    )
                ]
            ),
            results=[Result(f"{ACHIEVEMENT_ID}/score", value="3")],
        )
    ),
    "subject with everything": lambda: credential(
        subject(
            id="did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH",
            identifiers=[email_identifier("a@example.com")],
            activity_start_date=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
            activity_end_date="2025-03-01T12:00:00Z",
            narrative="Bravo",
            credits_earned=1.0,
            image=Image(f"{HOST}/credentials/x.png"),
            role="Stagiaire",
            source=Profile("https://agfe.example.org", "AGFE"),
        )
    ),
    "evidence, dates and status": lambda: credential(
        valid_until="2030-01-01T00:00:00Z",
        awarded_date="2025-02-01T00:00:00Z",
        name="Tri des déchets",
        description="Micro-formation",
        image=Image("data:image/png;base64,iVBORw0KGgo="),
        evidence=[Evidence(name="Commentaire", description="Gestes sûrs", audience="Employeur")],
        credential_status={"id": f"{HOST}/status/1#7", "type": "BitstringStatusListEntry"},
    ),
}


@pytest.mark.parametrize("piece", PIECES)
def test_builder_output_validates_against_tolerant_and_strict_schemas(piece):
    assert_valid_both_schemas(PIECES[piece]().to_json())


@pytest.mark.parametrize("piece", PIECES)
def test_builder_output_expands_in_safe_mode(piece):
    jsonld.expand_safely(PIECES[piece]().to_json())


# --- endorsements ---------------------------------------------------------------------------


def endorsement(key):
    return EndorsementCredential(
        id=new_credential_id(HOST),
        issuer=Profile(key.public_key.did_key, "Agence Erasmus+ — Bruxelles"),
        subject_id=ACHIEVEMENT_ID,
        name="Approbation de la micro-formation",
        valid_from="2025-01-15T09:00:00Z",
        valid_until="2027-01-15T09:00:00Z",
        endorsement_comment="Contenu conforme à la méthode SKY ; évaluation par observation.",
    )


def test_endorsement_credential_shape():
    key = PrivateKey.generate()
    document = endorsement(key).to_json()
    assert document["@context"] == [CREDENTIALS_V2, OB_CONTEXT, OB_EXTENSIONS]
    assert document["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert document["credentialSubject"] == {
        "id": ACHIEVEMENT_ID,
        "type": ["EndorsementSubject"],
        "endorsementComment": "Contenu conforme à la méthode SKY ; évaluation par observation.",
    }
    assert document["credentialSchema"] == [
        {"id": ENDORSEMENT_CREDENTIAL_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
    ]


def test_signed_endorsement_validates_verifies_and_embeds_in_a_strict_credential():
    key = PrivateKey.generate()
    signed = sign(endorsement(key).to_json(), key)
    assert schema.errors(signed) == []
    assert proofs.verify_proof(signed, signed["proof"][0], did_key_resolver).valid
    # Only the credential schema has a strict variant; it checks embedded endorsements too.
    assert_valid_both_schemas(credential(subject(achievement(endorsements=[signed]))).to_json())
    assert_valid_both_schemas(credential(endorsements=[signed]).to_json())


# --- the rich credential: schemas, safe mode, signature, non-ASCII --------------------------


@pytest.fixture(scope="module")
def signed_rich():
    key = PrivateKey.generate()
    unsigned = rich_credential(
        Profile(key.public_key.did_key, "Fundación Trinijove — Sant Adrià")
    ).to_json()
    return unsigned, sign(unsigned, key)


def test_rich_credential_validates_against_tolerant_and_strict_schemas(signed_rich):
    unsigned, signed = signed_rich
    assert_valid_both_schemas(unsigned)
    assert_valid_both_schemas(signed)


def test_rich_credential_expands_with_no_dropped_terms(signed_rich):
    jsonld.expand_safely(signed_rich[0])


def test_rich_credential_signature_verifies_with_its_did_key(signed_rich):
    _, signed = signed_rich
    result = proofs.verify_proof(signed, signed["proof"][0], did_key_resolver)
    assert result.valid, result.message
    assert result.controller == signed["issuer"]["id"]


def test_rich_credential_survives_a_utf8_json_round_trip_and_still_verifies(signed_rich):
    _, signed = signed_rich
    reread = json.loads(json.dumps(signed, ensure_ascii=False).encode("utf-8"))
    assert reread["credentialSubject"]["identifier"][0]["identityHash"] == "Łucja Núñez-Dupré"
    assert proofs.verify_proof(reread, reread["proof"][0], did_key_resolver).valid


def empty_values(node, path="$"):
    if node is None or node in ([], {}, ""):
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from empty_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from empty_values(value, f"{path}[{index}]")


def test_rich_credential_has_no_null_or_empty_value_anywhere(signed_rich):
    assert list(empty_values(signed_rich[0])) == []


def test_rich_credential_carries_one_result_per_gesture(signed_rich):
    results = signed_rich[0]["credentialSubject"]["result"]
    assert [r["resultDescription"].rsplit("/", 1)[1] for r in results] == [
        "sort-at-source",
        "reduce-and-reuse",
        "hazardous-waste",
    ]
    assert all(r["achievedLevel"].endswith("/acquired") for r in results)


# --- EU micro-credential elements -----------------------------------------------------------


def test_esco_outcome_becomes_an_esco_alignment():
    alignments = micro_credential_elements(facts(), "fr")["alignments"]
    assert alignments[0].to_json() == {
        "type": ["Alignment"],
        "targetName": "Trier les déchets là où ils sont produits.",
        "targetUrl": ESCO_SORT,
        "targetFramework": "ESCO",
        "targetType": "ext:ESCOSkill",
    }


def test_outcome_without_esco_uri_is_not_an_alignment():
    alignments = micro_credential_elements(facts(), "fr")["alignments"]
    assert [a.target_framework for a in alignments] == ["ESCO", "European Qualifications Framework"]


def test_eqf_level_becomes_an_eqf_alignment():
    alignments = micro_credential_elements(facts(eqf_level=3), "en")["alignments"]
    assert alignments[-1].to_json() == {
        "type": ["Alignment"],
        "targetName": "EQF level 3",
        "targetUrl": "http://data.europa.eu/snb/eqf/3",
        "targetCode": "3",
        "targetFramework": "European Qualifications Framework",
        "targetType": "ext:EQFLevel",
    }


def test_structured_elements_become_machine_readable_tags():
    assert micro_credential_elements(facts(), "fr")["tags"] == [
        "workload:PT3H30M",
        "assessment:observation",
        "participation:onsite",
        "eqf:2",
        "language:fr",
    ]


@pytest.mark.parametrize(
    ("hours", "duration"), [(12, "PT12H"), (1.5, "PT1H30M"), (0.75, "PT45M"), (24.0, "PT24H")]
)
def test_workload_is_an_iso_8601_duration(hours, duration):
    assert iso_duration(hours) == duration


def test_english_narrative_block_is_exact():
    narrative = micro_credential_elements(
        facts(learning_outcomes=[("Sort waste at source.", ESCO_SORT)], language="en"), "en"
    )["criteria_narrative"]
    assert narrative == (
        "**Micro-credential information**\n"
        "\n"
        "- **Learning outcomes:**\n"
        "  - Sort waste at source.\n"
        "- **Notional workload:** 3 h 30 min\n"
        "- **EQF level:** 2\n"
        "- **Type of assessment:** Observation by a trainer\n"
        "- **Form of participation:** On site\n"
        "- **Quality assurance:** Grille d'observation SKY, relue par les partenaires.\n"
        "- **Prerequisites:** Aucun\n"
        "- **Language:** en"
    )


@pytest.mark.parametrize(
    ("language", "heading", "assessment"),
    [
        ("en", "**Micro-credential information**", "Observation by a trainer"),
        ("fr", "**Informations sur la microcertification**", "Observation par un formateur"),
        ("nl-BE", "**Informatie over de microcredential**", "Observatie door een trainer"),
        ("it", "**Informazioni sulla microcredenziale**", "Osservazione da parte di un formatore"),
        ("es", "**Información sobre la microcredencial**", "Observación por parte de un formador"),
        ("pl", "**Informacje o mikropoświadczeniu**", "Obserwacja przez trenera"),
        ("de", "**Micro-credential information**", "Observation by a trainer"),
    ],
)
def test_narrative_labels_follow_the_achievement_language(language, heading, assessment):
    narrative = micro_credential_elements(facts(), language)["criteria_narrative"]
    assert narrative.startswith(heading + "\n")
    assert assessment in narrative


def test_french_labels_use_a_space_before_the_colon():
    narrative = micro_credential_elements(facts(), "fr")["criteria_narrative"]
    assert "- **Prérequis\u00a0:** Aucun" in narrative


def test_with_micro_credential_appends_to_criteria_and_keeps_credits_unset():
    built = with_micro_credential(achievement(tags=["déchets"]), facts()).to_json()
    assert built["criteria"]["narrative"].startswith(
        "Réaliser les trois gestes devant le formateur.\n\n"
        "**Informations sur la microcertification**\n"
    )
    assert built["tag"][:2] == ["déchets", "workload:PT3H30M"]
    assert "creditsAvailable" not in built


def test_https_esco_uri_is_refused():
    with pytest.raises(BuildError, match="canonical ESCO form"):
        facts(learning_outcomes=[("Trier", ESCO_SORT.replace("http:", "https:"))])


def test_eqf_level_out_of_range_is_refused():
    with pytest.raises(BuildError, match="eqf_level"):
        facts(eqf_level=9)


def test_unknown_assessment_type_is_refused():
    with pytest.raises(BuildError, match="assessment_type 'exam'"):
        facts(assessment_type="exam")


def test_non_positive_workload_is_refused():
    with pytest.raises(BuildError, match="workload_hours"):
        facts(workload_hours=0)
