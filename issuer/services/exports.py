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
from datetime import date
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


# Spreadsheets split a CSV line on the list separator of their locale: a comma in English, a
# semicolon where the comma is the decimal mark (fr, nl, es, it, pl). Each reader gets the file
# their spreadsheet opens in columns, with decimals written as it reads them.
COMMA_DECIMAL_LANGUAGES = ("fr", "nl", "es", "it", "pl", "de")
BOM = "\ufeff"  # tells Excel the file is UTF-8 (without it, "Łódź" arrives as "Å\x81Ã³dÅº")


def csv_for_spreadsheets(rows: Iterable[Iterable[Any]], language: str) -> bytes:
    """CSV bytes a spreadsheet in `language` opens as columns: UTF-8 with a BOM, the locale's
    separator and decimal mark, ISO dates, every text cell formula-safe."""
    comma_decimal = language in COMMA_DECIMAL_LANGUAGES
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if comma_decimal else ",", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell_text(cell, comma_decimal) for cell in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


def _cell_text(value: Any, comma_decimal: bool) -> Any:
    if isinstance(value, float):
        text = repr(value) if value != int(value) else str(int(value))
        return text.replace(".", ",") if comma_decimal else text
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_cell(value)


def xlsx_bytes(rows: Iterable[Iterable[Any]], sheet: str) -> bytes:
    """An .xlsx workbook of one sheet: numbers as numbers, dates as dates (ISO format), every
    text cell formula-safe (openpyxl would store a text starting with `=` as a formula)."""
    from openpyxl import Workbook  # the service extra; imported where used

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    for row in rows:
        worksheet.append([spreadsheet_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
