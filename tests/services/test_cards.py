"""Cards of stored credentials: printed in the learner's language, with its catalogue's words."""

from __future__ import annotations

import io

from pypdf import PdfReader

from issuer.languages import catalogue
from issuer.rendering.cards import card_pdf, card_words
from issuer.services import cards as card_service
from issuer.services import unit_of_work
from tests.helpers import DictTranslations, issue

# What a French catalogue says for two of the card's texts (the .po entries come with extraction).
FRENCH = {"Verify this badge:": "Vérifier ce badge\u00a0:",
          "Issued by: %(issuer)s": "Délivré par\u00a0: %(issuer)s"}


def test_a_card_for_a_french_learner_has_the_words_of_the_french_catalogue(db, world):
    credential = issue(db, world)
    card = card_service.card_for(credential)
    assert card.language == "fr"
    assert card.words == card_words(catalogue("fr").gettext)
    # Every word a card prints, whether the catalogue translates it yet or not.
    assert set(card.words) == set(card_words())
    assert len(card.words["claim_steps"]) == 3


def test_card_for_translates_with_the_catalogue_of_the_learners_language(db, world,
                                                                         monkeypatch):
    asked = []

    def fake_catalogue(language):
        asked.append(language)
        return DictTranslations(FRENCH if language == "fr" else {})

    monkeypatch.setattr(card_service, "catalogue", fake_catalogue)
    card = card_service.card_for(issue(db, world))
    assert asked == ["fr"]
    assert card.words["verify"] == "Vérifier ce badge\u00a0:"
    assert card.words["gestures"] == "Validated skills"  # not in this catalogue: English
    text = " ".join(PdfReader(io.BytesIO(card_pdf([card]))).pages[0].extract_text().split())
    assert "Délivré par : AGFE" in text
    assert "Vérifier ce badge :" in text


def test_a_card_for_a_learner_in_another_language_is_printed_in_english(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        credential.learner.language = "de"  # no catalogue of ours
    card = card_service.card_for(credential)
    assert card.words == card_words()
    text = PdfReader(io.BytesIO(card_pdf([card]))).pages[0].extract_text()
    assert "Issued by: AGFE" in " ".join(text.split())
