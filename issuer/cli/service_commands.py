"""Service sub-commands: serve, worker, db upgrade, templates check/import, demo, retention run,
export-static.

`serve` with no settings is the embedded default: SQLite in ./instance (schema created or
upgraded on start), keys generated on first need, demo data seeded into an empty database with
the accounts' passwords printed once, background jobs run by threads of the same process.
`worker` runs background jobs alone: the production shape, beside gunicorn.
"""

from __future__ import annotations

import sys
from pathlib import Path

from issuer.config import Settings

from .i18n import _, tr

EXIT_OK, EXIT_PROBLEMS = 0, 1


def register(subparsers) -> None:
    """Add `serve`, `worker`, `db`, `templates` and `demo` to the `sky-badges` parser."""
    serve = subparsers.add_parser("serve", help=_("run the web service (development server)"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument(
        "--no-demo", action="store_true",
        help=_("do not seed demo organisations, accounts and badges"),
    )
    serve.add_argument(
        "--no-worker", action="store_true",
        help=_("do not run background jobs in this process (a `sky-badges worker` runs them)"),
    )
    serve.set_defaults(handler=serve_command)

    worker = subparsers.add_parser(
        "worker", help=_("run background jobs (bulk issuance) from the job queue"))
    worker.add_argument("--threads", type=int, default=2,
                        help=_("jobs run at once by this process (default 2)"))
    worker.set_defaults(handler=worker_command)

    database = subparsers.add_parser("db", help=_("database schema"))
    db_commands = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help=_("apply migrations (needed for PostgreSQL)"))
    upgrade.set_defaults(handler=db_upgrade_command)

    templates = subparsers.add_parser("templates", help=_("the micro-training catalogue"))
    template_commands = templates.add_subparsers(
        dest="templates_command", required=True, metavar="ACTION"
    )
    check = template_commands.add_parser("check", help=_("validate a catalogue folder"))
    check.add_argument("path", nargs="?", type=Path)
    check.set_defaults(handler=templates_check_command)
    load = template_commands.add_parser("import", help=_("import a catalogue folder"))
    load.add_argument("path", nargs="?", type=Path)
    load.set_defaults(handler=templates_import_command)

    demo = subparsers.add_parser("demo", help=_("seed the demo partners, accounts and badges"))
    demo.set_defaults(handler=demo_command)

    retention = subparsers.add_parser(
        "retention", help=_("remove personal data kept past each organisation's periods"))
    retention_commands = retention.add_subparsers(
        dest="retention_command", required=True, metavar="ACTION")
    sweep = retention_commands.add_parser(
        "run", help=_("remove old evidence photos and contact data (safe to run daily)"))
    sweep.add_argument("--dry-run", action="store_true",
                       help=_("only count what would be removed"))
    sweep.set_defaults(handler=retention_run_command)

    static = subparsers.add_parser(
        "export-static", help=_("write every public document into a folder for a static host"))
    static.add_argument("directory", type=Path)
    static.set_defaults(handler=export_static_command)


def serve_command(args) -> int:
    """Start the development server; on SQLite the schema is created/upgraded and demo seeded."""
    from issuer.web import create_app

    app = create_app({"PUBLIC_BASE_URL": _default_base_url(args.host, args.port)})
    settings = app.config["SETTINGS"]
    if not args.no_demo:
        _seed_if_empty(settings)
    database = _("SQLite in %(folder)s", folder=settings.instance_path) if settings.is_sqlite \
        else "PostgreSQL"
    print(_("SKY Badges on %(url)s (%(database)s)", url=settings.public_base_url,
            database=database), flush=True)
    # The embedded default runs its background jobs in this process: still one command.
    consumer = None if args.no_worker else app.extensions["sky_queue"].start_in_process()
    try:
        app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
    return EXIT_OK


def worker_command(args) -> int:
    """Run the job queue's consumer until SIGINT/SIGTERM (the production worker)."""
    import logging

    from issuer.services.queue import JobQueue
    from issuer.store.migrations import is_current

    if args.threads < 1:
        print(_("--threads must be at least 1"), file=sys.stderr)
        return EXIT_PROBLEMS
    settings = _prepared_settings()
    if not is_current(settings.database_url):
        print(_("the database schema is not up to date: run `sky-badges db upgrade`"),
              file=sys.stderr)
        return EXIT_PROBLEMS
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    queue = JobQueue(settings)
    print(_("SKY Badges worker: %(threads)s thread(s) on the job queue", threads=args.threads),
          flush=True)
    queue.consumer(args.threads).run()
    queue.close()
    return EXIT_OK


def _default_base_url(host: str, port: int) -> str:
    import os

    return os.environ.get("PUBLIC_BASE_URL") or f"http://{host}:{port}"


def db_upgrade_command(_args) -> int:
    """Apply every pending migration to DATABASE_URL."""
    from issuer.store.migrations import BrokenReferences, upgrade

    settings = Settings.from_env()
    try:
        upgrade(settings.database_url)
    except BrokenReferences as error:
        print(_("the upgrade stopped: %(count)s row(s) of %(tables)s point at rows that do not "
                "exist; restore the backup taken before it", count=error.count,
                tables=", ".join(error.tables)), file=sys.stderr)
        return EXIT_PROBLEMS
    print(_("database schema is up to date"))
    return EXIT_OK


def templates_check_command(args) -> int:
    """Print one line per problem in the catalogue; exit 1 when there is any."""
    from issuer.domain.catalogue import check_catalogue

    path = args.path or Settings.from_env().catalogue_path
    problems = check_catalogue(path)
    for problem in problems:
        print(tr(problem))
    if problems:
        return EXIT_PROBLEMS
    print(_("%(folder)s: catalogue is valid", folder=path))
    return EXIT_OK


def templates_import_command(args) -> int:
    """Import the catalogue into the database (new versions only)."""
    from issuer.core.errors import TemplateError
    from issuer.services import unit_of_work
    from issuer.services.catalogue import import_catalogue

    settings = _prepared_settings()
    path = args.path or settings.catalogue_path
    with _session(settings) as db:
        try:
            with unit_of_work(db):
                added = import_catalogue(db, path)
        except TemplateError as error:
            for problem in error.problems:
                print(tr(problem), file=sys.stderr)
            return EXIT_PROBLEMS
    for template in added:
        print(_("imported %(template)s version %(version)s", template=template.template_id,
                version=template.version))
    if not added:
        print(_("nothing new to import"))
    return EXIT_OK


def demo_command(_args) -> int:
    """Seed the demo data (refuses a database that already has organisations)."""
    settings = _prepared_settings()
    if not _seed_if_empty(settings):
        print(_("the database already has organisations; demo data not added"), file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def retention_run_command(args) -> int:
    """Sweep every organisation, each in its own transaction; print one line of counts each."""
    from sqlalchemy import select

    from issuer.services import unit_of_work
    from issuer.services.learners import forget_deleted
    from issuer.services.retention import sweep
    from issuer.store.models import Organisation

    settings = _prepared_settings()
    with _session(settings) as db:
        for org in db.scalars(select(Organisation).order_by(Organisation.slug)).all():
            with unit_of_work(db):
                swept = sweep(db, org, dry_run=args.dry_run)
            counts = {"organisation": swept.organisation, "photos": swept.evidence_photos,
                      "emails": swept.email_addresses, "files": swept.bulk_files,
                      "requests": swept.api_requests}
            print(_("%(organisation)s: would remove %(photos)s evidence photos, %(emails)s "
                    "e-mail addresses, %(files)s bulk files, %(requests)s API request "
                    "records", **counts) if args.dry_run else
                  _("%(organisation)s: removed %(photos)s evidence photos, %(emails)s "
                    "e-mail addresses, %(files)s bulk files, %(requests)s API request "
                    "records", **counts))
        if not args.dry_run:
            forget_deleted(db)
    return EXIT_OK


def export_static_command(args) -> int:
    """Write (or bring up to date) the static copy of the public site; print the counts."""
    from issuer.services.static_export import ExportError, export_static
    from issuer.web.static_site import export_app, fetcher

    settings = _prepared_settings()
    app = export_app()
    try:
        with _session(settings) as db:
            report = export_static(db, args.directory, fetcher(app))
    except ExportError as error:
        print(str(error), file=sys.stderr)
        return EXIT_PROBLEMS
    finally:
        app.extensions["sky_queue"].close()
        app.extensions["sky_engine"].dispose()
    print(_("%(folder)s: %(written)s files written, %(unchanged)s unchanged, %(removed)s "
            "removed", folder=args.directory, written=report.written,
            unchanged=report.unchanged, removed=report.removed))
    return EXIT_OK


def _prepared_settings() -> Settings:
    from issuer.store.migrations import upgrade

    settings = Settings.from_env()
    if settings.is_sqlite:
        upgrade(settings.database_url)
    return settings


def _session(settings: Settings):
    from issuer.store.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(settings.database_url), settings)()


def _seed_if_empty(settings: Settings) -> bool:
    """Seed demo data into a database without organisations; print the accounts once."""
    from sqlalchemy import select

    from issuer.services import unit_of_work
    from issuer.services.demo import seed_demo
    from issuer.store.models import Organisation

    with _session(settings) as db:
        if db.scalar(select(Organisation.id).limit(1)) is not None:
            return False
        with unit_of_work(db):
            summary = seed_demo(db, settings)
    _print_accounts(summary)
    return True


def _print_accounts(summary: dict) -> None:
    """The demo accounts with their passwords (shown this once, never stored)."""
    from issuer.services.urls import verify_path

    print(_("Demo accounts (passwords are shown only now; keep them):"))
    for account in summary["accounts"]:
        print(f"  {account['organisation']:<20} {account['role']:<8} {account['email']:<34} "
              f"{account['password']}")
    valid = summary["credentials"]["valid"]
    if valid:
        url = summary.get("base_url", "") + verify_path(valid[0])
        print(_("A badge to check: %(url)s", url=url))
