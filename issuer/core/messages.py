"""Person-facing messages of the core and the services, marked for translation without gettext.

Neither the core nor the services may import Flask or a catalogue (web/CLI → services → core), yet
their errors and the verifier's findings reach pages and terminals in six languages. `N_` marks
the English template for pybabel (keyword `N_`, see docs/TRANSLATING.md) and returns a `Message`:
the English text itself, so logs, API JSON and `str(error)` stay English, plus the template and
parameters that the shells translate with `Message.translate(gettext)`.
"""

from __future__ import annotations

from collections.abc import Callable


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

    def translate(self, gettext: Callable[[str], str]) -> str:
        """This text in the language of `gettext` (template → translated template).

        A parameter may itself be a `Message` (a reason inside a sentence): translated too.
        """
        params = {name: value.translate(gettext) if isinstance(value, Message) else value
                  for name, value in self.params.items()}
        translated = gettext(self.template)
        return translated % params if params else translated

    def __getnewargs__(self) -> tuple[str, dict[str, object]]:
        # copy and pickle rebuild the Message from its template, not from the English text.
        return (self.template, self.params)


def N_(template: str, **params: object) -> Message:  # noqa: N802 — the gettext convention
    """Mark `template` (`%(name)s` placeholders) for extraction; the English `Message` of it."""
    return Message(template, params)


def message_of(error: BaseException) -> Message | None:
    """The `Message` an error was raised with, or None (str(error) drops the subclass)."""
    for candidate in (getattr(error, "reason", None), *error.args[:1]):
        if isinstance(candidate, Message):
            return candidate
    return None
