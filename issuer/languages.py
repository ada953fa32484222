"""The project's languages and their catalogues, shared by the web service and the CLI.

No Flask here: the CLI translates with the same compiled catalogues
(issuer/translations/<lang>/LC_MESSAGES/messages.mo) as the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TypeVar

from babel.support import NullTranslations, Translations

T = TypeVar("T")

# The project's six languages, each named in its own language (the switcher's link text).
LANGUAGES = {
    "en": "English",
    "fr": "Français",
    "nl": "Nederlands",
    "it": "Italiano",
    "es": "Español",
    "pl": "Polski",
}
DEFAULT_LANGUAGE = "en"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def normalise(tag: str | None) -> str | None:
    """The project language a tag names (`fr-BE` → `fr`, `pl_PL.UTF-8` → `pl`), or None."""
    primary = (tag or "").strip().replace("_", "-").split(".")[0].split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def in_language(texts: Mapping[str, T], language: str | None) -> T:
    """The entry of `texts` (keyed by project language) for `language`, else the English one.

    For the texts that are signed into credentials, which stay out of the catalogues.
    """
    return texts.get(normalise(language) or DEFAULT_LANGUAGE, texts[DEFAULT_LANGUAGE])


@cache
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of `language`; English (no catalogue) translates to itself."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")
