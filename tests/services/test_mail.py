"""Claim e-mails go through a real SMTP server on loopback (aiosmtpd) and are read back."""

from __future__ import annotations

import pytest

from issuer.services import mail, unit_of_work
from issuer.services.base import settings_of
from issuer.services.consent import Consent
from issuer.services.learners import create_learner
from tests.helpers import SMTP_PASSWORD, issue


@pytest.fixture
def config(smtp_server, db):
    controller, _mailbox = smtp_server
    return settings_of(db).with_changes(smtp_host="127.0.0.1", smtp_port=controller.port,
                                   smtp_from="badges@agfe.example.org", smtp_starttls=False,
                                   smtp_user="mailer", smtp_password=SMTP_PASSWORD)


def _learner_with_email(db, world, language="fr"):
    with unit_of_work(db):
        return create_learner(db, world.org, "Zoé Lefèvre", email="zoe@example.org",
                              language=language, answers=Consent.everything())


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_claim_link_is_delivered_in_the_learners_language(db, world, smtp_server, config):
    learner = _learner_with_email(db, world)
    credential = issue(db, world, learner)
    mail.email_claim_link(credential, credential.claim_token, config)
    _controller, mailbox = smtp_server
    sender, recipients, message = mailbox.messages[0]
    link = f"https://badges.example.org/claim/{credential.claim_token}"
    assert (sender, recipients) == ("badges@agfe.example.org", ["zoe@example.org"])
    assert message["Subject"].startswith("Votre badge\u00a0: ")  # French no-break space
    assert message["Content-Language"] == "fr"
    assert "Bonjour Zoé Lefèvre," in _text(message)
    assert link in _text(message)
    assert f'href="{link}"' in _html(message)


def test_claim_email_falls_back_to_english_for_an_unknown_language(db, world, smtp_server,
                                                                    config):
    learner = _learner_with_email(db, world, language="de")
    credential = issue(db, world, learner)
    mail.email_claim_link(credential, credential.claim_token, config)
    message = smtp_server[1].messages[0][2]
    assert message["Subject"].startswith("Your badge: ")
    assert "This link is only for you." in _text(message)


def test_html_part_escapes_the_learners_name(db, world, smtp_server, config):
    with unit_of_work(db):
        learner = create_learner(db, world.org, "Ana <b>Ruiz</b>", email="ana@example.org",
                                 language="es", answers=Consent.everything())
    credential = issue(db, world, learner)
    mail.email_claim_link(credential, credential.claim_token, config)
    html = _html(smtp_server[1].messages[0][2])
    assert "Hola Ana &lt;b&gt;Ruiz&lt;/b&gt;:" in html


def test_learner_without_email_is_refused(db, world, config):
    credential = issue(db, world)
    with pytest.raises(mail.MailError, match="no e-mail"):
        mail.email_claim_link(credential, credential.claim_token, config)


def test_unconfigured_smtp_is_refused(db, world):
    learner = _learner_with_email(db, world)
    credential = issue(db, world, learner)
    with pytest.raises(mail.MailError, match="SMTP_HOST"):
        mail.email_claim_link(credential, credential.claim_token,
                              settings_of(db).with_changes(smtp_host=None))


def test_refused_login_never_shows_the_password(db, world, smtp_server, config, caplog):
    learner = _learner_with_email(db, world)
    credential = issue(db, world, learner)
    wrong = config.with_changes(smtp_password="wrong-" + SMTP_PASSWORD)
    with pytest.raises(mail.MailError) as refused:
        mail.email_claim_link(credential, credential.claim_token, wrong)
    assert smtp_server[1].messages == []
    assert SMTP_PASSWORD not in str(refused.value) + caplog.text
    assert str(refused.value).startswith("the e-mail could not be sent (SMTP")
