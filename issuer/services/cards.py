"""Printable cards for stored credentials: what the trainer prints and the learner downloads."""

from __future__ import annotations

from dataclasses import replace

from issuer.languages import DEFAULT_LANGUAGE, catalogue, normalise
from issuer.rendering import cards
from issuer.services import pictures, publishing
from issuer.services.urls import verify_url
from issuer.store.models import Credential


def card_for(credential: Credential, claim_url: str | None = None) -> cards.CardData:
    """The card of a stored credential, from its signed JSON, with the issuer's logo.

    Its QR code opens the verification page (`urls.verify_url`).

    Printed in the learner's language (else the credential's), with the words of its catalogue
    and the badge's picture (`pictures`: the same as on the web pages, its title in that
    language).
    After an erasure request nothing personal is printed any more.
    """
    language = (credential.learner and credential.learner.language) or credential.language
    card = cards.card_from_credential(
        publishing.credential_document(credential),
        verify_url=verify_url(credential),
        claim_url=claim_url,
        issuer_logo=credential.organisation.logo_png,
        badge_image=pictures.credential_picture(credential, language),
    )
    card = replace(card, language=language, words=words_in(language))
    return replace(card, learner_name="") if publishing.is_erased(credential) else card


def words_in(language: str | None) -> dict:
    """The card's words translated with the catalogue of `language` (English if not ours)."""
    return cards.card_words(catalogue(normalise(language) or DEFAULT_LANGUAGE).gettext)
