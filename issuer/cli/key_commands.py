"""`sky-badges keys withdraw`: take a compromised organisation key out of service.

The key leaves the organisation's DID document at once (nothing it signed verifies any more);
then every badge it signed that is not revoked is signed again by the organisation's active key,
in batches, with the same id, short id and claim link. Interrupted, the command is run again
and carries on.
"""

from __future__ import annotations

import sys

from issuer.config import Settings

from .i18n import _

EXIT_OK = 0


def add_withdraw(key_commands) -> None:
    """Add `keys withdraw` beside the engine's `keys generate` and `keys show`."""
    withdraw = key_commands.add_parser(
        "withdraw", help=_("withdraw an organisation's compromised key and re-sign its badges"))
    withdraw.add_argument("organisation", metavar="SLUG", help=_("the organisation, e.g. cec"))
    withdraw.add_argument("version", type=int, metavar="VERSION",
                          help=_("the key version to withdraw (see the admin's Keys page)"))
    withdraw.set_defaults(handler=keys_withdraw_command)


def keys_withdraw_command(args) -> int:
    """Withdraw the key, then re-sign what it signed; print what was done."""
    from sqlalchemy import select

    from issuer.services import unit_of_work
    from issuer.services.base import NotFound
    from issuer.services.key_withdrawal import left_to_resign, resign_remaining, withdraw_key
    from issuer.services.keys import verification_method_id
    from issuer.store.db import make_engine, make_sessionmaker
    from issuer.store.migrations import is_current
    from issuer.store.models import Organisation

    settings = Settings.from_env()
    if not is_current(settings.database_url):
        print(_("the database schema is not up to date: run `sky-badges db upgrade`"),
              file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine, settings)() as db:
            org = db.scalar(select(Organisation).where(Organisation.slug == args.organisation))
            if org is None:
                raise NotFound(_("no organisation %(slug)s", slug=args.organisation))
            with unit_of_work(db):
                key = withdraw_key(db, org, args.version, None)
            print(_("key version %(version)s of %(slug)s is withdrawn: %(method)s is no longer "
                    "in its DID document", version=key.version, slug=org.slug,
                    method=verification_method_id(org, key)), flush=True)
            total, progress = left_to_resign(db, key), []

            def report(count: int) -> None:
                progress.append(count)
                print(_("re-signed %(done)s of %(total)s", done=sum(progress), total=total),
                      flush=True)

            done = resign_remaining(db, key, on_batch=report)
    finally:
        engine.dispose()
    print(_("%(count)s badge(s) and endorsement(s) signed again with the active key; their "
            "cards and claim links are unchanged", count=done))
    return EXIT_OK
