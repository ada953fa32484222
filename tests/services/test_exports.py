"""Downloads spreadsheets open as columns in every locale, with numbers and no formulas."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from issuer.services.exports import csv_for_spreadsheets, xlsx_bytes

ROWS = [["name", "learners", "attempts", "day"],
        ["Łódź – ça", 12, 1.5, date(2026, 3, 2)],
        ['=HYPERLINK("https://evil.example")', 0, 2.0, date(2026, 12, 31)]]


def test_english_csv_has_a_bom_commas_and_points():
    text = csv_for_spreadsheets(ROWS, "en").decode("utf-8")
    assert text.splitlines() == [
        "\ufeffname,learners,attempts,day",
        "Łódź – ça,12,1.5,2026-03-02",
        '"\'=HYPERLINK(""https://evil.example"")",0,2,2026-12-31']


@pytest.mark.parametrize("language", ["fr", "nl", "es", "it", "pl"])
def test_comma_decimal_locales_get_semicolons_and_decimal_commas(language):
    lines = csv_for_spreadsheets(ROWS, language).decode("utf-8").splitlines()
    assert lines[0] == "\ufeffname;learners;attempts;day"
    assert lines[1] == "Łódź – ça;12;1,5;2026-03-02"


def test_xlsx_keeps_numbers_as_numbers_and_dates_as_dates_and_no_formula():
    sheet = load_workbook(io.BytesIO(xlsx_bytes(ROWS, "statistics"))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][:3] == ["Łódź – ça", 12, 1.5]
    assert values[1][3].date() == date(2026, 3, 2)
    assert values[2][0] == "'=HYPERLINK(\"https://evil.example\")"
    assert sheet.cell(3, 1).data_type == "s"
    assert sheet.title == "statistics"
