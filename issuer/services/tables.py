"""The one reader of the tables partners upload: a CSV file or a spreadsheet (.xlsx).

Partners export from Excel or LibreOffice, so a file is read forgivingly — UTF-8 with or without
a byte-order mark, comma or semicolon, or the first sheet of an .xlsx workbook — and bounded:
its size, its rows, and for a workbook the size of what it unpacks to (a small zip can hold a
huge sheet). The bulk issuance file (services/bulk.py) and the roster of a session
(services/rosters.py) check their columns and cells themselves; here is only the table.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from issuer.core.errors import BadgeError
from issuer.core.messages import N_

XLSX_MAGIC = b"PK\x03\x04"
MAX_UNPACKED_BYTES = 5_000_000  # an .xlsx of 300 kB unpacks to a few MB at most
MAX_COLUMNS = 50


class TableError(BadgeError):
    """The file as a whole cannot be used (encoding, size, header, rows)."""


@dataclass(frozen=True)
class Table:
    """A header (trimmed, lower-cased) and the rows with a cell in them, with their line."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def decode(data: bytes, max_bytes: int) -> str:
    """The file's text: UTF-8 with or without a byte-order mark, at most `max_bytes`."""
    _check_size(data, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError(N_("the file is not UTF-8 text (byte %(byte)s): in your "
                            "spreadsheet, save as 'CSV UTF-8'", byte=error.start)) from error


def read_csv(text: str, max_rows: int, columns: list[str]) -> Table:
    """The table of a CSV text; `columns` names the expected header in the empty-file error."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise TableError(N_("the file is empty: the first line must be the header "
                            "(%(columns)s)", columns=", ".join(columns)))
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader)]
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= max_rows:
            raise TableError(N_("more than %(count)s learners: split the file", count=max_rows))
        rows.append((reader.line_num, values))
    return Table(header, rows)


def header_problems(header: list[str], expected: list[str] | tuple[str, ...],
                    required: list[str] | tuple[str, ...]) -> list[str]:
    """What is wrong with a header: unknown, missing (of `required`) and doubled columns."""
    unknown = [column for column in header if column not in expected]
    missing = [column for column in required if column not in header]
    doubled = sorted({column for column in header if header.count(column) > 1})
    problems = []
    if unknown:
        problems.append(N_("unknown column(s) %(columns)s", columns=", ".join(unknown)))
    if missing:
        problems.append(N_("missing column(s) %(columns)s", columns=", ".join(missing)))
    if doubled:
        problems.append(N_("column(s) given twice: %(columns)s", columns=", ".join(doubled)))
    return problems


def read(data: bytes, max_bytes: int, max_rows: int, columns: list[str]) -> Table:
    """The table of an uploaded file: an .xlsx workbook's first sheet, else CSV text."""
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, max_bytes, max_rows, columns)
    return read_csv(decode(data, max_bytes), max_rows, columns)


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise TableError(N_("the file is %(size)s bytes; the limit is %(limit)s bytes: "
                            "split it into several files", size=len(data), limit=max_bytes))


def _read_xlsx(data: bytes, max_bytes: int, max_rows: int, columns: list[str]) -> Table:
    from openpyxl import load_workbook

    _check_size(data, max_bytes)
    unreadable = N_("this spreadsheet cannot be read: save it as .xlsx or as 'CSV UTF-8'")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise TableError(N_("the spreadsheet unpacks to more than %(limit)s bytes: "
                                    "save it as 'CSV UTF-8'", limit=MAX_UNPACKED_BYTES))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as error:  # noqa: BLE001 — openpyxl raises many kinds on a broken file
        raise TableError(unreadable) from error
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = [_cell(value).lower() for value in next(lines, ())]
        while header and not header[-1]:
            header.pop()
        if not any(header):
            raise TableError(N_("the file is empty: the first line must be the header "
                                "(%(columns)s)", columns=", ".join(columns)))
        rows = []
        for line, values in enumerate(lines, start=2):
            cells = [_cell(value) for value in values]
            if not any(cells):
                continue
            if len(rows) >= max_rows:
                raise TableError(N_("more than %(count)s learners: split the file",
                                    count=max_rows))
            while len(cells) > len(header) and not cells[-1]:
                cells.pop()
            rows.append((line, cells))
    finally:
        workbook.close()
    return Table(header, rows)


def _cell(value) -> str:
    """A spreadsheet cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
