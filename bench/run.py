"""Every bench in one command, one table: each figure beside its reference measured in the same run.

Run: `python bench/run.py [--smoke] [--database URL] [--only NAME,…]`. Each bench script runs
in its own process with `--json PATH` (rows as bench/report.py describes them) and its output
kept in a log; a bench whose tool is missing here (wrk, node) or that fails is skipped with a
line saying why, and the others still run. The table is Markdown, for the README, headed by the
machine's core count and load. `--smoke` runs every bench at a tiny size, to check that it
runs (CI): its figures mean nothing.

The database is `--database` (default $DATABASE_URL, else SQLite): PostgreSQL for figures that
matter. Each bench makes and drops a schema (or file) of its own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    full: list[str]
    smoke: list[str]
    needs: tuple[str, ...] = ()  # programs that must be on PATH
    database: bool = False  # takes --database


BENCHES = [
    Bench("sign_verify", "bench_sign_verify.py", [], ["--seconds", "0.02"]),
    Bench("issuance", "bench_issuance.py", [],
          ["--badges", "300", "--real", "3", "--issue", "4", "--status-entries", "131072",
           "--status-repeat", "2"], database=True),
    Bench("cards", "bench_cards.py", [], ["--cards", "10", "--stored", "3", "--repeat", "1"]),
    Bench("backup", "bench_backup.py", [], ["--badges", "5"], database=True),
    Bench("attack", "bench_attack.py", [], ["--seconds", "1", "--attackers", "1"],
          needs=("wrk",)),
    Bench("pages", "bench_pages.py", [],
          ["--badges", "300", "--real", "3", "--issue", "1", "--codes", "3", "--seconds", "1"],
          needs=("wrk",), database=True),
]


def missing_reason(bench: Bench) -> str | None:
    """Why `bench` cannot run here, or None."""
    for program in bench.needs:
        if shutil.which(program) is None:
            return f"{program} is not installed (Debian: apt-get install {program})"
    script = HERE / bench.script
    if not script.is_file():
        return f"{bench.script} is missing"
    if "--json" not in script.read_text("utf-8"):
        return f"{bench.script} has no --json option yet"
    return None


def run_one(bench: Bench, args, folder: Path) -> tuple[list[dict], str | None]:
    """The bench's rows, or no row and why."""
    reason = missing_reason(bench)
    if reason:
        return [], reason
    output = folder / f"{bench.name}.json"
    log = folder / f"{bench.name}.log"
    command = [sys.executable, str(HERE / bench.script), *(bench.smoke if args.smoke
                                                            else bench.full),
               "--json", str(output)]
    if bench.database:
        command += ["--database", args.database]
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=HERE.parent,
                              timeout=args.timeout)
    seconds = time.monotonic() - started
    if done.returncode != 0 or not output.is_file():
        last = [line for line in log.read_text("utf-8", "replace").splitlines() if line.strip()]
        return [], f"failed (exit {done.returncode}): {last[-1] if last else 'no output'}"
    print(f"  {bench.name}: {seconds:.0f} s", file=sys.stderr, flush=True)
    return json.loads(output.read_text("utf-8")), None


def number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def table(rows: list[dict]) -> list[str]:
    lines = ["| bench | figure | value | reference (same run) | reference value | ratio |",
             "|---|---|---:|---|---:|---:|"]
    for row in rows:
        ratio = "-" if row.get("ratio") is None else f"{row['ratio']:.2f}×"
        lines.append(f"| {row['bench']} | {row['figure']} | {number(row['value'])} "
                     f"{row['unit']} | {row['reference']} | {number(row['reference_value'])} "
                     f"{row['unit'] if row['reference_value'] is not None else ''} | {ratio} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: it runs, that is all")
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", "sqlite:"))
    parser.add_argument("--only", help="comma-separated bench names: "
                        + ", ".join(bench.name for bench in BENCHES))
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds per bench")
    args = parser.parse_args(argv)
    chosen = BENCHES
    if args.only:
        names = args.only.split(",")
        unknown = set(names) - {bench.name for bench in BENCHES}
        if unknown:
            parser.error(f"no bench named {', '.join(sorted(unknown))}")
        chosen = [bench for bench in BENCHES if bench.name in names]
    load_before = os.getloadavg()[0]
    rows, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="sky-bench-run-") as folder:
        for bench in chosen:
            print(f"running {bench.script}…", file=sys.stderr, flush=True)
            found, reason = run_one(bench, args, Path(folder))
            rows += found
            if reason:
                skipped.append(f"skipped {bench.name}: {reason}")
    database = args.database.split(":")[0].split("+")[0]
    print(f"cores: {os.cpu_count()}; load average (1 min) {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after; database: {database}"
          f"{'; SMOKE SIZE: the figures mean nothing' if args.smoke else ''}")
    print()
    print("\n".join(table(rows)))
    for line in skipped:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
