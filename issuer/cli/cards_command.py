"""`sky-badges cards`: print cards for credentials, from files or from the service database."""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from issuer.core import baking
from issuer.rendering import cards

from .i18n import _


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "cards", help=_("render printable QR cards (ID-1 PDF, A4 sheet, certificate or PNG)")
    )
    parser.add_argument(
        "credentials",
        nargs="+",
        metavar="CREDENTIAL",
        help=_("a signed credential file (.json, baked .png/.svg), or a short id or uuid here"),
    )
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument(
        "--layout",
        choices=["cards", "sheet", "certificate", "png"],
        default="cards",
        help=_("cards: one ID-1 page each; sheet: A4, ten a page; certificate: A4; png: one card"),
    )
    parser.add_argument("--back", action="store_true", help=_(
        "add the back of each card, with its claim code for a credential of this service "
        "(sheet: the backs on every other page, for a printer that flips on the long edge)"))
    parser.add_argument("--fold", action="store_true", help=_(
        "sheet for a single-sided printer: each front beside its back, to fold"))
    parser.add_argument(
        "--verify-url",
        help=_("for a credential file: the verification URL its QR should encode"),
    )
    parser.set_defaults(handler=cards_command)


def cards_command(args) -> int:
    from issuer.cli import UsageError

    if args.fold and args.layout != "sheet":
        raise UsageError(_("--fold prints a sheet: add --layout sheet"))
    with ExitStack() as stack:
        database = _Database(stack)
        selected = [_card(reference, args.verify_url, args.back or args.fold, database)
                    for reference in args.credentials]
    if args.layout in ("certificate", "png") and len(selected) != 1:
        raise UsageError(_("--layout %(layout)s renders one credential; %(count)s given",
                           layout=args.layout, count=len(selected)))
    if args.layout == "sheet":
        data = cards.sheet_pdf(selected, "folded" if args.fold else
                               "duplex" if args.back else "none")
    elif args.layout == "certificate":
        data = cards.certificate_pdf(selected[0])
    elif args.layout == "png":
        data = cards.card_png(selected[0])
    else:
        data = cards.card_pdf(selected, back=args.back)
    args.output.write_bytes(data)
    return 0


class _Database:
    """The service database, opened on the first card that needs it and kept for the others:
    settings, engine and session are built once per command, not once per card."""

    def __init__(self, stack: ExitStack):
        self._stack, self._session = stack, None

    def session(self):
        if self._session is None:
            from issuer.config import Settings
            from issuer.store.db import make_engine, make_sessionmaker

            settings = Settings.from_env()
            engine = make_engine(settings.database_url)
            self._stack.callback(engine.dispose)
            self._session = self._stack.enter_context(
                make_sessionmaker(engine, settings)())
        return self._session


def _card(reference: str, verify_url: str | None, claim: bool,
          database: _Database) -> cards.CardData:
    path = Path(reference)
    if path.is_file():
        return _card_from_file(path, verify_url)
    return _card_from_database(database.session(), reference, claim)


def _card_from_file(path: Path, verify_url: str | None) -> cards.CardData:
    from issuer.cli import UsageError

    raw = path.read_bytes()
    if raw.lstrip().startswith(b"{"):
        document = json.loads(raw)
    else:
        document = baking.extract(raw)
    if not isinstance(document, dict):
        raise UsageError(
            _("%(file)s holds a VC-JWT; give the JSON credential for a card", file=path))
    url = verify_url or document.get("id", "")
    if not url.startswith("https://"):
        raise UsageError(
            _("%(file)s: give --verify-url (the credential id is not a web address)", file=path))
    from issuer.services.cards import words_in

    card = cards.card_from_credential(document, verify_url=url)
    # Printed in the credential's language, with the words of that language's catalogue.
    return replace(card, words=words_in(card.language))


def _card_from_database(db, reference: str, claim: bool) -> cards.CardData:
    """The card of a stored credential; with `claim`, its back carries the claim link (the
    same as on every earlier print of the card)."""
    from issuer.cli import UsageError
    from issuer.services import cards as card_service
    from issuer.services import claim_links, claims, publishing, unit_of_work

    credential = publishing.credential_by_short_id(
        db, reference
    ) or publishing.credential_by_uuid(db, reference)
    if credential is None:
        raise UsageError(_("no file and no credential of this service named %(name)s",
                           name=repr(reference)))
    claim_url = None
    if claim and claims.can_bind(credential) is None:
        with unit_of_work(db):
            claim_url = claims.claim_url(db, claim_links.printable_token(db, credential))
    return card_service.card_for(credential, claim_url)
