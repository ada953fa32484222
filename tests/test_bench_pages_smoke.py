"""bench/bench_pages.py at smoke size: volume, issuance beside signing, plans (PostgreSQL) and,
where Debian's wrk is installed, the load under gunicorn. No figure is asserted: timings belong
to the bench, not to CI."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "bench" / "bench_pages.py"


def test_pages_bench_prints_its_table(database_url):
    seconds = "1" if shutil.which("wrk") else "0"
    database = database_url.split("?")[0]  # the bench makes (and drops) a schema of its own
    result = subprocess.run(
        [sys.executable, str(BENCH), "--database", database, "--badges", "300",
         "--real", "3", "--issue", "1", "--codes", "3", "--seconds", seconds],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": ""})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cores: ")
    assert any("issuance at     300 stored" in line and "of pure signing" in line
               for line in lines)
    if database_url.startswith("postgres"):
        plans = [line for line in lines if " plan " in line]
        assert len(plans) == 9
    if seconds != "0":
        assert any(line.startswith("reference  bare Flask") for line in lines)
        pages = [line.split()[1] for line in lines if line.endswith(" ms") and "req/s" in line
                 and not line.startswith("reference")]
        assert pages == ["/v/<code>", "/credentials/<uuid>", "/status/<uuid>", "did.json"]
