"""`sky-badges org create`: an organisation, its key and its first admin's invitation."""

from __future__ import annotations

import re

from sqlalchemy import select

from issuer.cli import main
from issuer.services import unit_of_work
from issuer.services.account_tokens import INVITATION, redeem
from issuer.services.base import settings_of
from issuer.store.models import Organisation, SigningKey
from tests.helpers import SMTP_PASSWORD, TEST_PASSWORD

ARGS = ["org", "create", "trinijove", "--name", "Fundació Trinijove", "--country", "es",
        "--admin-email", "Admin@Trinijove.example.org", "--language", "es"]
LINK = re.compile(r"^https://badges\.example\.org/account/invitation/(\S+)$", re.M)


def test_org_create_prints_the_did_and_a_working_invitation_link(environment, db, capsys):
    assert main(ARGS) == 0
    out = capsys.readouterr().out
    assert "created trinijove (did:web:badges.example.org:issuers:trinijove)" in out
    token = LINK.search(out).group(1)
    org = db.scalar(select(Organisation))
    assert (org.name, org.country_code, org.default_language) == ("Fundació Trinijove", "ES", "es")
    assert db.scalar(select(SigningKey.version).where(SigningKey.organisation_id == org.id)) == 1
    with unit_of_work(db):
        admin = redeem(db, token, INVITATION, TEST_PASSWORD, settings_of(db), name="Montserrat")
    assert (admin.email, admin.role, admin.language) == ("admin@trinijove.example.org",
                                                         "admin", "es")


def test_org_create_refuses_a_taken_slug_or_a_bad_country_in_one_line(environment, db, capsys):
    assert main(ARGS) == 0
    capsys.readouterr()
    assert main(ARGS) == 2
    err = capsys.readouterr().err
    assert err == ("sky-badges: error: an organisation with the short name trinijove "
                   "already exists\n")
    assert main(["org", "create", "barka", "--name", "Barka", "--country", "Poland",
                 "--admin-email", "a@barka.example.org"]) == 2
    assert "two-letter country code" in capsys.readouterr().err
    assert len(db.scalars(select(Organisation)).all()) == 1


def test_org_create_e_mails_the_invitation_when_smtp_is_set(environment, smtp_server,
                                                           monkeypatch, capsys):
    controller, mailbox = smtp_server
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port),
                        "SMTP_STARTTLS": "0", "SMTP_FROM": "badges@example.org",
                        "SMTP_USER": "mailer", "SMTP_PASSWORD": SMTP_PASSWORD}.items():
        monkeypatch.setenv(name, value)
    assert main(ARGS) == 0
    out = capsys.readouterr().out
    [(_sender, recipients, message)] = mailbox.messages
    assert recipients == ["admin@trinijove.example.org"]
    assert message["Content-Language"] == "es"
    assert LINK.search(out).group(0) in message.get_content()
    assert "the invitation was e-mailed to admin@trinijove.example.org" in out


def test_org_create_says_when_the_e_mail_failed_and_still_prints_the_link(environment,
                                                                          monkeypatch, capsys):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", "9")  # discard port: nothing listens
    monkeypatch.setenv("SMTP_FROM", "badges@example.org")
    assert main(ARGS) == 1
    captured = capsys.readouterr()
    assert LINK.search(captured.out)
    assert "the invitation e-mail was not sent" in captured.err
