"""`sky-badges org create`: a partner organisation and its first admin's invitation.

The organisation gets its did:web identity and first signing key; the invitation link is
printed once (and e-mailed when SMTP is configured). Only the operator of the service, who
holds the database settings, can run it.
"""

from __future__ import annotations

import sys

from issuer.config import Settings

from .i18n import _

EXIT_OK = 0
EXIT_NOT_SENT = 1


def register(subparsers) -> None:
    """Add `org create` to the `sky-badges` parser."""
    org = subparsers.add_parser("org", help=_("partner organisations"))
    commands = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    create = commands.add_parser(
        "create", help=_("add an organisation and invite its first admin"))
    create.add_argument("slug", metavar="SLUG",
                        help=_("short name in its addresses, e.g. cec (lower case, digits, -)"))
    create.add_argument("--name", required=True, help=_("the organisation's full name"))
    create.add_argument("--country", required=True, metavar="CC",
                        help=_("two-letter country code, e.g. BE"))
    create.add_argument("--admin-email", required=True, metavar="EMAIL",
                        help=_("the first admin's e-mail address"))
    create.add_argument("--language", default="en", metavar="LANG",
                        help=_("the organisation's language (en, fr, es, it, nl, pl)"))
    create.add_argument("--coordinator", action="store_true",
                        help=_("the admin coordinates the project: can add organisations"))
    create.set_defaults(handler=org_create_command)


def org_create_command(args) -> int:
    """Create the organisation; print the invitation link; exit 1 if its e-mail failed."""
    from issuer.services import unit_of_work
    from issuer.services.account_mail import compose_account_mail
    from issuer.services.account_tokens import INVITATION, link
    from issuer.services.keys import issuer_did
    from issuer.services.mail import MailError, is_configured, send
    from issuer.services.organisations import onboard
    from issuer.store.db import make_engine, make_sessionmaker

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine, settings)() as db:
            with unit_of_work(db):
                org, admin, token = onboard(db, args.slug, args.name, args.country,
                                            args.admin_email, language=args.language,
                                            coordinator=args.coordinator)
            url = link(db, token, INVITATION)
            print(_("created %(slug)s (%(did)s)", slug=org.slug, did=issuer_did(org)))
            print(_("invitation for %(email)s, valid 7 days, shown only now:", email=admin.email))
            print(url)
            if not is_configured(settings):
                return EXIT_OK
            message = compose_account_mail(INVITATION, admin.email, url, org.name,
                                           admin.language, settings)
    finally:
        engine.dispose()
    try:
        send(message, settings)
    except MailError as error:
        from .i18n import tr

        print(_("sky-badges: the invitation e-mail was not sent: %(reason)s", reason=tr(error)),
              file=sys.stderr)
        return EXIT_NOT_SENT
    print(_("the invitation was e-mailed to %(email)s", email=admin.email))
    return EXIT_OK
