"""The e-mails that bring a person into their account: an invitation, a password reset.

Plain text in the person's language (the catalogues under issuer/translations, read with Babel
like the claim e-mail's); sent through `mail.send` and its SMTP settings.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from issuer.config import Settings
from issuer.core.messages import N_
from issuer.languages import LANGUAGES, catalogue

from .account_tokens import INVITATION, RESET

FALLBACK_LANGUAGE = "en"

MESSAGES = {
    INVITATION: (
        N_("Your SKY Badges account for {organisation}"),
        N_("Hello,"),
        N_("You are invited to issue badges for {organisation} on SKY Badges."),
        N_("Open this link to choose your password. It works once, within 7 days:"),
        None,
        N_("If you did not expect this e-mail, you can ignore it."),
    ),
    RESET: (
        N_("Choose a new SKY Badges password"),
        N_("Hello,"),
        N_("Someone asked to reset the password of your SKY Badges account for "
           "{organisation}."),
        N_("Open this link to choose a new password. It works once, within one hour:"),
        None,
        N_("If it was not you, ignore this e-mail: your password stays as it is."),
    ),
}


def compose_account_mail(purpose: str, to: str, link: str, organisation: str,
                         language: str | None, config: Settings) -> EmailMessage:
    """The invitation or reset e-mail for `to`, whose single-use `link` sits on a line alone."""
    language = language if language in LANGUAGES else FALLBACK_LANGUAGE
    translations = catalogue(language)
    subject, *lines = (translations.gettext(text) if text else link
                       for text in MESSAGES[purpose])
    message = EmailMessage()
    message["Subject"] = subject.format(organisation=organisation)
    message["From"] = formataddr(("SKY Badges", config.smtp_from or ""))
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=(config.smtp_from or "").rpartition("@")[2] or None)
    body = [line if line == link else line.format(organisation=organisation) for line in lines]
    message.set_content("\n\n".join(body) + "\n")
    message["Content-Language"] = language
    return message
