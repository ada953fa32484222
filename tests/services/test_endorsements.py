"""Endorsements: signed by the endorser's own key, verified, embedded in later credentials."""

from __future__ import annotations

import json

import pytest

from issuer.core import schema
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from issuer.services import PermissionDenied, ServiceError, unit_of_work
from issuer.services.catalogue import achievement_id, training_of
from issuer.services.endorsements import endorse, endorsements_for, withdraw
from issuer.services.keys import issuer_did
from issuer.services.verification import local_fetch_json, verify_stored
from tests.helpers import document, issue, make_organisation

COMMENT = "Nous avons observé cette micro-formation : les gestes sont ceux du métier."


@pytest.fixture
def endorser(db, world):
    with unit_of_work(db):
        return make_organisation(db, slug="barka", name="BARKA Foundation", country="PL")


@pytest.fixture
def endorsed(db, world, endorser):
    with unit_of_work(db):
        return endorse(db, endorser, world.template, COMMENT, None)


def verify(db, signed):
    fetch_json = local_fetch_json(db)
    return verify_credential(signed, resolver=KeyResolver(fetch_json), fetch_json=fetch_json)


def test_one_endorsement_per_language_of_the_template(world, endorsed):
    languages = training_of(world.template).languages
    assert [e.language for e in endorsed] == list(languages)
    assert [e.achievement_id for e in endorsed] == [
        achievement_id(world.template, language) for language in languages]


def test_an_endorsement_is_signed_by_the_endorser_and_verifies(db, endorser, endorsed):
    signed = json.loads(endorsed[0].signed_json)
    report = verify(db, signed)
    assert report.verdict == "valid"
    assert report.issuer_id == issuer_did(endorser)
    assert signed["proof"][0]["verificationMethod"].startswith(issuer_did(endorser) + "#")


def test_an_endorsement_validates_against_the_endorsement_schema(endorsed):
    signed = json.loads(endorsed[0].signed_json)
    assert schema.errors(signed, "endorsementcredential") == []
    assert signed["credentialSubject"] == {
        "id": endorsed[0].achievement_id, "type": ["EndorsementSubject"],
        "endorsementComment": COMMENT}


def test_credentials_issued_afterwards_carry_the_endorsement(db, world, endorsed):
    credential = issue(db, world)
    achievement = document(credential)["credentialSubject"]["achievement"]
    mine = next(e for e in endorsed if e.language == credential.language)
    assert achievement["endorsement"] == [json.loads(mine.signed_json)]


def test_an_endorsed_credential_verifies_with_its_endorsement(db, world, endorsed):
    report = verify_stored(db, issue(db, world))
    assert report.verdict == "valid"
    assert [r.verdict for r in report.endorsements] == ["valid"]
    assert report.check("endorsements").status == "passed"


def test_credentials_issued_before_are_unchanged(db, world, endorser):
    before = issue(db, world)
    with unit_of_work(db):
        endorse(db, endorser, world.template, COMMENT, None)
    assert "endorsement" not in document(before)["credentialSubject"]["achievement"]


def test_a_withdrawn_endorsement_is_no_longer_embedded(db, world, endorsed):
    with unit_of_work(db):
        for endorsement in endorsed:
            withdraw(db, endorsement, None)
    assert endorsements_for(db, world.template) == []
    assert "endorsement" not in document(issue(db, world))["credentialSubject"]["achievement"]


def test_an_endorsement_carries_a_revocation_status_of_its_endorser(db, endorser, endorsed):
    signed = json.loads(endorsed[0].signed_json)
    status = signed["credentialStatus"]
    assert (status["type"], status["statusPurpose"]) == ("BitstringStatusListEntry",
                                                         "revocation")
    assert "/status/" in status["statusListCredential"]
    assert schema.errors(signed, "endorsementcredential") == []


def test_a_withdrawn_endorsement_stops_verifying_in_badges_issued_before(db, world, endorsed):
    badge = issue(db, world)
    with unit_of_work(db):
        for endorsement in endorsed:
            withdraw(db, endorsement, None)
    report = verify_stored(db, badge)
    assert report.verdict == "valid"  # the badge itself still stands
    assert [r.verdict for r in report.endorsements] == ["revoked"]
    assert report.check("endorsements").status == "warning"


def test_withdrawing_twice_sets_the_bit_once(db, world, endorsed):
    from issuer.store.models import StatusList
    with unit_of_work(db):
        withdraw(db, endorsed[0], None)
    revision = db.get(StatusList, endorsed[0].status_list_id).revision
    with unit_of_work(db):
        withdraw(db, endorsed[0], None)
    assert db.get(StatusList, endorsed[0].status_list_id).revision == revision


def test_endorsements_for_one_language_are_those_about_its_achievement(db, world, endorsed):
    found = endorsements_for(db, world.template, "fr")
    assert [e["credentialSubject"]["id"] for e in found] == [
        achievement_id(world.template, "fr")]


def test_an_endorsement_needs_a_comment(db, world, endorser):
    with pytest.raises(ServiceError, match="say what you endorse"):
        endorse(db, endorser, world.template, "  ", None)


def test_a_user_endorses_only_for_their_own_organisation(db, world, endorser):
    with pytest.raises(PermissionDenied):
        endorse(db, endorser, world.template, COMMENT, world.admin)
