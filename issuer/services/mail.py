"""E-mail delivery of a claim link, in the learner's language, through the configured SMTP server.

Settings come from the environment via issuer.config (handed in, or those of the credential's
database session): SMTP_HOST, SMTP_PORT (587), SMTP_USER,
SMTP_PASSWORD, SMTP_FROM and SMTP_STARTTLS (on by default). Nothing is sent when SMTP_HOST is
unset. The password never reaches a log line or an error message.

The message texts are gettext messages, translated in the project catalogues like the web
pages' (issuer/translations); they are loaded once, without Flask, since an e-mail may be
composed outside any web request.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from html import escape

from issuer.config import Settings
from issuer.core.messages import N_
from issuer.languages import LANGUAGES, catalogue
from issuer.store.models import Credential

from . import consent
from .base import ServiceError, settings_of
from .claims import claim_url
from .publishing import achievement_name, credential_document
from .urls import privacy_url

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20  # seconds
FALLBACK_LANGUAGE = "en"


# The English texts are gettext messages; every other language's wording is in the catalogues
# under issuer/translations (docs/TRANSLATING.md). They are read with Babel, not Flask-Babel,
# because an e-mail may be composed outside any web request.
MESSAGES = {
    "subject": N_("Your badge: {badge}"),
    "hello": N_("Hello {name},"),
    "earned": N_("You earned the badge “{badge}” from {organisation}."),
    "open": N_("Open this link to keep your badge, put it in a wallet app or add it to "
               "LinkedIn:"),
    "private": N_("This link is only for you. Do not share it."),
    "button": N_("Get my badge"),
    "privacy": N_("How {organisation} uses your data:"),
}


def _texts(language: str) -> dict[str, str]:
    """The e-mail's texts in `language`, from its compiled catalogue (English when it has none)."""
    translations = catalogue(language)
    return {key: translations.gettext(text) for key, text in MESSAGES.items()}


TEXTS = {language: _texts(language) for language in LANGUAGES}


class MailError(ServiceError):
    """An e-mail cannot be sent (not configured, refused or unreachable server)."""


@dataclass(frozen=True)
class ClaimMail:
    """What a claim e-mail says, before it becomes a MIME message."""

    to: str
    name: str
    badge: str
    organisation: str
    link: str
    language: str
    privacy: str  # the organisation's privacy notice


def is_configured(config: Settings) -> bool:
    """Whether an SMTP server is configured (SMTP_HOST and SMTP_FROM)."""
    return bool(config.smtp_host and config.smtp_from)


def email_claim_link(credential: Credential, token: str, config: Settings | None = None) -> str:
    """Send the claim link of `credential` to its learner's e-mail; return the Message-ID.

    `token` is the claim token in clear (from `claim_links.printable_token`, never stored).
    The SMTP server is that of `config` (default: the settings of the credential's session).
    """
    config = config or settings_of(credential)
    learner = credential.learner
    if learner is None or not learner.email or learner.erased_at is not None:
        raise MailError(N_("this learner has no e-mail address"))
    if not consent.given(learner, consent.EMAIL):
        raise MailError(consent.NO_EMAIL)
    document = credential_document(credential)
    issuer = document.get("issuer") or {}
    mail = ClaimMail(to=learner.email, name=learner.name, badge=achievement_name(document),
                     organisation=issuer.get("name") or credential.organisation.name,
                     link=claim_url(credential, token),
                     language=learner.language or credential.language,
                     privacy=privacy_url(credential))
    return send(compose(mail, config), config)


def compose(mail: ClaimMail, config: Settings) -> EmailMessage:
    """The claim e-mail as plain text with an HTML alternative, in the learner's language."""
    texts = TEXTS.get(mail.language, TEXTS[FALLBACK_LANGUAGE])
    values = {"name": mail.name, "badge": mail.badge, "organisation": mail.organisation}
    message = EmailMessage()
    message["Subject"] = texts["subject"].format(**values)
    message["From"] = formataddr((mail.organisation, config.smtp_from or ""))
    message["To"] = mail.to
    message["Message-ID"] = make_msgid(domain=_domain(config.smtp_from))
    lines = [texts["hello"], "", texts["earned"], "", texts["open"], mail.link, "",
             texts["private"], "", texts["privacy"], mail.privacy]
    message.set_content("\n".join(line.format(**values) for line in lines))
    message.add_alternative(_html(texts, values, mail.link, mail.privacy), subtype="html")
    # After the body: setting content clears every Content-* header.
    message["Content-Language"] = mail.language if mail.language in TEXTS else FALLBACK_LANGUAGE
    return message


def send(message: EmailMessage, config: Settings) -> str:
    """Deliver `message` over SMTP (STARTTLS and login when configured); return its Message-ID."""
    if not is_configured(config):
        raise MailError(N_("e-mail is not configured: set SMTP_HOST and SMTP_FROM"))
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            if config.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        # The class name and SMTP code only: server replies can echo credentials back.
        code = getattr(error, "smtp_code", None)
        log.warning("claim e-mail not sent via %s:%s (%s%s)", config.smtp_host, config.smtp_port,
                    type(error).__name__, f" {code}" if code else "")
        raise MailError(N_("the e-mail could not be sent (%(error)s)",
                            error=type(error).__name__)) from None
    return message["Message-ID"]


def _html(texts: dict, values: dict, link: str, privacy: str) -> str:
    safe = {key: escape(value) for key, value in values.items()}
    href = escape(link, quote=True)
    privacy_href = escape(privacy, quote=True)
    return (
        "<!doctype html><html><body style=\"font-family:sans-serif;font-size:18px\">"
        f"<p>{texts['hello'].format(**safe)}</p>"
        f"<p>{texts['earned'].format(**safe)}</p>"
        f"<p>{escape(texts['open'])}</p>"
        f"<p><a href=\"{href}\" style=\"display:inline-block;padding:14px 24px;"
        "background:#1d4ed8;color:#fff;text-decoration:none;border-radius:8px\">"
        f"{escape(texts['button'])}</a></p>"
        f"<p><a href=\"{href}\">{escape(link)}</a></p>"
        f"<p>{escape(texts['private'])}</p>"
        f"<p style=\"font-size:15px\">{texts['privacy'].format(**safe)} "
        f"<a href=\"{privacy_href}\">{escape(privacy)}</a></p>"
        "</body></html>"
    )


def _domain(address: str | None) -> str | None:
    return address.rpartition("@")[2] or None if address else None
