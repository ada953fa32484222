"""Bulk issuance as data grows, beside pure signing measured in the same run, one process.

Run: `python bench/bench_issuance.py --database postgresql://…` (a `sqlite:` URL works too).
At each volume of stored badges (1,000 / 10,000 / 100,000, up to `--badges`) it issues
`--issue` badges through the background bulk job a partner's CSV file starts (`bulk_jobs.start`
then `bulk_jobs.run`: learners created, evaluated, signed, stored, slots, events, one
`BulkJobRow` each), in jobs of at most `bulk.MAX_ROWS` rows, each a training session of its own, and signs the same credential as
often with `keys.sign` alone, the two interleaved in slices so a load change on a shared
machine hits both. It prints the cost per badge of each and their ratio (the share of pure
signing throughput the job reaches), and the per-badge cost beside the one at the first volume.

Volume beyond the first badges really issued is built by bulk INSERTs of plausible rows
(bench_pages.grow). Everything made lives in a schema (PostgreSQL) or a temporary file
(SQLite) dropped at the end. Last, a status list of `--status-entries` (1,000,000) entries,
1 % revoked, gets one more revocation, is re-signed and committed, beside a badge's `keys.sign`
(the median of `--status-repeat`). `--json PATH` writes the rows for bench/run.py.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).parent))
from bench_backup import database, fill, settings_for  # noqa: E402
from bench_pages import grow  # noqa: E402
from report import Row, write_json  # noqa: E402

from issuer.core import status_list as bitstring  # noqa: E402
from issuer.services import bulk, bulk_jobs, catalogue, status_lists  # noqa: E402
from issuer.services.keys import sign  # noqa: E402
from issuer.store.db import make_engine, make_sessionmaker  # noqa: E402
from issuer.store.models import (  # noqa: E402
    Credential,
    Organisation,
    StatusList,
    TrainingSession,
    User,
)

SLICES = 4  # signing and issuing alternate in this many slices per volume


def bulk_file(training, first: int, count: int) -> bytes:
    """A bulk CSV file of `count` new learners, every gesture acquired."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "language", *(g.id for g in training.gestures)])
    for n in range(first, first + count):
        writer.writerow([f"Bulk learner {n}", f"bulk{n}@example.org" if n % 2 else "", "fr",
                         *("acquired" for _ in training.gestures)])
    return buffer.getvalue().encode()


class Counter:
    """SQL statements and commits seen by an engine."""

    def __init__(self, engine):
        self.statements = self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *args):
        self.statements += 1

    def _commit(self, *args):
        self.commits += 1


def issue_in_bulk(db, session, trainer, first: int, count: int) -> int:
    """Issue `count` badges through bulk jobs of at most MAX_ROWS rows; the number issued."""
    training = catalogue.training_of(session.template)
    issued = 0
    for start in range(first, first + count, bulk.MAX_ROWS):
        size = min(bulk.MAX_ROWS, first + count - start)
        # Each file is a training session of its own, as a partner's export is.
        own = TrainingSession(organisation_id=session.organisation_id,
                              template_pk=session.template_pk, trainer_id=session.trainer_id,
                              language=session.language, starts_on=session.starts_on,
                              ends_on=session.ends_on)
        db.add(own)
        db.flush()
        job = bulk_jobs.start(db, own, bulk_file(training, start, size), trainer)
        db.commit()
        bulk_jobs.run(db, job.id)
        issued += bulk_jobs.counts(db, job).get(bulk.ISSUED, 0)
    return issued


def measure(settings, badges: int, offset: int) -> dict:
    """Seconds per badge issued in bulk and per pure signature, statements and commits per
    badge: signing and issuing alternate in SLICES slices."""
    engine = make_engine(settings.database_url)
    counter = Counter(engine)
    with make_sessionmaker(engine, settings)() as db:
        org = db.scalar(select(Organisation))
        trainer = db.scalar(select(User).where(User.role == "trainer"))
        session = db.scalar(select(TrainingSession))
        unsigned = json.loads(db.scalar(select(Credential.signed_json).limit(1)))
        unsigned.pop("proof")
        sign(db, org, unsigned, "2026-12-05T12:00:00Z")  # the key decrypted once, as a worker
        db.rollback()
        issuing = signing = 0.0
        statements = commits = issued = 0
        slices = max(1, min(SLICES, badges))
        for number in range(slices):
            size = badges // slices + (1 if number < badges % slices else 0)
            started = time.perf_counter()
            for _ in range(size):
                sign(db, org, unsigned, "2026-12-05T12:00:00Z")
            signing += time.perf_counter() - started
            db.rollback()
            before = counter.statements, counter.commits
            started = time.perf_counter()
            issued += issue_in_bulk(db, session, trainer, offset, size)
            issuing += time.perf_counter() - started
            statements += counter.statements - before[0]
            commits += counter.commits - before[1]
            offset += size
    engine.dispose()
    if issued != badges:
        raise SystemExit(f"{issued} of {badges} badges issued")
    return {"per_badge": issuing / badges, "per_signature": signing / badges,
            "statements": statements / badges, "commits": commits / badges}


def status_list_cost(settings, entries: int, repeat: int) -> tuple[float, float]:
    """Median seconds to revoke a slot of an `entries`-entry list, re-sign the list and commit
    (the list 1 % revoked first), and of one `keys.sign` of a badge, interleaved."""
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as db:
        org = db.scalar(select(Organisation))
        unsigned = json.loads(db.scalar(select(Credential.signed_json).limit(1)))
        unsigned.pop("proof")
        bits = bitstring.new_bitstring(entries)
        for index in random.sample(range(entries), entries // 100):
            bitstring.set_status(bits, index)
        big = StatusList(uuid=str(uuid.uuid4()), organisation_id=org.id, purpose="revocation",
                         size=entries, bits=bytes(bits), full=True, revision=0)
        db.add(big)
        db.commit()
        status_lists.signed_status_list(db, big)
        db.commit()
        changes, signatures = [], []
        for index in random.sample(range(entries), repeat):
            started = time.perf_counter()
            changed = status_lists.set_revoked(db, big, index)
            status_lists.signed_status_list(db, changed)
            db.commit()
            changes.append(time.perf_counter() - started)
            started = time.perf_counter()
            sign(db, org, unsigned, "2026-12-05T12:00:00Z")
            signatures.append(time.perf_counter() - started)
            db.rollback()
        db.delete(db.get(StatusList, big.id))
        db.commit()
    engine.dispose()
    return statistics.median(changes), statistics.median(signatures)


def run(args, stack: ExitStack) -> list[Row]:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sky-issuance-")))
    label = args.database.split(":")[0].split("+")[0]
    settings = settings_for(stack.enter_context(database(args.database, folder, label)),
                            folder / label)
    (folder / label).mkdir(exist_ok=True)
    volumes = [v for v in (1_000, 10_000, 100_000) if v < args.badges] + [args.badges]
    fill(settings, min(args.real, volumes[0]))
    rows, first, offset = [], None, 0
    for volume in volumes:
        grow(settings, volume)
        found = measure(settings, args.issue, offset)
        offset += args.issue
        first = first or found["per_badge"]
        share = found["per_signature"] / found["per_badge"]
        print(f"{label:10} bulk issuance at {volume:>7,} stored: "
              f"{found['per_badge'] * 1000:7.2f} ms/badge, signing alone "
              f"{found['per_signature'] * 1000:6.2f} ms: {share:5.0%} of pure signing "
              f"throughput; {found['per_badge'] / first:4.2f}× the cost at {volumes[0]:,}; "
              f"{found['statements']:.1f} statements, {found['commits']:.2f} commits a badge",
              flush=True)
        bench = f"issuance ({label})"
        rows.append(Row(bench, f"bulk, {args.issue:,} badges at {volume:,} stored",
                        found["per_badge"] * 1000, "ms/badge", "keys.sign alone",
                        found["per_signature"] * 1000, share))
        if volume != volumes[0]:
            rows.append(Row(bench, f"bulk at {volume:,} beside at {volumes[0]:,} stored",
                            found["per_badge"] * 1000, "ms/badge",
                            f"bulk at {volumes[0]:,} stored", first * 1000,
                            found["per_badge"] / first))
    if args.status_entries:
        change, signature = status_list_cost(settings, args.status_entries, args.status_repeat)
        print(f"{label:10} status list of {args.status_entries:,}: revoke + re-sign + commit "
              f"{change * 1000:.2f} ms, a badge's keys.sign {signature * 1000:.2f} ms: "
              f"{change / signature:.1f}x", flush=True)
        rows.append(Row(f"status list ({label})", f"revoke + re-sign + commit, "
                        f"{args.status_entries:,} entries", change * 1000, "ms",
                        "keys.sign of a badge", signature * 1000, change / signature))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--badges", type=int, default=100_000, help="the largest volume")
    parser.add_argument("--real", type=int, default=200, help="badges really issued first")
    parser.add_argument("--issue", type=int, default=10_000, help="badges issued at each volume")
    parser.add_argument("--status-entries", type=int, default=1_000_000,
                        help="entries of the status list revoked in; 0: none")
    parser.add_argument("--status-repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, help="write the rows there (bench/run.py)")
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; load: {os.getloadavg()[0]:.2f}", flush=True)
    with ExitStack() as stack:
        rows = run(args, stack)
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()
