"""`sky-badges roster import SESSION FILE`: a session's learners from a CSV or .xlsx file.

The same import as the trainer's page (services/rosters.py): all rows or none. A file with
problems prints one line per row on stderr and exits 2; nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from issuer.config import Settings

from .i18n import _, tr

EXIT_OK, EXIT_USAGE = 0, 2


def register(subparsers) -> None:
    """Add `roster import` to the `sky-badges` parser."""
    roster = subparsers.add_parser("roster", help=_("the learners of a training session"))
    commands = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    load = commands.add_parser(
        "import", help=_("enrol a session's learners from a CSV or .xlsx file, with consent"))
    load.add_argument("session", type=int, metavar="SESSION", help=_("the session's number"))
    load.add_argument("file", type=Path, metavar="FILE", help=_("the CSV or .xlsx file"))
    load.set_defaults(handler=roster_import_command)


def roster_import_command(args) -> int:
    """Import the file into the session; print how many learners were enrolled."""
    from issuer.services import unit_of_work
    from issuer.services.rosters import RosterRejected, import_roster
    from issuer.store.db import make_engine, make_sessionmaker
    from issuer.store.models import TrainingSession

    from . import UsageError

    settings = Settings.from_env()
    with args.file.open("rb") as handle:
        data = handle.read(10_000_000)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine, settings)() as db:
            session = db.get(TrainingSession, args.session)
            if session is None:
                raise UsageError(_("there is no session %(id)s", id=args.session))
            try:
                with unit_of_work(db):
                    done = import_roster(db, session, data, None)
            except RosterRejected as error:
                print(_("sky-badges: error: %(reason)s", reason=tr(error)), file=sys.stderr)
                for line, message in error.problems:
                    print(_("row %(line)s: %(problem)s", line=line, problem=tr(message)),
                          file=sys.stderr)
                return EXIT_USAGE
    finally:
        engine.dispose()
    print(_("%(count)s learner(s) enrolled in session %(id)s", count=len(done), id=args.session))
    return EXIT_OK
