"""CLR 2.0 ClrCredential: the official vector, and CLRs built from badges signed at test time.

Keys are did:key, which the verifier resolves offline; no status lists (so no fetcher).
"""

import copy
from datetime import UTC, datetime

import pytest

from issuer.core import builders, clr, proofs, schema
from issuer.core.errors import BuildError, SchemaError
from issuer.core.keys import PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from tests.helpers import load_vector

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CREATED = "2026-03-02T12:00:00Z"
SKILL_ID = "https://badges.example.org/achievements/green-work-habits--1.0--fr"


def vector_key():
    seed = bytes.fromhex(load_vector("clr-v2p0-ldp", "key.json")["privateKeySeedHex"])
    return PrivateKey.from_ed25519_seed(seed)


def vector_inputs() -> dict:
    """The arguments of clr_credential that describe the official vector's document."""
    vector = load_vector("clr-v2p0-ldp", "unsigned-credential.json")
    subject = vector["credentialSubject"]
    return {
        "id": vector["id"],
        "issuer": vector["issuer"],
        "credentials": subject["verifiableCredential"],
        "valid_from": vector["validFrom"],
        "name": vector["name"],
        "subject_id": subject["id"],
        "achievements": subject["achievement"],
        "associations": [(a["sourceId"], a["targetId"], a["associationType"])
                         for a in subject["association"]],
    }


def test_builder_reproduces_the_official_vector_document():
    built = clr.clr_credential(**vector_inputs())
    assert built == load_vector("clr-v2p0-ldp", "unsigned-credential.json")


def test_signing_the_built_vector_gives_the_official_proof_value():
    options = load_vector("clr-v2p0-ldp", "proof-options.json")
    signed = proofs.sign(clr.clr_credential(**vector_inputs()), vector_key(),
                         options["verificationMethod"], created=options["created"])
    assert signed["proof"][0]["proofValue"] == load_vector(
        "clr-v2p0-ldp", "expected.json")["proofValue"]


# --- CLRs of our own badges ------------------------------------------------------------------


def badge(key: PrivateKey, issuer_name: str, training: str, name: str) -> dict:
    """A signed OpenBadgeCredential of one micro-training, for the learner Zoé."""
    achievement = builders.Achievement(
        id=f"https://badges.example.org/achievements/{training}--1.0--fr",
        name=name,
        description=f"Micro-formation : {name}.",
        criteria=builders.Criteria(narrative="Le formateur observe deux gestes."),
        in_language="fr",
    )
    credential = builders.OpenBadgeCredential(
        id=builders.new_credential_id("https://badges.example.org"),
        issuer=builders.Profile(key.public_key.did_key, issuer_name),
        subject=builders.AchievementSubject(
            achievement=achievement,
            identifiers=(builders.name_identifier("Zoé Lefèvre"),
                         builders.email_identifier("zoe@example.org")),
        ),
        valid_from=NOW,
    )
    return proofs.sign(credential.to_json(), key, key.public_key.did_key_vm, created=CREATED)


@pytest.fixture(scope="module")
def keys():
    return {"agfe": PrivateKey.generate(), "cec": PrivateKey.generate()}


@pytest.fixture(scope="module")
def badges(keys):
    return [
        badge(keys["agfe"], "AGFE — Lyon", "sorting-waste", "Trier les déchets"),
        badge(keys["cec"], "CEC — Bruxelles", "green-spaces", "Entretenir les espaces verts"),
    ]


def skill_achievement() -> dict:
    return builders.Achievement(
        id=SKILL_ID,
        name="Travailler de manière éco-responsable",
        description="Trier, entretenir, économiser.",
        criteria=builders.Criteria(narrative="Délivré à qui possède tous ces badges."),
        achievement_type="Competency",
        in_language="fr",
    ).to_json()


def our_clr(key: PrivateKey, badges: list[dict]) -> dict:
    parts = clr.achievements_of(badges)
    return clr.clr_credential(
        id="urn:uuid:6a3e9f3c-2d1b-4c55-9a8e-7f00c0ffee01",
        issuer=builders.Profile(key.public_key.did_key, "AGFE — Lyon"),
        credentials=badges,
        valid_from=NOW,
        name="Parcours de Zoé Lefèvre",
        identifiers=[builders.name_identifier("Zoé Lefèvre")],
        achievements=[*parts, skill_achievement()],
        associations=[clr.Association(part["id"], SKILL_ID) for part in parts],
    )


@pytest.fixture(scope="module")
def signed_clr(keys, badges):
    unsigned = our_clr(keys["agfe"], badges)
    clr.check_clr(unsigned)
    return proofs.sign(unsigned, keys["agfe"], keys["agfe"].public_key.did_key_vm,
                       created=CREATED)


def verify(document):
    return verify_credential(document, resolver=KeyResolver(), now=NOW)


def test_our_clr_validates_against_the_clr_schema(signed_clr):
    assert schema.errors(signed_clr, "clrcredential") == []


def test_our_clr_embeds_the_signed_badges_unchanged(signed_clr, badges):
    assert signed_clr["credentialSubject"]["verifiableCredential"] == badges


def test_our_clr_links_each_part_to_the_skill(signed_clr, badges):
    associations = signed_clr["credentialSubject"]["association"]
    assert associations == [
        {"type": "Association", "associationType": "isPartOf",
         "sourceId": clr.achievement_of(b)["id"], "targetId": SKILL_ID}
        for b in badges
    ]


def test_our_clr_verifies_with_each_embedded_badge_verified(signed_clr):
    report = verify(signed_clr)
    assert report.verdict == "valid"
    assert report.check("proof").status == "passed"
    assert [r.verdict for r in report.embedded] == ["valid", "valid"]
    assert [r.issuer_name for r in report.embedded] == ["AGFE — Lyon", "CEC — Bruxelles"]


def tampered(signed_clr: dict) -> dict:
    copy_ = copy.deepcopy(signed_clr)
    copy_["credentialSubject"]["verifiableCredential"][1]["name"] = "Jardinier diplômé"
    return copy_


def test_tampering_with_an_embedded_badge_breaks_the_outer_proof(signed_clr):
    report = verify(tampered(signed_clr))
    assert report.verdict == "invalid"
    assert report.check("proof").status == "failed"


def test_a_tampered_embedded_badge_fails_its_own_verification(signed_clr):
    inner = tampered(signed_clr)["credentialSubject"]["verifiableCredential"]
    assert [verify(credential).verdict for credential in inner] == ["valid", "invalid"]


def test_check_clr_refuses_a_clr_without_its_subject_type(keys, badges):
    document = our_clr(keys["agfe"], badges)
    del document["credentialSubject"]["type"]
    with pytest.raises(SchemaError):
        clr.check_clr(document)


def test_partial_is_written_only_when_true(keys, badges):
    inputs = dict(id="urn:uuid:6a3e9f3c-2d1b-4c55-9a8e-7f00c0ffee02",
                  issuer=builders.Profile(keys["agfe"].public_key.did_key, "AGFE"),
                  credentials=badges, valid_from=NOW, name="Parcours", subject_id="did:example:1")
    assert "partial" not in clr.clr_credential(**inputs)
    assert clr.clr_credential(**inputs, partial=True)["partial"] is True


def test_an_unsigned_credential_cannot_be_embedded(keys, badges):
    unsigned = {k: v for k, v in badges[0].items() if k != "proof"}
    with pytest.raises(BuildError, match="credential 1 has no proof"):
        clr.clr_credential("urn:uuid:6a3e9f3c-2d1b-4c55-9a8e-7f00c0ffee03", {"id": "did:x:y"},
                           [unsigned], NOW, "Parcours", subject_id="did:example:1")


def test_an_association_to_an_unknown_achievement_is_refused(keys, badges):
    with pytest.raises(BuildError, match="add its definition"):
        clr.clr_credential("urn:uuid:6a3e9f3c-2d1b-4c55-9a8e-7f00c0ffee04", {"id": "did:x:y"},
                           badges, NOW, "Parcours", subject_id="did:example:1",
                           associations=[(clr.achievement_of(badges[0])["id"], SKILL_ID,
                                          "isPartOf")])


def test_an_unknown_association_type_is_refused():
    with pytest.raises(BuildError, match="associationType 'isMadeOf'"):
        clr.Association("urn:a:1", "urn:a:2", "isMadeOf")


def test_a_subject_needs_an_id_or_an_identifier(badges):
    with pytest.raises(BuildError, match="needs the learner's id"):
        clr.clr_credential("urn:uuid:6a3e9f3c-2d1b-4c55-9a8e-7f00c0ffee05", {"id": "did:x:y"},
                           badges, NOW, "Parcours")


def test_the_report_of_a_tampered_clr_names_the_altered_badge(signed_clr):
    report = verify(tampered(signed_clr))
    assert [embedded.verdict for embedded in report.embedded] == ["valid", "invalid"]
