"""Person-facing messages of the core and the services, marked for translation without gettext.

Neither the core nor the services may import Flask or a catalogue (web/CLI → services → core), yet
their errors and the verifier's findings reach pages and terminals in six languages. `N_` marks
the English template for pybabel (keyword `N_`, see docs/TRANSLATING.md) and returns a `Message`:
the English text itself, so logs, API JSON and `str(error)` stay English, plus the template and
parameters that the shells translate with `Message.translate(gettext, language)`.

Two kinds of parameter are translated with the sentence around them: a catalogue name with its
language variants (`Localised`) and a list of messages (`Joined`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

Gettext = Callable[[str], str]


class Message(str):
    """English text formatted from `template` with `params`, which it keeps for translation."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, params: dict[str, object]) -> Message:
        text = template % params if params else template
        message = super().__new__(cls, text)
        message.template = template
        message.params = params
        return message

    def translate(self, gettext: Gettext, language: str | None = None) -> str:
        """This text in the language of `gettext` (template → translated template).

        A parameter that is itself a `Message`, `Joined` or `Localised` is translated too;
        `language` picks a `Localised` name's variant (None: English).
        """
        params = {name: _translated(value, gettext, language)
                  for name, value in self.params.items()}
        translated = gettext(self.template)
        return translated % params if params else translated

    def __getnewargs__(self) -> tuple[str, dict[str, object]]:
        # copy and pickle rebuild the Message from its template, not from the English text.
        return (self.template, self.params)


class Localised(str):
    """A catalogue text with its language variants: English as a str, the reader's when shown."""

    variants: dict[str, str]

    def __new__(cls, variants: Mapping[str, str], fallback: str = "en") -> Localised:
        default = variants.get(fallback) or next(iter(variants.values()), "")
        text = super().__new__(cls, default)
        text.variants = dict(variants)
        return text

    def in_language(self, language: str | None) -> str:
        return self.variants.get(language or "", str(self))

    def __getnewargs__(self) -> tuple[dict[str, str]]:
        return (self.variants,)


class Joined(str):
    """Messages listed in one parameter ("a; b"), each translated when shown."""

    items: tuple[str, ...]
    separator: str

    def __new__(cls, items: Iterable[str], separator: str = "; ") -> Joined:
        items = tuple(items)
        text = super().__new__(cls, separator.join(items))
        text.items, text.separator = items, separator
        return text

    def __getnewargs__(self) -> tuple[tuple[str, ...], str]:
        return (self.items, self.separator)


def _translated(value: object, gettext: Gettext, language: str | None) -> object:
    if isinstance(value, Message):
        return value.translate(gettext, language)
    if isinstance(value, Joined):
        return value.separator.join(str(_translated(item, gettext, language))
                                    for item in value.items)
    if isinstance(value, Localised):
        return value.in_language(language)
    return value


def translate(text: object, gettext: Gettext, language: str | None = None) -> str:
    """Any text in the language of `gettext`: a Message, Joined or Localised is translated."""
    return str(_translated(text, gettext, language))


def N_(template: str, /, **params: object) -> Message:  # noqa: N802 — the gettext convention
    """Mark `template` (`%(name)s` placeholders) for extraction; the English `Message` of it.

    Positional-only, so that a placeholder may itself be called `template`."""
    return Message(template, params)


def message_of(error: BaseException) -> Message | None:
    """The `Message` an error was raised with, or None (str(error) drops the subclass)."""
    for candidate in (getattr(error, "reason", None), *error.args[:1]):
        if isinstance(candidate, Message):
            return candidate
    return None



def dump(text: object) -> dict:
    """A message as JSON data that `load` turns back into one, still translatable (a message
    kept in a database, where a pickle has no place). Parameters other than messages and
    integers become text."""
    if isinstance(text, Message):
        return {"message": text.template,
                "params": {name: dump(value) for name, value in text.params.items()}}
    if isinstance(text, Joined):
        return {"joined": [dump(item) for item in text.items], "separator": text.separator}
    if isinstance(text, Localised):
        return {"localised": text.variants}
    if isinstance(text, int) and not isinstance(text, bool):
        return {"number": text}
    return {"text": str(text)}


def load(data: Mapping[str, object]) -> object:
    """The message (or parameter) `dump` made: a Message, Joined, Localised, int or str."""
    if "message" in data:
        return Message(data["message"], {name: load(value)
                                         for name, value in data["params"].items()})
    if "joined" in data:
        return Joined([load(item) for item in data["joined"]], data["separator"])
    if "localised" in data:
        return Localised(data["localised"])
    if "number" in data:
        return data["number"]
    return str(data.get("text", ""))
