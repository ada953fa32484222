"""The learner record's summary: drawn by the cards' renderer, read back with real decoders."""

import io
from datetime import date

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from issuer.rendering.record import RecordRow, record_pdf

WORDS = {
    "record": "Learner record",
    "of": "Learner record of %(name)s",
    "issuer": "Issued by: %(issuer)s",
    "date": "Date: %(date)s",
    "skill": "Skill: %(name)s",
    "exported": "Exported by %(organisation)s on %(date)s",
    "scan": "Scan a code to check that badge online.",
    "page": "Page %(number)s of %(total)s",
    "none": "No valid badge yet.",
}


def row(number, **changes):
    values = {"name": f"Badge {number}", "issuer": "CEC", "issued_on": date(2026, 3, number),
              "url": f"https://badges.example.org/v/CODE{number:04d}"}
    return RecordRow(**{**values, **changes})


def summary(rows):
    return record_pdf("Zoé Lefèvre", "CEC", rows, WORDS, date(2026, 4, 1))


def test_each_row_has_a_qr_code_that_opens_its_page():
    rows = [row(1), row(2, skill=True)]
    page = pypdfium2.PdfDocument(summary(rows))[0].render(scale=200 / 72).to_pil()
    assert sorted(r.text for r in zxingcpp.read_barcodes(page)) == [r.url for r in rows]


def test_the_summary_embeds_only_the_cards_font_and_prints_every_word():
    pdf = summary([row(1, skill=True)])
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = {font["/BaseFont"].split("+")[-1] for font in page["/Resources"]["/Font"].values()}
    assert fonts == {"DejaVuSans", "DejaVuSans-Bold"}
    text = page.extract_text()
    for expected in ("Learner record", "Zoé Lefèvre", "Skill: Badge 1", "Issued by: CEC",
                     "Date: 2026-03-01", "Exported by CEC on 2026-04-01", "Page 1 of 1"):
        assert expected in text


def test_an_empty_summary_is_one_page_that_says_so():
    reader = PdfReader(io.BytesIO(summary([])))
    assert len(reader.pages) == 1
    assert "No valid badge yet." in reader.pages[0].extract_text()
