"""The one-page PDF summary: every bar when they fit, a cut said when they do not."""

from __future__ import annotations

import io

from pypdf import PdfReader

from issuer.rendering.charts import Bar
from issuer.rendering.summary import Section, summary_pdf


def text_of(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), reader.pages[0].extract_text()


def test_every_section_fits_on_one_page_with_its_numbers_and_targets():
    pages, text = text_of(summary_pdf(
        "SKY pilot: Łódź", "Period: 2026-01-01 – 2026-12-31",
        [Section("Targets", [Bar("BARKA", 30, 25)]),
         Section("Per month", [Bar(f"month {n}", n) for n in range(1, 13)])],
        "Counts only.", str, "%(count)s more"))
    assert pages == 1
    assert "SKY pilot: Łódź" in text and "30 / 25" in text and "month 12" in text
    assert "more" not in text


def test_too_many_bars_are_cut_and_the_cut_is_said():
    pages, text = text_of(summary_pdf(
        "Title", "Sub", [Section(f"S{n}", [Bar(f"b{n}-{m}", m) for m in range(40)])
                         for n in range(3)], "Note", str, "%(count)s more not shown"))
    assert pages == 1 and "more not shown" in text
