"""The learner record: a signed CLR of every valid badge, and the A4 summary with its QR codes."""

from __future__ import annotations

import copy
import io
import json
import re

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from issuer.core import schema
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from issuer.languages import catalogue
from issuer.services import NotFound, PermissionDenied, learner_record, people, unit_of_work
from issuer.services.catalogue import achievement_id, training_of
from issuer.services.consent import Consent
from issuer.services.keys import issuer_did
from issuer.services.learner_record import clr_document, record_credentials, summary_pdf
from issuer.services.learners import create_learner
from issuer.services.revocation import revoke
from issuer.services.urls import verify_url
from issuer.services.verification import local_fetch_json
from tests.helpers import (
    GREEN,
    NOW,
    ONLINE,
    DictTranslations,
    issue_part,
    partner,
    skill_badges,
)


@pytest.fixture
def zoe(db, world):
    with unit_of_work(db):
        return create_learner(db, world.org, "Zoé Lefèvre", email="zoe@example.org",
                              language="fr", answers=Consent.everything())


@pytest.fixture
def badges(db, world, templates, zoe):
    """Zoé's three online-job-search parts (so, with the skill badge, four badges)."""
    return [issue_part(db, templates, world.trainer, zoe, part) for part in ONLINE]


def verify(db, document):
    fetch_json = local_fetch_json(db)
    return verify_credential(document, resolver=KeyResolver(fetch_json), fetch_json=fetch_json)


def export(db, learner, actor=None):
    with unit_of_work(db):
        return clr_document(db, learner, actor)


def embedded(document):
    return document["credentialSubject"]["verifiableCredential"]


def test_the_record_embeds_every_valid_badge_unchanged(db, zoe, badges):
    document = export(db, zoe)
    stored = [json.loads(c.signed_json) for c in [*badges, *skill_badges(db)]]
    assert embedded(document) == stored


HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def test_wallet_copies_are_not_embedded_beside_their_originals(db, zoe, badges):
    """Four badges, three of them also in a wallet: four embedded credentials, not seven."""
    from issuer.services.claims import bind_to_holder
    with unit_of_work(db):
        for credential in badges:
            bind_to_holder(db, credential, HOLDER)
    document = export(db, zoe)
    stored = [json.loads(c.signed_json) for c in [*badges, *skill_badges(db)]]
    assert embedded(document) == stored
    assert len({e["credentialSubject"]["achievement"]["id"] for e in embedded(document)}) == 4
    assert schema.errors(document, "clrcredential") == []
    assert verify(db, document).verdict == "valid"
    assert "partial" not in document  # a copy is not a badge left out


def test_an_achievement_passed_twice_is_embedded_once_the_newest(db, world, templates, zoe,
                                                                 badges):
    again = issue_part(db, templates, world.trainer, zoe, ONLINE[0])
    document = export(db, zoe)
    ids = [e["credentialSubject"]["achievement"]["id"] for e in embedded(document)]
    assert len(ids) == len(set(ids)) == 4
    assert json.loads(again.signed_json) in embedded(document)
    assert json.loads(badges[0].signed_json) not in embedded(document)


def test_the_record_validates_against_the_clr_schema(db, zoe, badges):
    assert schema.errors(export(db, zoe), "clrcredential") == []


def test_the_record_is_signed_by_the_learners_organisation_and_verifies(db, world, zoe, badges):
    report = verify(db, export(db, zoe))
    assert report.verdict == "valid"
    assert report.issuer_id == issuer_did(world.org)
    assert [r.verdict for r in report.embedded] == ["valid"] * 4


def test_tampering_with_an_embedded_badge_is_detected(db, zoe, badges):
    document = copy.deepcopy(export(db, zoe))
    embedded(document)[0]["name"] = "Diplôme d'ingénieur"
    assert verify(db, document).verdict == "invalid"
    assert verify(db, embedded(document)[0]).verdict == "invalid"


def test_each_part_is_associated_with_its_skill(db, zoe, badges, templates):
    subject = export(db, zoe)["credentialSubject"]
    skill = achievement_id(templates["online-job-search"], "fr")
    parts = [achievement_id(templates[part], "fr") for part in ONLINE]
    assert subject["association"] == [
        {"type": "Association", "associationType": "isPartOf", "sourceId": part,
         "targetId": skill} for part in parts]
    assert skill in [a["id"] for a in subject["achievement"]]


def test_a_skill_in_progress_is_defined_and_linked(db, world, templates, zoe):
    issue_part(db, templates, world.trainer, zoe, GREEN[0])
    subject = export(db, zoe)["credentialSubject"]
    skill = achievement_id(templates["green-work-habits"], "fr")
    [definition] = [a for a in subject["achievement"] if a["id"] == skill]
    assert definition["achievementType"] == "Competency"
    assert subject["association"][0]["targetId"] == skill


def test_revoked_badges_are_left_out_and_the_record_says_partial(db, world, zoe, badges):
    with unit_of_work(db):
        revoke(db, badges[0], "Erreur de saisie", world.admin, NOW)
    document = export(db, zoe)
    assert [c["id"] for c in embedded(document)] == [
        json.loads(c.signed_json)["id"] for c in badges[1:]]
    assert document["partial"] is True


def test_a_complete_record_does_not_say_partial(db, zoe, badges):
    assert "partial" not in export(db, zoe)


def test_a_partner_typing_the_same_email_gets_nothing_of_this_record(db, templates, zoe,
                                                                     badges):
    trainer, there = partner(db, "cec")  # another organisation, Zoé's e-mail typed in
    theirs = issue_part(db, templates, trainer, there, GREEN[0])
    assert [c.id for c in record_credentials(db, there)[0]] == [theirs.id]
    assert theirs.id not in [c.id for c in record_credentials(db, zoe)[0]]


def test_badges_of_a_partner_are_included_once_the_learner_linked_the_cards(
        db, templates, zoe, badges):
    trainer, there = partner(db, "cec")
    with unit_of_work(db):
        people.link(db, zoe, there)
    theirs = issue_part(db, templates, trainer, there, GREEN[0])
    assert theirs.id in [c.id for c in record_credentials(db, zoe)[0]]
    report = verify(db, export(db, zoe))
    assert "CEC" in [r.issuer_name for r in report.embedded]


def test_an_admin_of_another_organisation_cannot_export(db, zoe, badges):
    outsider, _ = partner(db, "cec")
    with pytest.raises(PermissionDenied):
        clr_document(db, zoe, outsider)


def test_no_record_without_a_valid_badge(db, zoe):
    with pytest.raises(NotFound, match="no valid badge"):
        clr_document(db, zoe)


# --- the printable summary ---------------------------------------------------------------------


def pages(pdf: bytes):
    return [page.render(scale=200 / 72).to_pil() for page in pypdfium2.PdfDocument(pdf)]


def test_the_summary_is_a4_with_one_qr_per_badge(db, zoe, badges):
    pdf = summary_pdf(db, zoe)
    reader = PdfReader(io.BytesIO(pdf))
    assert [(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
            for p in reader.pages] == [(round(A4[0]), round(A4[1]))]
    decoded = sorted(r.text for r in zxingcpp.read_barcodes(pages(pdf)[0]))
    assert decoded == sorted(verify_url(c) for c in [*badges, *skill_badges(db)])


def test_the_summary_names_the_learner_and_each_badge(db, zoe, badges, templates):
    text = PdfReader(io.BytesIO(summary_pdf(db, zoe))).pages[0].extract_text()
    assert "Zoé Lefèvre" in text
    skill = catalogue("fr").gettext("Skill: %(name)s") % {"name": "Chercher un emploi en ligne"}
    assert skill != "Skill: Chercher un emploi en ligne"
    # The PDF's text layer gives French no-break spaces back as plain spaces.
    assert skill.replace("\xa0", " ").replace("\u202f", " ") in text
    for badge in badges:
        assert json.loads(badge.signed_json)["name"] in text


def test_the_summary_in_english_labels_every_row(db, world, zoe, badges):
    text = PdfReader(io.BytesIO(summary_pdf(db, zoe, language="en"))).pages[0].extract_text()
    for expected in ("Learner record", f"Exported by {world.org.name} on ",
                     "Skill: Chercher un emploi en ligne", f"Issued by: {world.org.name}",
                     "Date: 2026-", "Scan a code to check that badge online.", "Page 1 of 1"):
        assert expected in text


def test_the_summary_takes_its_words_from_the_learners_catalogue(db, zoe, badges, monkeypatch):
    asked = []
    french = {"Learner record": "Parcours", "Skill: %(name)s": "Compétence\u00a0: %(name)s",
              "Page %(number)s of %(total)s": "Page %(number)s sur %(total)s"}

    def fake_catalogue(language):
        asked.append(language)
        return DictTranslations(french if language == "fr" else {})

    monkeypatch.setattr(learner_record, "catalogue", fake_catalogue)
    text = " ".join(PdfReader(io.BytesIO(summary_pdf(db, zoe))).pages[0].extract_text().split())
    assert asked == ["fr"]
    for expected in ("Parcours", "Compétence : Chercher un emploi en ligne", "Page 1 sur 1",
                     "Scan a code to check that badge online."):  # not in this catalogue
        assert expected in text


def test_an_empty_summary_says_so(db, zoe):
    text = PdfReader(io.BytesIO(summary_pdf(db, zoe, language="en"))).pages[0].extract_text()
    assert "No valid badge yet." in text


def test_the_signed_record_is_named_in_the_learners_language(db, zoe, badges):
    assert export(db, zoe)["name"] == "Parcours de Zoé Lefèvre"


def test_a_long_record_continues_on_more_pages(db, world, templates, zoe):
    for part in [*ONLINE, *GREEN]:
        issue_part(db, templates, world.trainer, zoe, part)
    pdf = summary_pdf(db, zoe)
    images = pages(pdf)
    assert len(images) == 2
    decoded = [r.text for image in images for r in zxingcpp.read_barcodes(image)]
    assert len(decoded) == len(record_credentials(db, zoe)[0]) == 8


def test_the_summary_shows_a_skill_under_way_and_what_is_left(db, world, templates, zoe):
    issue_part(db, templates, world.trainer, zoe, ONLINE[0])
    text = " ".join(PdfReader(io.BytesIO(summary_pdf(db, zoe, language="en")))
                    .pages[0].extract_text().split())
    assert re.search(r"Skill: [^—]+ — 1 of 3 badges", text), text
    still = text.split("Still to do: ", 1)[1]
    for part in ONLINE[1:]:
        assert training_name(templates[part]) in still


def test_a_complete_skill_is_a_badge_of_the_summary_not_a_skill_under_way(db, zoe, badges):
    text = PdfReader(io.BytesIO(summary_pdf(db, zoe, language="en"))).pages[0].extract_text()
    assert "Still to do" not in text and " of 3 badges" not in text


def training_name(template) -> str:
    return training_of(template).name_in("en")
