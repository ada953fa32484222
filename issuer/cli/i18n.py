"""The command's language: the web's catalogues, chosen by `--lang`, then the environment.

The environment is read the way gettext reads it (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), so a
terminal set to `fr_BE.UTF-8` gets French; `C`, `POSIX` and languages we do not have get English.
Data meant for programs (JSON, keys, `--json` reports) is never translated.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from issuer.core.messages import N_, message_of, translate
from issuer.languages import DEFAULT_LANGUAGE, catalogue, normalise

ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_active = {"language": DEFAULT_LANGUAGE}

# argparse's own words (Python 3.11–3.13): its usage line, help headings and errors. It looks
# them up through its module-level gettext `_` when it parses, so they are marked here for the
# catalogues and `argparse_speaking` lends argparse ours for the time of a parse.
ARGPARSE_TEXTS = (
    N_("usage: "), N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"), N_("expected one argument"),
    N_("expected at most one argument"), N_("expected at least one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"), N_("one of the arguments %s is required"),
    N_("can't open '%(filename)s': %(error)s"), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"),
)


def choose_language(requested: str | None, environ: Mapping[str, str]) -> str:
    """`--lang` when given, else the first project language the environment names, else en."""
    if requested:
        return normalise(requested) or DEFAULT_LANGUAGE
    for name in ENVIRONMENT:
        # LANGUAGE is a priority list: "pl:fr:en".
        for tag in environ.get(name, "").split(":"):
            language = normalise(tag)
            if language:
                return language
        if environ.get(name):
            return DEFAULT_LANGUAGE  # gettext stops at the first variable that is set
    return DEFAULT_LANGUAGE


def activate(language: str) -> None:
    _active["language"] = normalise(language) or DEFAULT_LANGUAGE


@contextmanager
def argparse_speaking() -> Iterator[None]:
    """argparse's usage, headings and errors in the active language while the block runs."""
    original = argparse._
    argparse._ = lambda text: catalogue(_active["language"]).gettext(text)
    try:
        yield
    finally:
        argparse._ = original


def _(text: str, **params: object) -> str:
    """`text` in the active language, formatted with `params` (`%(name)s`)."""
    translated = catalogue(_active["language"]).gettext(text)
    return translated % params if params else translated


def tr(text: str | BaseException) -> str:
    """A core or service message (or the error raised with one) in the active language."""
    message = message_of(text) if isinstance(text, BaseException) else text
    if message is None:
        return str(text)
    language = _active["language"]
    return translate(message, catalogue(language).gettext, language)
