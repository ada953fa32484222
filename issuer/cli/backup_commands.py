"""`sky-badges backup` and `restore`: everything needed to carry on, in one file, and back.

A backup is taken while the service runs (one snapshot of the database). A restore goes into a
new, empty database and instance folder only, after checking the file and that the key
passphrase and secret key in the environment are the ones the backup was made with.
"""

from __future__ import annotations

import sys
from pathlib import Path

from issuer.config import Settings

from .i18n import _

EXIT_OK, EXIT_UNREACHABLE = 0, 1


def register(subparsers) -> None:
    """Add `backup` and `restore` to the `sky-badges` parser."""
    backup = subparsers.add_parser(
        "backup", help=_("write a backup of the database and instance folder (while it runs)"))
    backup.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                        help=_("the new backup file (.tar.gz)"))
    backup.set_defaults(handler=backup_command)
    restore = subparsers.add_parser(
        "restore", help=_("restore a backup into an empty database and instance folder"))
    restore.add_argument("source", type=Path, metavar="FILE", help=_("a backup file"))
    restore.set_defaults(handler=restore_command)


def backup_command(args) -> int:
    """Write the backup; print what it holds."""
    from issuer.services.backups import write_backup

    summary = _reaching_the_database(write_backup, Settings.from_env(), args.output)
    if summary is None:
        return EXIT_UNREACHABLE
    print(_("backup written to %(file)s: %(rows)s rows of %(tables)s tables, %(files)s "
            "file(s), schema %(revision)s", file=args.output, rows=sum(summary.tables.values()),
            tables=len(summary.tables), files=summary.files, revision=summary.revision))
    print(_("keep SKY_KEY_PASSPHRASE and SECRET_KEY apart from it: a restore needs both"))
    if not summary.recorded:
        print(_("the backup could not be noted in the database (busy, or its schema is not up "
                "to date): the coordinator's Backups page does not show it"), file=sys.stderr)
    return EXIT_OK


def restore_command(args) -> int:
    """Restore the backup; print what was restored."""
    from issuer.services.backups import restore_backup

    summary = _reaching_the_database(restore_backup, Settings.from_env(), args.source)
    if summary is None:
        return EXIT_UNREACHABLE
    print(_("restored %(rows)s rows of %(tables)s tables and %(files)s file(s) from %(file)s; "
            "the schema is up to date", rows=sum(summary.tables.values()),
            tables=len(summary.tables), files=summary.files, file=args.source))
    return EXIT_OK


def _reaching_the_database(action, settings: Settings, path: Path):
    """Run `action(settings, path)`; a database that cannot be reached is one line, not a
    traceback (its address and password are not printed)."""
    from sqlalchemy.exc import OperationalError

    try:
        return action(settings, path)
    except OperationalError:
        print(_("sky-badges: error: %(reason)s",
                reason=_("the database cannot be reached; check DATABASE_URL")),
              file=sys.stderr)
        return None
