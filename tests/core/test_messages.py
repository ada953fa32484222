"""Messages marked for translation with N_: English text, template and params kept."""

from __future__ import annotations

import copy
import pickle

from issuer.core.messages import N_, Joined, Localised, Message, message_of, translate

TEMPLATE = "an account with the e-mail %(email)s already exists"


def test_message_is_the_english_text_formatted_with_its_params():
    message = N_(TEMPLATE, email="nora@agfe.example.org")
    assert message == "an account with the e-mail nora@agfe.example.org already exists"
    assert isinstance(message, str)


def test_message_keeps_its_template_and_params():
    message = N_(TEMPLATE, email="nora@agfe.example.org")
    assert message.template == TEMPLATE
    assert message.params == {"email": "nora@agfe.example.org"}


def test_a_placeholder_may_be_called_template():
    # The catalogue's "%(template)s is a skill, not a micro-training" raised a TypeError.
    assert N_("%(template)s is a skill", template="composting") == "composting is a skill"


def test_message_without_params_is_the_template_verbatim():
    # No params, no %-formatting: a literal '%' in such a text stays as written.
    assert N_("100% of the gestures") == "100% of the gestures"


def test_error_raised_with_a_message_reads_as_english():
    error = LookupError(N_(TEMPLATE, email="a@b.example"))
    assert str(error) == "an account with the e-mail a@b.example already exists"


def test_message_of_finds_the_message_an_error_was_raised_with():
    message = N_("this badge was revoked")
    assert message_of(LookupError(message)) is message
    assert message_of(PermissionError(message)) is message


def test_message_of_is_none_for_plain_text():
    assert message_of(LookupError("plain English")) is None


def test_message_survives_copy_and_pickle_with_its_template():
    message = N_(TEMPLATE, email="a@b.example")
    for twin in (copy.copy(message), pickle.loads(pickle.dumps(message))):
        assert isinstance(twin, Message)
        assert (twin, twin.template, twin.params) == (message, TEMPLATE, {"email": "a@b.example"})


FRENCH = {
    "status list %(url)s could not be retrieved: %(reason)s":
        "la liste de statut %(url)s est injoignable : %(reason)s",
    "timed out": "délai dépassé",
}


def test_translate_formats_the_translated_template_and_its_nested_messages():
    message = N_("status list %(url)s could not be retrieved: %(reason)s",
                 url="https://x.example/s/1", reason=N_("timed out"))
    assert message == "status list https://x.example/s/1 could not be retrieved: timed out"
    assert message.translate(lambda text: FRENCH.get(text, text)) == (
        "la liste de statut https://x.example/s/1 est injoignable : délai dépassé")


def test_translate_without_a_translation_is_the_english_text():
    message = N_("this badge was revoked on %(date)s", date="2026-03-02")
    assert message.translate(lambda text: text) == message


def test_a_localised_name_is_english_text_and_the_readers_variant_when_translated():
    gesture = Localised({"en": "Sort the waste", "pl": "Segreguj odpady"})
    message = N_("not yet: %(missing)s", missing=gesture)
    assert message == "not yet: Sort the waste"
    assert message.translate(lambda text: text, "pl") == "not yet: Segreguj odpady"
    assert message.translate(lambda text: text, "it") == "not yet: Sort the waste"  # no variant


def test_joined_messages_are_each_translated():
    problems = Joined([N_("timed out"), N_("status list %(url)s could not be retrieved: "
                                          "%(reason)s", url="u", reason="x")])
    assert problems == "timed out; status list u could not be retrieved: x"
    assert translate(problems, lambda text: FRENCH.get(text, text)) == (
        "délai dépassé; la liste de statut u est injoignable : x")


def test_localised_and_joined_survive_pickle():
    value = Joined([Localised({"en": "a", "fr": "b"})], ", ")
    twin = pickle.loads(pickle.dumps(value))
    assert translate(twin, lambda text: text, "fr") == "b"
