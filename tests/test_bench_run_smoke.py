"""bench/run.py at smoke size: it runs a bench, prints one table with each figure beside its
reference and the core count, and skips with a reason a bench whose tool is missing (wrk, here
hidden from PATH). No figure is asserted: timings belong to the bench, not to CI."""

import os
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).parents[1] / "bench" / "run.py"


def test_run_prints_one_table_and_says_what_it_skipped(database_url, tmp_path):
    database = database_url.split("?")[0]  # the bench makes (and drops) a schema of its own
    result = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--only", "issuance,attack",
         "--database", database],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": "", "PATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"cores: {os.cpu_count()}; load average")
    assert lines[2] == ("| bench | figure | value | reference (same run) | reference value "
                        "| ratio |")
    rows = [line.split(" | ") for line in lines[4:] if line.startswith("| ")]
    assert [row[1] for row in rows] == ["bulk, 4 badges at 300 stored",
                                        "revoke + re-sign + commit, 131,072 entries"]
    assert [row[3] for row in rows] == ["keys.sign alone", "keys.sign of a badge"]
    assert all(row[-1].endswith("× |") for row in rows)
    assert lines[-1] == ("skipped attack: wrk is not installed (Debian: apt-get install wrk)")
