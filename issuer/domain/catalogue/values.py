"""Problems and the readers of single values.

Every check appends to one list, so a partner sees every mistake of a file in one go. Each
problem is a `Message` (English text, template and params): the shells translate the sentence;
file names, field paths, keys, language codes and values stay as the editor typed them. The
readers (`_string`, `_texts`, `_integer`, …) take a value and where it sits, and return it
checked or None after adding a problem; the names with a leading underscore are shared by the
package's modules only.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from issuer.core.messages import N_, Message

from .model import DURATION_MAX_HOURS, DURATION_MIN_HOURS, LANGUAGE_CODE, REQUIRED_LANGUAGE, SLUG


def problem(file: str, where: str, what: str) -> Message:
    """One problem, "<file>: <field>: <what is wrong>"; `what` is itself a Message."""
    return N_("%(file)s: %(where)s: %(problem)s", file=file, where=where, problem=what)


def renamed(item: str, old: str, new: str) -> str:
    """The problem `item` reported under the file name `new` instead of `old`.

    A problem Message keeps its template and params (so it still translates); other text has
    its leading `old:` replaced.
    """
    if isinstance(item, Message) and item.params.get("file") == old:
        return Message(item.template, {**item.params, "file": new})
    return item.replace(f"{old}:", f"{new}:", 1)


class Problems:
    def __init__(self, file: str):
        self.file = file
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(problem(self.file, where, what))


Reader = Callable[[Any, str, Problems], Any]


def _check_keys(table: Mapping, allowed: Iterable[str], where: str, problems: Problems) -> None:
    allowed = list(allowed)
    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1)
            problems.add(_join(where, key), N_("unknown key (did you mean %(key)s?)",
                                               key=repr(near[0])) if near else
                         N_("unknown key; allowed: %(keys)s", keys=", ".join(allowed)))


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _required(table: Mapping, key: str, where: str, problems: Problems) -> Any:
    if key not in table:
        problems.add(_join(where, key), N_("is required"))
    return table.get(key)


def _string(value: Any, where: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(where, N_("must be a non-empty text"))
        return None
    return value.strip()


def _slug(value: Any, where: str, problems: Problems) -> str | None:
    text = _string(value, where, problems)
    if text is not None and not SLUG.match(text):
        problems.add(where, N_("%(value)s must be lowercase letters, digits and hyphens",
                               value=repr(text)))
        return None
    return text


def _texts(value: Any, where: str, problems: Problems, require_english=True) -> dict:
    """A per-language table of non-empty strings: `[name] en = "…"`."""
    if not isinstance(value, dict):
        problems.add(where, N_('must be a table of languages, e.g. en = "…"'))
        return {}
    texts = {}
    for language, text in value.items():
        if not LANGUAGE_CODE.match(language):
            problems.add(f"{where}.{language}", N_("is not a language code like en, fr or nl-BE"))
        elif (checked := _string(text, f"{where}.{language}", problems)) is not None:
            texts[language] = checked
    if require_english and REQUIRED_LANGUAGE not in value:
        problems.add(where, N_("English (en) is required"))
    return texts


def _text_lists(value: Any, where: str, problems: Problems) -> dict:
    """A per-language table of lists of strings: `[learning_outcomes] en = ["…", "…"]`."""
    if not isinstance(value, dict):
        problems.add(where, N_('must be a table of languages, e.g. en = ["…", "…"]'))
        return {}
    lists = {}
    for language, items in value.items():
        if not isinstance(items, list) or not items:
            problems.add(f"{where}.{language}", N_("must be a non-empty list of texts"))
            continue
        checked = [_string(item, f"{where}.{language}", problems) for item in items]
        lists[language] = tuple(item for item in checked if item is not None)
    if REQUIRED_LANGUAGE not in value:
        problems.add(where, N_("English (en) is required"))
    return lists


def _same_languages(texts: Mapping, languages: tuple, where: str, problems: Problems) -> None:
    """Every language of the name must be present here, and no other.

    Skipped while the name itself lacks English: that one mistake is reported once, at the name.
    """
    if REQUIRED_LANGUAGE not in languages:
        return
    missing = [language for language in languages if language not in texts]
    extra = [language for language in texts if language not in languages]
    if missing:
        problems.add(where, N_("missing %(missing)s (the name has %(languages)s)",
                               missing=", ".join(missing), languages=", ".join(languages)))
    if extra:
        problems.add(where, N_("has %(extra)s, which the name has not", extra=", ".join(extra)))


def _string_list(value: Any, where: str, problems: Problems) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.add(where, N_("must be a list of texts"))
        return ()
    checked = [_string(item, where, problems) for item in value]
    return tuple(item for item in checked if item is not None)


def _integer(value: Any, low: int, high: int | None, where: str, problems: Problems):
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(where, N_("%(value)s must be a whole number", value=repr(value)))
        return None
    if value < low or (high is not None and value > high):
        problems.add(where, N_("%(value)s is outside %(low)s–%(high)s", value=value, low=low,
                               high=high) if high is not None else
                     N_("%(value)s is below the minimum of %(low)s", value=value, low=low))
        return None
    return value


def _eqf_level(value: Any, where: str, problems: Problems) -> int | None:
    return _integer(value, 1, 8, where, problems)


def _months(value: Any, where: str, problems: Problems) -> int | None:
    return _integer(value, 1, None, where, problems)


def _choice(value: Any, choices: tuple[str, ...], where: str, problems: Problems):
    if value not in choices:
        problems.add(where, N_("%(value)s must be one of %(choices)s", value=repr(value),
                               choices=", ".join(choices)))
        return None
    return value


def _version(value: Any, where: str, problems: Problems) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        problems.add(where, N_('must be a text in quotes, e.g. version = "%(value)s"', value=value))
        return None
    return _string(value, where, problems)


def _hours(value: Any, problems: Problems) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add("duration_hours", N_("%(value)s must be a number of hours, e.g. 3.5",
                                          value=repr(value)))
        return None
    if not DURATION_MIN_HOURS <= value <= DURATION_MAX_HOURS:
        problems.add("duration_hours", N_("%(value)s is outside 1.5–24 hours",
                                          value=format(value, "g")))
        return None
    return float(value)
