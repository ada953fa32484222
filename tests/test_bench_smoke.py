"""bench/bench_sign_verify.py at smoke size: it runs, prints its table and, where node is
installed, finds our proofs byte-identical to the JavaScript reference's (it exits otherwise).
No figure is asserted: timings belong to the bench, not to CI."""

import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "bench" / "bench_sign_verify.py"


def test_sign_verify_bench_prints_its_table():
    result = subprocess.run([sys.executable, str(BENCH), "--seconds", "0.02"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cores: ")
    rows = [line.split() for line in lines[2:]]
    assert [(row[0], row[1]) for row in rows] == [
        ("rich", "sign"), ("rich", "verify"), ("plain", "sign"), ("plain", "verify")]
    if shutil.which("node") and shutil.which("npm"):
        assert all(row[-1].endswith("×") for row in rows)
