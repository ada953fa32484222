"""The rows every bench script writes with `--json PATH`, which bench/run.py gathers into one
table: each figure beside its reference measured in the same run.

A row is `{"bench", "figure", "value", "unit", "reference", "reference_value", "ratio"}`;
`ratio` is the comparison the figure's goal is stated in (a share of the reference's
throughput, a multiple of its speed or cost), named by the figure's text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    bench: str
    figure: str
    value: float
    unit: str
    reference: str
    reference_value: float
    ratio: float


def write_json(path: Path | str, rows: list[Row]) -> None:
    """Write the rows as a JSON list of objects."""
    Path(path).write_text(json.dumps([asdict(row) for row in rows], indent=1) + "\n")
