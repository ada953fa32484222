"""Backups of a whole deployment, taken while it runs, and their restore into an empty one.

A backup is a `.tar.gz` of plain files a person can read: `manifest.json` (format version,
Alembic revision, each table's row count, each member's SHA-256), `tables/<table>.jsonl` (one
JSON object per row) and `files/…` (the instance folder: what the service keeps beside its
database). Every table is read in one snapshot (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite), so issuing may go on meanwhile and the backup is still consistent.
Rows are plain JSON (bytes as base64, times as UTC ISO text), so a SQLite backup restores into
PostgreSQL and back.

What is NOT in a backup: the key passphrase and the secret key. The private keys are in the
backup encrypted with the passphrase; the secret key derives the claim links printed on cards.
Both are kept apart (a password manager); the restore checks that the ones it is given open the
keys and make the same claim links, before it writes anything.

Each backup written is noted in `backup_record` (when, size, rows, files): the coordinator's
pages show the last one, never the file, which stays a command's output (it holds every
organisation's data).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Date, DateTime, LargeBinary, MetaData, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.core.clock import utc_seconds, utc_stamp
from issuer.core.errors import BadgeError
from issuer.core.keys import PrivateKey
from issuer.core.messages import N_
from issuer.store.db import make_engine
from issuer.store.migrations import revisions, upgrade
from issuer.store.models import BackupRecord

from .base import ServiceError
from .claim_links import derive_token, token_digest

FORMAT = "sky-badges-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Neither the queue's tables (a lost message costs a click on Resume: jobs live in bulk_job)
# nor Alembic's own (the revision is in the manifest).
_NOT_BACKED_UP = re.compile(r"^(alembic_version|huey_.*)$")
# Instance files that are not data: the secrets kept apart, the database and queue files.
_SECRETS = ("secret_key", "key_passphrase")
_NOT_FILES = re.compile(r"^(secret_key|key_passphrase|[^/]*\.db(-wal|-shm|-journal)?)$")
_MEMBER = re.compile(r"^(manifest\.json|tables/[a-z_][a-z0-9_]*\.jsonl|files/[^\0]+)$")
MAX_MEMBERS = 100_000
_BATCH = 1000

TableProgress = Callable[[str, int], None]


class BackupError(ServiceError):
    """A backup cannot be written, or a file cannot be restored (it says why)."""


@dataclass(frozen=True)
class BackupSummary:
    revision: str
    tables: dict[str, int]
    files: int
    recorded: bool = False  # noted in backup_record (the coordinator's Backups page)


# --- writing ------------------------------------------------------------------------------


def write_backup(settings: Settings, target: Path,
                 on_table: TableProgress | None = None) -> BackupSummary:
    """Write the backup of the deployment of `settings` to `target` (a new file, mode 600).

    `on_table(name, rows)` is called after each table is read, inside the snapshot.
    """
    if target.exists():
        raise BackupError(N_("%(file)s already exists: choose a new file name", file=target))
    engine = make_engine(settings.database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="sky-backup-") as work:
            folder = Path(work)
            revision, counts = _dump_tables(engine, folder / "tables", on_table)
            files = _copy_instance_files(settings, folder / "files")
            _write_archive(folder, target, revision, counts)
        summary = BackupSummary(revision, counts, files)
        recorded = _record(engine, summary, target.stat().st_size)
    finally:
        engine.dispose()
    return replace(summary, recorded=recorded)


def _record(engine: Engine, summary: BackupSummary, size: int) -> bool:
    """Note that a backup was written; False when it could not be noted (a database older
    than the table, or one too busy): the backup itself is good all the same."""
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table(BackupRecord.__tablename__):
                return False
            connection.execute(insert(BackupRecord).values(
                created_at=utc_seconds(), size_bytes=size, files=summary.files,
                rows=sum(summary.tables.values()), revision=summary.revision))
    except OperationalError:
        return False
    return True


def last_backup(db: Session) -> BackupRecord | None:
    """The most recent backup `sky-badges backup` wrote, or None when there was none."""
    return db.scalar(select(BackupRecord).order_by(BackupRecord.created_at.desc(),
                                                   BackupRecord.id.desc()).limit(1))


def _dump_tables(engine: Engine, folder: Path, on_table: TableProgress | None
                 ) -> tuple[str, dict[str, int]]:
    folder.mkdir()
    counts: dict[str, int] = {}
    with _snapshot(engine) as connection:
        revision = _revision(connection)
        if revision is None:
            raise BackupError(N_("the database has no schema yet: nothing to back up"))
        for table in _tables(connection):
            rows = 0
            with open(folder / f"{table.name}.jsonl", "w", encoding="utf-8") as out:
                query = select(table).order_by(*table.primary_key.columns)
                for row in connection.execution_options(yield_per=_BATCH).execute(query):
                    out.write(json.dumps({k: _to_json(v) for k, v in row._mapping.items()},
                                         ensure_ascii=False, separators=(",", ":")) + "\n")
                    rows += 1
            counts[table.name] = rows
            if on_table is not None:
                on_table(table.name, rows)
    return revision, counts


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees one moment of the database for as long as it is open."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ",
                                                      postgresql_readonly=True)
            connection.begin()
        else:
            # pysqlite begins transactions only before writes: begin the read one ourselves.
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def _revision(connection: Connection) -> str | None:
    """The Alembic revision of the database; None when it was never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _tables(connection: Connection) -> list:
    schema = MetaData()
    schema.reflect(connection)
    return [t for t in schema.sorted_tables if not _NOT_BACKED_UP.match(t.name)]


def _to_json(value):
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _copy_instance_files(settings: Settings, folder: Path) -> int:
    copied = 0
    for path in _instance_files(settings.instance_path):
        relative = path.relative_to(settings.instance_path).as_posix()
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / relative)
        copied += 1
    return copied


def _instance_files(instance: Path) -> list[Path]:
    if not instance.is_dir():
        return []
    return sorted(p for p in instance.rglob("*") if p.is_file() and not p.is_symlink()
                  and not _NOT_FILES.match(p.relative_to(instance).as_posix()))


def _write_archive(folder: Path, target: Path, revision: str, counts: dict[str, int]) -> None:
    members = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "created": utc_stamp(),
        "alembic_revision": revision, "tables": counts,
        "sha256": {name: _sha256(folder / name) for name in members},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), "utf-8")
    partial = target.with_name(target.name + ".partial")
    partial.touch(mode=0o600, exist_ok=False)
    try:
        with tarfile.open(partial, "w:gz") as archive:
            for name in [MANIFEST, *members]:
                archive.add(folder / name, arcname=name, recursive=False,
                            filter=_plain_member)
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _plain_member(member: tarfile.TarInfo) -> tarfile.TarInfo:
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.mode = 0o600
    return member


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- restoring ----------------------------------------------------------------------------


def restore_backup(settings: Settings, source: Path,
                   on_table: TableProgress | None = None) -> BackupSummary:
    """Restore the backup at `source` into the empty database and instance folder of
    `settings`, then bring the schema up to this release's head.

    Everything is checked before anything is written: the archive (every member listed in the
    manifest with its SHA-256, row counts), that the database and instance folder are empty, and
    that the settings' key passphrase and secret key are the ones the backup was made with.
    """
    with tempfile.TemporaryDirectory(prefix="sky-restore-") as work:
        folder = Path(work)
        manifest = _unpack(source, folder)
        revision = manifest["alembic_revision"]
        current = _check_empty(settings, revision)
        _check_secrets(settings, folder / "tables")
        if current is None:
            upgrade(settings.database_url, revision)
        engine = make_engine(settings.database_url)
        try:
            _load_tables(engine, folder / "tables", manifest["tables"], on_table)
        finally:
            engine.dispose()
        upgrade(settings.database_url)
        files = _put_instance_files(folder / "files", settings.instance_path)
    return BackupSummary(revision, manifest["tables"], files)


def _unpack(source: Path, folder: Path) -> dict:
    """Extract the archive's regular files into `folder`; check them against the manifest."""
    digests: dict[str, str] = {}
    try:
        with tarfile.open(source, "r:gz") as archive:
            for count, member in enumerate(archive):
                if count >= MAX_MEMBERS:
                    raise BackupError(N_("%(file)s is not a SKY Badges backup", file=source))
                if not member.isfile() or not _MEMBER.match(member.name) \
                        or ".." in member.name.split("/"):
                    raise BackupError(N_("%(file)s holds an unexpected member %(name)s",
                                         file=source, name=member.name[:80]))
                path = folder / member.name
                path.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with archive.extractfile(member) as data, open(path, "wb") as out:
                    for block in iter(lambda: data.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
                digests[member.name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise BackupError(N_("%(file)s is not a SKY Badges backup", file=source)) from error
    manifest = _read_manifest(folder / MANIFEST, source)
    listed = manifest["sha256"]
    damaged = sorted(name for name in set(listed) | (set(digests) - {MANIFEST})
                     if listed.get(name) != digests.get(name))
    if damaged:
        raise BackupError(N_("%(file)s is damaged: %(name)s does not match its SHA-256",
                             file=source, name=damaged[0]))
    for table, rows in manifest["tables"].items():
        if _line_count(folder / "tables" / f"{table}.jsonl") != rows:
            raise BackupError(N_("%(file)s is damaged: %(name)s does not match its SHA-256",
                                 file=source, name=f"tables/{table}.jsonl"))
    return manifest


def _read_manifest(path: Path, source: Path) -> dict:
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupError(N_("%(file)s is not a SKY Badges backup", file=source)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or not isinstance(manifest.get("sha256"), dict) \
            or not isinstance(manifest.get("tables"), dict):
        raise BackupError(N_("%(file)s is not a SKY Badges backup", file=source))
    if manifest.get("format_version") != FORMAT_VERSION \
            or manifest.get("alembic_revision") not in revisions():
        raise BackupError(N_("%(file)s was made by a newer release of SKY Badges: upgrade "
                             "this one first", file=source))
    if any(not re.fullmatch(r"[a-z_][a-z0-9_]*", t) for t in manifest["tables"]):
        raise BackupError(N_("%(file)s is not a SKY Badges backup", file=source))
    return manifest


def _line_count(path: Path) -> int:
    if not path.exists():
        return -1
    with open(path, "rb") as handle:
        return sum(1 for _line in handle)


def _check_empty(settings: Settings, revision: str) -> str | None:
    """Refuse a database with rows, or with another schema than the backup's; refuse an
    instance folder with files. Return the database's revision (None when it has none)."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            schema = MetaData()
            schema.reflect(connection)
            filled = [t.name for t in schema.sorted_tables
                      if not _NOT_BACKED_UP.match(t.name)
                      and connection.scalar(select(func.count()).select_from(t))]
            current = _revision(connection)
    finally:
        engine.dispose()
    if filled:
        raise BackupError(N_("the database is not empty (table %(table)s has rows): restore "
                             "into a new, empty database", table=filled[0]))
    if current not in (None, revision):
        raise BackupError(N_("the database has the schema of revision %(current)s, the backup "
                             "%(revision)s: restore into a new, empty database",
                             current=current, revision=revision))
    if _instance_files(settings.instance_path):
        raise BackupError(N_("the instance folder %(folder)s is not empty: restore into an "
                             "empty one", folder=settings.instance_path))
    return current


def _check_secrets(settings: Settings, tables: Path) -> None:
    """The passphrase must open the backed-up keys, and the secret key must make the same
    claim links: without them the restored service could neither sign nor reprint cards."""
    for row in _rows(tables / "signing_key.jsonl"):
        try:
            PrivateKey.from_pem(base64.b64decode(row["encrypted_pem"]), settings.key_passphrase)
        except (BadgeError, ValueError):
            raise BackupError(N_("SKY_KEY_PASSPHRASE does not open the keys of this backup: "
                                 "set the passphrase it was made with")) from None
        break
    for row in _rows(tables / "credential.jsonl"):
        if row.get("claim_token_sha256") and row.get("claim_version") is not None:
            token = derive_token(row["uuid"], row["claim_version"], settings.secret_key)
            if token_digest(token) not in (row["claim_token_sha256"],
                                           row.get("earlier_claim_token_sha256")):
                raise BackupError(N_("SECRET_KEY is not the one this backup's claim links "
                                     "were made with: set it before restoring"))
            break


def _rows(path: Path) -> Iterator[dict]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _load_tables(engine: Engine, folder: Path, counts: dict[str, int],
                 on_table: TableProgress | None) -> None:
    with engine.begin() as connection:
        tables = {t.name: t for t in _tables(connection)}
        unknown = sorted(set(counts) - set(tables))
        if unknown:
            raise BackupError(N_("the backup has a table %(table)s this schema lacks",
                                 table=unknown[0]))
        for name, table in tables.items():
            if name not in counts:
                continue
            batch: list[dict] = []
            for row in _rows(folder / f"{name}.jsonl"):
                batch.append({k: _from_json(table.c[k].type, v, engine.dialect.name)
                              for k, v in row.items() if k in table.c})
                if len(batch) == _BATCH:
                    connection.execute(insert(table), batch)
                    batch = []
            if batch:
                connection.execute(insert(table), batch)
            if on_table is not None:
                on_table(name, counts[name])
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, tables.values())


def _from_json(kind, value, dialect: str):
    if value is None:
        return None
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if dialect == "postgresql" else moment
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


def _reset_sequences(connection: Connection, tables) -> None:
    """Serial columns were given their values: their sequences go on after the largest."""
    for table in tables:
        for column in table.columns:
            sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                         {"t": table.name, "c": column.name})
            if sequence is None:
                continue
            largest = connection.scalar(select(func.max(column)))
            connection.execute(text("SELECT setval(:s, :v, :called)"),
                               {"s": sequence, "v": largest or 1, "called": largest is not None})


def _put_instance_files(folder: Path, instance: Path) -> int:
    if not folder.is_dir():
        return 0
    placed = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        target = instance / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        target.chmod(0o600)
        placed += 1
    return placed
