"""Tables written for spreadsheets: CSV text whose cells cannot run as formulas.

Names in an export were typed by people of six organisations; a cell that starts with `=`,
`+`, `-`, `@` (or a tab or carriage return, or their full-width forms) is a formula to Excel,
LibreOffice and Google Sheets. Such a text cell is written with a leading apostrophe, which
spreadsheets show as text (OWASP "CSV injection"). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_cell(value: Any) -> Any:
    """`value`, with a text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """CSV (RFC 4180, CRLF) of `rows`, every cell spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
