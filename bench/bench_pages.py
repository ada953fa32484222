"""Pages under load and issuance as data grows, each beside a reference measured in the same run.

Run: `python bench/bench_pages.py` (PostgreSQL at $DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/postgres; `--sqlite` adds the embedded SQLite as a second
line; `--badges 1000` for a quick run). It needs Debian's `wrk` (`apt-get install wrk`).

1. Issuance cost per badge at 1k / 10k / 100k stored badges: a short issuance of `--issue`
   badges (evaluated, signed, committed one by one as the service does) at each volume, beside
   pure signing (`keys.sign` of the same credential) in the same run, one process.
2. The query plans of the hot queries at the largest volume (EXPLAIN ANALYZE, PostgreSQL): the
   top node and the time. `--without-indexes` drops migration 0020's indexes first (the plans
   "before").
3. gunicorn, 2 workers (the production config), on that database; `wrk` at 32 connections for
   `--seconds` per URL, each request a random one of `--codes` existing badges (a Lua script;
   `--codes 1000,50` measures each count in turn, on a fresh server each), beside a bare Flask
   app served the same way just before: requests/s, p99, the ratio to bare Flask, and the
   largest worker's resident memory after the run. `--repeat N` runs the whole load N times.
   Before each measured run, a warm-up requests every path once per worker (first views,
   reported as their own `/v/ first views` row) and then `--seconds / 3` of random load.
   `--json PATH` writes the rows as JSON (bench, figure, value, unit, reference, ...).

Volume beyond the first badges really issued is built by bulk INSERTs of plausible rows (new
learner, uuid, code and date, the signed text of a real badge), not by signing 100k badges.
Everything made lives in a schema (PostgreSQL) or a temporary file (SQLite) dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).parent))
from bench_backup import database, fill, settings_for  # noqa: E402

from issuer.services import unit_of_work  # noqa: E402
from issuer.services.issuing import issue_for_assessment, save_assessment  # noqa: E402
from issuer.services.keys import sign  # noqa: E402
from issuer.services.learners import create_learner  # noqa: E402
from issuer.services.minting import SHORT_ID_ALPHABET, SHORT_ID_LENGTH  # noqa: E402
from issuer.store.db import make_engine, make_sessionmaker  # noqa: E402
from issuer.store.models import (  # noqa: E402
    Credential,
    Learner,
    Organisation,
    StatusList,
    StatusSlot,
    TrainingSession,
    User,
)

ROOT = Path(__file__).parents[1]
LEVELS = {"dig-hole": "acquired", "stake-and-water": "acquired"}
INDEXES = ("ix_credential_learner_id", "ix_credential_supersedes_id",
           "ix_credential_template_language_issued", "ix_credential_organisation_issued",
           "ix_learner_organisation_email")
CHUNK = 5000
LUA = """
local paths = {}
for line in io.lines(os.getenv("SKY_PATHS")) do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Accept-Language"] = "en"})
end
"""
BARE = """
from flask import Flask
app = Flask(__name__)
@app.get("/")
def hello():
    return "ok"
"""


# --- volume ----------------------------------------------------------------------------------


def grow(settings, total: int) -> None:
    """Add plausible badges (and their learners and status slots) until `total` are stored."""
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as db:
        have = db.scalar(select(func.count(Credential.id)))
        models = db.scalars(select(Credential).where(Credential.revoked_at.is_(None))
                            .limit(50)).all()
        status_list = db.scalar(select(StatusList))
        taken = set(db.scalars(select(StatusSlot.index)))
        free = [i for i in range(status_list.size) if i not in taken]
        random.shuffle(free)
        start = datetime(2025, 1, 1, tzinfo=UTC)
        while have < total:
            count = min(CHUNK, total - have)
            first = db.execute(insert(Learner).returning(Learner.id), [
                {"organisation_id": models[0].organisation_id,
                 "name": f"Learner {have + n}", "language": "fr",
                 "email": f"learner{have + n}@example.org" if n % 2 else None}
                for n in range(count)]).scalars().all()
            rows = []
            for n, learner_id in enumerate(first):
                model = models[n % len(models)]
                issued = start + timedelta(minutes=(have + n) * 7)
                rows.append({
                    "uuid": str(uuid.uuid4()), "short_id": _code(),
                    "organisation_id": model.organisation_id, "learner_id": learner_id,
                    "template_pk": model.template_pk, "kind": model.kind,
                    "language": random.choice(("fr", "fr", "en", "nl")),
                    "signed_json": model.signed_json, "valid_from": issued,
                    "valid_until": issued + timedelta(days=730),
                    "status_list_id": status_list.id, "status_index": free.pop(),
                    "issued_at": issued})
            db.execute(insert(Credential), rows)
            db.execute(insert(StatusSlot), [{"status_list_id": status_list.id,
                                            "index": row["status_index"]} for row in rows])
            db.commit()
            have += count
        if engine.dialect.name == "postgresql":
            db.execute(text("ANALYZE"))
            db.commit()
    engine.dispose()


def _code() -> str:
    return "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(SHORT_ID_LENGTH))


def issuance_cost(settings, badges: int) -> tuple[float, float]:
    """Seconds per badge issued (evaluated, signed, committed each), and per pure signature."""
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as db:
        org = db.scalar(select(Organisation))
        trainer = db.scalar(select(User).where(User.role == "trainer"))
        session = db.scalar(select(TrainingSession))
        started = time.perf_counter()
        for n in range(badges):
            with unit_of_work(db):
                learner = create_learner(db, org, f"Bench learner {n}", language="fr")
                assessment = save_assessment(db, session.id, learner.id, LEVELS, {}, None,
                                             trainer)
                issued = issue_for_assessment(db, assessment.id, trainer)
        per_badge = (time.perf_counter() - started) / badges
        unsigned = json.loads(issued.signed_json)
        unsigned.pop("proof")
        started = time.perf_counter()
        for _ in range(badges):
            sign(db, org, unsigned, "2026-12-05T12:00:00Z")
        per_signature = (time.perf_counter() - started) / badges
        db.rollback()
    engine.dispose()
    return per_badge, per_signature


# --- plans -----------------------------------------------------------------------------------


PLANS = {
    "stacking _valid_parts": """
        SELECT credential.* FROM credential JOIN achievement_template
          ON achievement_template.id = credential.template_pk
        WHERE credential.learner_id IN (SELECT learner.id FROM learner WHERE learner.id = :lid)
          AND credential.kind = 'training' AND credential.revoked_at IS NULL
          AND achievement_template.template_id IN ('tree-planting', 'composting')
          AND (credential.valid_until IS NULL OR credential.valid_until > now())
        ORDER BY credential.issued_at, credential.id""",
    "learner by e-mail": """
        SELECT * FROM learner WHERE organisation_id = :org AND erased_at IS NULL
          AND lower(email) = :email ORDER BY id""",
    "/v/ credential by code": "SELECT * FROM credential WHERE short_id = :code",
    "/v/ verdict cache key": """
        SELECT (SELECT count(id) FROM signing_key), (SELECT max(id) FROM signing_key),
          (SELECT count(withdrawn_at) FROM signing_key), (SELECT max(withdrawn_at) FROM signing_key),
          (SELECT count(id) FROM organisation), (SELECT max(id) FROM organisation),
          (SELECT count(id) FROM status_list), (SELECT coalesce(sum(revision), 0) FROM status_list)""",
    "admin list, page 1": """
        SELECT * FROM credential LEFT JOIN learner ON credential.learner_id = learner.id
          JOIN achievement_template ON credential.template_pk = achievement_template.id
        WHERE credential.organisation_id = :org AND credential.supersedes_id IS NULL
        ORDER BY credential.issued_at DESC, credential.id DESC LIMIT 50""",
    "admin list, count": """
        SELECT count(*) FROM credential LEFT JOIN learner ON credential.learner_id = learner.id
          JOIN achievement_template ON credential.template_pk = achievement_template.id
        WHERE credential.organisation_id = :org AND credential.supersedes_id IS NULL""",
    "admin list, wallet copies": "SELECT * FROM credential WHERE supersedes_id IN (:cid)",
    "status slot insert check": """
        SELECT 1 FROM status_slot WHERE status_list_id = :list AND index = :index""",
    "latest badge of a template": """
        SELECT * FROM credential WHERE template_pk = :template AND language = 'fr'
        ORDER BY issued_at DESC LIMIT 1""",
}


def plans(settings) -> list[tuple[str, str, float]]:
    """(query, top plan node, execution ms) of each hot query, on PostgreSQL."""
    engine = make_engine(settings.database_url)
    found = []
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT id, learner_id, organisation_id, short_id, template_pk, status_list_id "
            "FROM credential ORDER BY random() LIMIT 1")).one()
        email = connection.scalar(text("SELECT email FROM learner WHERE email IS NOT NULL "
                                       "ORDER BY random() LIMIT 1"))
        values = {"lid": row.learner_id, "org": row.organisation_id, "email": email,
                  "code": row.short_id, "cid": row.id, "template": row.template_pk,
                  "list": row.status_list_id, "index": 7}
        for name, sql in PLANS.items():
            lines = connection.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + sql),
                                       {k: v for k, v in values.items() if f":{k}" in sql}
                                       ).scalars().all()
            scans = sorted({m.group(0) for line in lines for m in re.finditer(
                r"(Index Only Scan|Index Scan|Bitmap Index Scan) using \w+( on \w+)?"
                r"|Seq Scan on \w+", line)})
            ms = float(re.search(r"Execution Time: ([\d.]+)", lines[-1]).group(1))
            found.append((name, "; ".join(scans), ms))
    engine.dispose()
    return found


# --- load ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


TARGETS = {  # issue #14, gunicorn with 2 workers, 32 connections, 100,000 badges stored
    "/v/<code>": "target >= 1000 req/s, p99 < 50 ms; < 300 not done",
    "/credentials/<uuid>": "target >= 2000 req/s",
    "/status/<uuid>": "target >= 2000 req/s",
    "did.json": "target >= 2000 req/s",
}
ROWS: list[dict] = []  # what --json writes


def record(bench: str, figure: str, value: float, unit: str, reference: str = "",
           reference_value: float = 0.0) -> None:
    """One row of the --json output (the figure beside its reference measured in the same run)."""
    ROWS.append({"bench": bench, "figure": figure, "value": round(value, 3), "unit": unit,
                 "reference": reference, "reference_value": round(reference_value, 3),
                 "ratio": round(value / reference_value, 4) if reference_value else 0.0})


@contextmanager
def gunicorn(app: str, env: dict, folder: Path):
    """gunicorn on a free loopback port with the production config and 2 workers; yields its
    base URL and its process (the master; the workers are its children)."""
    port = _free_port()
    log = open(folder / f"gunicorn-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:issuer.web.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--max-requests", "0", app],
        env={**os.environ, **env}, cwd=folder, stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _workers(master: subprocess.Popen) -> list[str]:
    try:
        return Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:  # not Linux
        return []


def workers_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time (user + system) the workers of a gunicorn master have used so far, from /proc:
    per request, a figure the other programs on a shared machine disturb far less than req/s."""
    total = 0
    for pid in _workers(master):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def worker_rss_mib(master: subprocess.Popen) -> float:
    """The resident memory (MiB) of the largest worker of a gunicorn master, from /proc."""
    largest = 0.0
    try:
        for pid in _workers(master):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
    except OSError:  # not Linux, or a worker just left
        pass
    return largest


def warm(base: str, paths: list[str], workers: int = 2) -> float:
    """Request every path `workers` times over (each worker sees most of them), 32 at a time;
    the rate of these first views (requests/s)."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import Request, urlopen

    def get(path: str) -> None:
        try:
            with urlopen(Request(base + path, headers={"Accept-Language": "en"}),
                         timeout=120) as r:
                r.read()
        except OSError as error:  # a reset under load: wrk's run will count what matters
            print(f"  ! first view of {path}: {error}", flush=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(get, paths * workers))
    return len(paths) * workers / (time.perf_counter() - started)


def wrk(base: str, paths: list[str], seconds: float, folder: Path,
        master: subprocess.Popen | None = None) -> tuple[float, float, float]:
    """Requests/s, p99 (ms) and the workers' CPU ms per request (0 without `master`) of `wrk`
    at 32 connections over random `paths`."""
    cpu = workers_cpu_seconds(master) if master else 0.0
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = folder / "random.lua"
    script.write_text(LUA)
    result = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script),
         base], env={**os.environ, "SKY_PATHS": str(listing)},
        capture_output=True, text=True, timeout=seconds + 120)
    cpu = workers_cpu_seconds(master) - cpu if master else 0.0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    done = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", result.stdout)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors or rate == 0:
        print(f"  ! at {paths[0]}: {result.stdout[-600:]}", flush=True)
    return rate, float(p99.group(1)) * scale, cpu * 1000 / done if done else 0.0


def page_paths(settings, codes: int) -> dict[str, list[str]]:
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Credential.short_id, Credential.uuid)
                                  .order_by(func.random()).limit(codes)).all()
        status = connection.scalar(select(StatusList.uuid))
        slug = connection.scalar(select(Organisation.slug))
    engine.dispose()
    return {"/v/<code>": [f"/v/{row.short_id}" for row in rows],
            "/credentials/<uuid>": [f"/credentials/{row.uuid}" for row in rows],
            "/status/<uuid>": [f"/status/{status}"],
            "did.json": [f"/issuers/{slug}/did.json"]}


def load(settings, codes: int, seconds: float, folder: Path
         ) -> tuple[list[tuple[str, float, float, float]], float]:
    """(URL, requests/s, p99 ms, workers' CPU ms per request) of each URL, the first views'
    rate of /v/ as a row of its own, and the largest worker's RSS (MiB) after the run."""
    env = {"DATABASE_URL": settings.database_url, "INSTANCE_PATH": str(settings.instance_path),
           "PUBLIC_BASE_URL": settings.public_base_url, "SECRET_KEY": settings.secret_key,
           "SKY_KEY_PASSPHRASE": "bench passphrase", "SKY_KEY_KDF_ITERATIONS": "1000",
           "WEB_CONCURRENCY": "2"}
    app = "issuer.web:create_app({'PUBLIC_PAGE_RATE_LIMIT': 1000000000})"
    measured = []
    with gunicorn(app, env, folder) as (base, process):
        for name, paths in page_paths(settings, codes).items():
            first = warm(base, paths)
            if name == "/v/<code>":
                measured.append(("/v/ first views", first, 0.0, 0.0))
            wrk(base, paths, max(1.0, seconds / 3), folder)  # warm-up: each worker's caches
            measured.append((name, *wrk(base, paths, seconds, folder, process)))
        rss = worker_rss_mib(process)
    return measured, rss


def bare_flask(seconds: float, folder: Path) -> tuple[float, float]:
    (folder / "bare_app.py").write_text(BARE)
    with gunicorn("bare_app:app", {"PYTHONPATH": str(folder)}, folder) as (base, _process):
        wrk(base, ["/"], max(1.0, seconds / 3), folder)
        return wrk(base, ["/"], seconds, folder, _process)


def pages_under_load(settings, label: str, args, folder: Path) -> None:
    """Section 3: each URL beside bare Flask measured just before, `--repeat` times."""
    for run_number in range(1, args.repeat + 1):
        for codes in args.codes:
            bare, bare_p99, bare_cpu = bare_flask(args.seconds, folder)
            print(f"{'reference':10} {'bare Flask /':22} {bare:9.0f} req/s   "
                  f"{bare_cpu:5.2f} ms CPU/request   p99 {bare_p99:8.1f} ms", flush=True)
            measured, rss = load(settings, codes, args.seconds, folder)
            for name, rate, p99, cpu in measured:
                # A measured URL's line ends in " ms" and names it second (the smoke test
                # reads both); the first views' line has no p99.
                print(f"{label:10} {name:22} {rate:9.0f} req/s   {rate / bare:6.1%} of bare, "
                      f"{codes} codes, run {run_number}, load {os.getloadavg()[0]:4.1f}, "
                      f"worker RSS {rss:5.0f} MiB" + (f", {cpu:5.2f} ms CPU/request"
                                                       f"   p99 {p99:8.1f} ms" if p99 else ""),
                      flush=True)
                where = (f"{label}, {codes} codes, run {run_number}, "
                         f"{TARGETS.get(name, 'first views, each path once per worker')}")
                record("pages", f"{name} req/s ({where})", rate, "req/s",
                       "bare Flask / req/s", bare)
                if p99:
                    record("pages", f"{name} p99 ({where})", p99, "ms",
                           "bare Flask / p99", bare_p99)
                    record("pages", f"{name} workers' CPU per request ({where})", cpu, "ms",
                           "bare Flask / CPU per request", bare_cpu)
            record("pages", f"worker RSS after the load ({label}, {codes} codes, run "
                   f"{run_number}; was 119 MiB)", rss, "MiB")


# --- the run ---------------------------------------------------------------------------------


def run(base: str, label: str, args, folder: Path, stack: ExitStack) -> None:
    settings = settings_for(stack.enter_context(database(base, folder, label)), folder / label)
    (folder / label).mkdir(exist_ok=True)
    volumes = [v for v in (1_000, 10_000, 100_000) if v < args.badges] + [args.badges]
    fill(settings, min(args.real, volumes[0]))
    for volume in volumes:
        grow(settings, volume)
        per_badge, per_signature = issuance_cost(settings, args.issue)
        print(f"{label:10} issuance at {volume:>7,} stored: {per_badge * 1000:7.1f} ms/badge, "
              f"signing alone {per_signature * 1000:6.1f} ms: "
              f"{per_signature / per_badge:5.0%} of pure signing throughput", flush=True)
    if args.without_indexes:
        engine = make_engine(settings.database_url)
        with engine.begin() as connection:
            for name in INDEXES:
                connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
        engine.dispose()
    if settings.database_url.startswith("postgres"):
        for name, scans, ms in plans(settings):
            print(f"{label:10} plan {name:28} {ms:8.2f} ms  {scans}", flush=True)
    if args.seconds <= 0:
        return
    pages_under_load(settings, label, args, folder)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--sqlite", action="store_true", help="also the embedded SQLite")
    parser.add_argument("--badges", type=int, default=100_000, help="the largest volume")
    parser.add_argument("--real", type=int, default=200, help="badges really issued first")
    parser.add_argument("--issue", type=int, default=30, help="badges issued at each volume")
    parser.add_argument("--codes", default="1000,50",
                        type=lambda text: [int(n) for n in text.split(",")],
                        help="distinct badges requested; a list (1000,50) measures each")
    parser.add_argument("--repeat", type=int, default=1, help="load runs (each with bare Flask)")
    parser.add_argument("--json", type=Path, help="also write the rows here, as JSON")
    parser.add_argument("--seconds", type=float, default=10, help="wrk time per URL; 0: none")
    parser.add_argument("--without-indexes", action="store_true")
    args = parser.parse_args(argv)
    if args.seconds > 0 and shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    print(f"cores: {os.cpu_count()}; load: {os.getloadavg()[0]:.2f}", flush=True)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sky-pages-")))
        run(args.database, args.database.split(":")[0].split("+")[0], args, folder, stack)
        if args.sqlite and not args.database.startswith("sqlite"):
            run("sqlite:", "sqlite", args, folder, stack)
    if args.json:
        args.json.write_text(json.dumps(ROWS, indent=1) + "\n")


if __name__ == "__main__":
    main()
