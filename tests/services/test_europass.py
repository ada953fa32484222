"""Badges for Europass: ELM credentials validated against the EDC application profile's shapes.

The shapes (tests/vectors/elm, from european-commission-empl/European-Learning-Model) are run by
pySHACL on the graph pyld makes of our JSON-LD. An unsealed credential lacks one thing the
profile requires: the issuer's eIDAS legal identifier, which the issuing organisation gives when
it seals the credential with a qualified electronic seal (out of scope, docs/EUROPASS.md). The
official unsealed sample lacks it too, and its sealing date, so the validator is seen failing.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import date

import pytest

from issuer.domain import europass as elm
from issuer.services import unit_of_work
from issuer.services.consent import Consent
from issuer.services.europass import badge_document, country_alpha3, record_document
from issuer.services.learners import create_learner
from issuer.store.models import TrainingSession
from tests.helpers import ELM_VECTORS, elm_violations, evaluate, issue

GRADE = "Acquis"  # the default rubric's top level, in French (the badge's language)
SEALING_ONLY = "eidasLegalIdentifier"  # what an unsealed credential cannot carry


def _unsealed_only(violations: set, issuer_id: str, document_id: str) -> bool:
    return violations == {(issuer_id, SEALING_ONLY), (document_id, "issuer")}


def test_the_official_unsealed_sample_lacks_what_sealing_adds():
    sample = json.loads((ELM_VECTORS / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8"))
    found = elm_violations(sample)
    assert {path for _node, path in found} == {"issued", "issuer", SEALING_ONLY}


def test_a_badge_maps_to_an_elm_credential_with_every_micro_credential_element(db, world):
    credential = issue(db, world)
    document = badge_document(db, credential, "fr")
    issuer_id = f"did:web:badges.example.org:issuers:{world.org.slug}"
    assert _unsealed_only(elm_violations(document), issuer_id, document["id"])

    claim = document["credentialSubject"]["hasClaim"]
    spec = claim["specifiedBy"]
    assert spec["title"]["en"] == "Planting a young tree" and len(spec["title"]) >= 2
    assert spec["volumeOfLearning"] == "PT3H"
    assert spec["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/2"
    assert spec["learningSetting"]["prefLabel"] == {"en": "non-formal learning"}
    assert spec["mode"]["prefLabel"] == {"en": "Presential"}
    outcomes = [outcome["title"].get("en") for outcome in spec["learningOutcome"]]
    assert outcomes[:2] == ["Dig a planting hole of the right size.",
                            "Stake and water a young tree."]
    # One assessment per observed gesture, named in both languages, with the level reached.
    assert [assessment["title"] for assessment in claim["provenBy"]] == [
        {"en": "Dig the planting hole", "fr": "Creuser le trou de plantation"},
        {"en": "Stake and water the tree", "fr": "Tuteurer et arroser l'arbre"}]
    assert [assessment["grade"]["noteLiteral"] for assessment in claim["provenBy"]] == [
        {"fr": GRADE}] * 2
    assert claim["provenBy"][0]["specifiedBy"]["dcType"]["prefLabel"] == {
        "en": "practical assessment"}
    assert claim["awardedBy"]["awardingBody"]["location"]["address"]["countryCode"]["id"] \
        .endswith("/country/FRA")
    assert document["identifier"][0]["notation"] == document_of(credential)["id"]
    assert document["credentialSubject"]["fullName"] == {"fr": "Zoé Lefèvre"}
    page = document["displayParameter"]["individualDisplay"]["displayDetail"][0]["image"]
    assert base64.b64decode(page["content"]).startswith(b"\x89PNG")
    assert "proof" not in document  # unsealed, and it says so (docs, claim page)


def document_of(credential) -> dict:
    return json.loads(credential.signed_json)


def test_the_validator_sees_a_missing_title(db, world):
    document = badge_document(db, issue(db, world), "en")
    broken = copy.deepcopy(document)
    del broken["credentialSubject"]["hasClaim"]["specifiedBy"]["title"]
    found = {path for _node, path in elm_violations(broken)}
    assert "title" in found


def test_no_name_without_the_learners_consent(db, world):
    with unit_of_work(db):
        shy = create_learner(db, world.org, "Olga Discrète", answers=Consent.of({}))
    document = badge_document(db, issue(db, world, learner=shy), "en")
    assert "fullName" not in document["credentialSubject"]
    assert "Olga" not in json.dumps(document, ensure_ascii=False)
    assert document["credentialSubject"]["id"].startswith("urn:epass:person:learner-")


def test_a_learners_record_holds_each_valid_badge_once(db, world):
    learner = world.learners[0]
    first = issue(db, world, learner=learner)
    with unit_of_work(db):
        other = TrainingSession(organisation_id=world.org.id, template_pk=world.template.id,
                                trainer_id=world.trainer.id, language="fr",
                                starts_on=date(2026, 4, 2), ends_on=date(2026, 4, 2))
        db.add(other)
    world.session = other
    second = issue(db, world, learner=learner)
    document = record_document(db, learner, "pl")
    claims = document["credentialSubject"]["hasClaim"]
    assert len(claims) == 2 and len({claim["id"] for claim in claims}) == 2
    assert [item["notation"] for item in document["identifier"]] == [
        document_of(first)["id"], document_of(second)["id"]]
    assert len(document["displayParameter"]["individualDisplay"]["displayDetail"]) == 2
    assert document["displayParameter"]["primaryLanguage"]["id"].endswith("/language/POL")
    issuer_id = f"did:web:badges.example.org:issuers:{world.org.slug}"
    assert _unsealed_only(elm_violations(document), issuer_id, document["id"])


def test_no_record_without_a_valid_badge(db, world):
    from issuer.services.base import NotFound

    evaluate(db, world)  # evaluated, not issued
    with pytest.raises(NotFound):
        record_document(db, world.learners[0], "en")


@pytest.mark.parametrize(("alpha2", "alpha3"), [("FR", "FRA"), ("be", "BEL"), ("PL", "POL"),
                                                ("IE", "IRL"), ("ZZ", None), ("", None)])
def test_countries_are_named_as_the_eu_tables_name_them(alpha2, alpha3):
    assert country_alpha3(alpha2) == alpha3


def test_the_mapping_refuses_an_empty_document():
    with pytest.raises(ValueError):
        elm.elm_credential([], elm.Learner("urn:x"), "urn:y", "2026-01-01T00:00:00Z", "en",
                           [b"png"])


def test_a_record_holds_no_badge_of_another_organisation(db, world):
    from tests.helpers import make_world

    other = make_world(db, slug="scf", learner_names=("Zoé Lefèvre",))  # the same name
    theirs = issue(db, other, learner=other.learners[0])
    ours = issue(db, world)
    document = record_document(db, world.learners[0], "en")
    text = json.dumps(document)
    assert json.loads(ours.signed_json)["id"] in text
    assert json.loads(theirs.signed_json)["id"] not in text and "issuers:scf" not in text
