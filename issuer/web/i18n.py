"""Languages of the web service: Babel set-up, the reader's language, the switcher, formatting.

One place for everything that depends on the reader's language. The catalogues live in
issuer/translations/<lang>/LC_MESSAGES/messages.po, compiled to messages.mo and committed (see
docs/TRANSLATING.md). The language of a request is, in order: `?lang=` (remembered in the
session), the logged-in user's language setting, the browser's Accept-Language, English.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from flask import Flask, g, request, session
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_translations,
)
from flask_babel import gettext as _

from issuer.core.messages import message_of, translate
from issuer.languages import DEFAULT_LANGUAGE, LANGUAGES, TRANSLATIONS, normalise

SESSION_KEY = "language"


def init_app(app: Flask) -> None:
    """Set Babel up on `app` with the project catalogues, the locale selector and Jinja helpers.

    Call before the blueprints are registered, so their own fallbacks see Babel is there.
    """
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_language)
    app.jinja_env.globals.update(language_links=language_links, current_language=current_language)
    app.jinja_env.filters.update(
        date=localised_date, datetime=localised_datetime, number=localised_number,
        count=localised_count, translated=translated,
    )
    app.before_request(_remember_requested_language)


def select_language() -> str:
    """Babel's locale selector: query, then session, then user setting, Accept-Language, `en`."""
    forced = g.get("language_override")
    if forced:
        return forced
    for candidate in (request.args.get("lang"), session.get(SESSION_KEY), _user_language()):
        language = normalise(candidate)
        if language:
            return language
    # Werkzeug falls back from a regional tag to its language: fr-BE → fr.
    return request.accept_languages.best_match(LANGUAGES.keys(), default=DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language of the page being rendered (a two-letter code)."""
    return str(get_locale() or DEFAULT_LANGUAGE).split("_")[0]


def language_links() -> list[dict]:
    """The switcher's links: this page in each language, the current one marked.

    Each item has `code`, `name` (in its own language), `url` and `current`.
    """
    current = current_language()
    args = {key: value for key, value in request.args.items() if key != "lang"}
    links = []
    for code, name in LANGUAGES.items():
        query = urlencode({**args, "lang": code})
        url = f"{request.script_root}{request.path}?{query}"  # script_root: mounted under a prefix
        links.append({"code": code, "name": name, "url": url,
                      "current": code == current})
    return links


def localised_date(value: date | datetime | str | None, format: str = "medium") -> str:
    """Jinja filter `date`: a date in the reader's language ("12 mars 2025"); '' when none."""
    value = _as_datetime(value)
    if value is None:
        return ""
    return format_date(value, format)


def localised_datetime(value: datetime | str | None, format: str = "medium") -> str:
    """Jinja filter `datetime`: a date and time in the reader's language; '' when none."""
    value = _as_datetime(value)
    if value is None:
        return ""
    return format_datetime(value, format)


def localised_number(value: int | float | None) -> str:
    """Jinja filter `number`: 1234.5 → "1 234,5" in French, "1.234,5" in Dutch; '' when none."""
    if value is None:
        return ""
    return format_decimal(value)


def localised_count(value: int | None) -> str:
    """Jinja filter `count`: a number of people as `number` writes it; None is a count from 1
    to 4 hidden from this reader (services/disclosure.py), said as "<5"."""
    if value is None:
        return _("<5")
    return format_decimal(value)


def plural_forms(singular: str, plural: str) -> dict[str, str]:
    """A counted text for a script: each CLDR plural category ("one", "few", "many", "other")
    of the reader's language → its translation, with `{count}` where the number goes.

    The script picks the category with `Intl.PluralRules` and replaces `{count}`; the
    translations stay in the catalogues, chosen here by a number of each category.
    """
    locale = get_locale()
    forms: dict[str, str] = {}
    for number in range(0, 200):
        category = locale.plural_form(number) if locale is not None else (
            "one" if number == 1 else "other")
        if category not in forms:
            forms[category] = get_translations().ngettext(singular, plural, number)
    return forms


def translated(error: BaseException | str) -> str:
    """The error's (or reason's) text in the reader's language when it was marked `N_`.

    Anything else (third-party text) is shown as it is: `str(error)`.
    """
    text = message_of(error) if isinstance(error, BaseException) else error
    if text is None:
        return str(error)
    return translate(text, get_translations().gettext, current_language())


def _as_datetime(value):
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value


def _user_language() -> str | None:
    # Imported here: auth imports the app package, which imports this module.
    from .auth import current_user

    user = current_user()
    return getattr(user, "language", None) if user is not None else None


def _remember_requested_language() -> None:
    """Keep a language chosen with the switcher for the rest of the visit."""
    language = normalise(request.args.get("lang"))
    if language and session.get(SESSION_KEY) != language:
        session[SESSION_KEY] = language
