"""Names in any script print with real glyphs, joined, in the right order, in the right font."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
import uharfbuzz
from PIL import Image, ImageChops
from pypdf import PdfReader

from issuer.rendering import scripts
from issuer.rendering.cards import CardData, card_pdf, card_png

# One name per script, and the font family each must be printed in.
NAMES = {
    "latin": ("Łucja Żółkiewska-Ørsted Françoise Müller", "DejaVuSans"),
    "greek": ("Αλέξανδρος Παπαδόπουλος", "DejaVuSans"),
    "cyrillic": ("Анастасия Кузнецова", "DejaVuSans"),
    "arabic": ("محمد عبد الله", "DejaVuSans"),
    "hebrew": ("דוד כהן", "DejaVuSans"),
    "devanagari": ("प्रिया शर्मा", "NotoSansDevanagari"),
    "chinese": ("王小明", "NotoSansSC"),
    "japanese": ("山田 はなこ", "NotoSansJP"),
    "korean": ("김민준", "NotoSansKR"),
    "vietnamese": ("Nguyễn Thị Ánh Tuyết", "DejaVuSans"),
}


def _hb_glyphs(face: scripts.Face, text: str) -> list[int]:
    blob = uharfbuzz.Blob.from_file_path(str(face.path))
    font = uharfbuzz.Font(uharfbuzz.Face(blob))
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    uharfbuzz.shape(font, buffer, {})
    return [info.codepoint for info in buffer.glyph_infos]


def _card(name: str) -> CardData:
    return CardData(learner_name=name, achievement_name="Tri sélectif", issuer_name="CEC",
                    issued_on=date(2025, 3, 12), verify_url="https://badges.example.org/v/ABC")


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("script", NAMES)
def test_every_glyph_of_a_name_is_a_real_glyph_of_its_font(script, bold):
    name, _family = NAMES[script]
    runs = scripts.runs(name, bold)
    assert sorted("".join(run.text for run in runs)) == sorted(name)
    for run in runs:
        glyphs = _hb_glyphs(run.face, run.text)
        assert glyphs and 0 not in glyphs, (script, run.text)  # 0 is .notdef, the empty box


@pytest.mark.parametrize("script", NAMES)
def test_the_card_pdf_embeds_the_font_the_script_needs_and_draws_the_name(script):
    name, family = NAMES[script]
    pdf = card_pdf([_card(name)])
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    embedded = [str(fonts[key].get_object()["/BaseFont"]) for key in fonts]
    assert any(family in font for font in embedded), embedded
    without = card_pdf([_card("")])
    page, blank = (pypdfium2.PdfDocument(data)[0].render(scale=4).to_pil().convert("L")
                   for data in (pdf, without))
    # The name's line (top right of the badge) has ink where the nameless card has none.
    box = (int(page.width * 0.25), 0, page.width, int(page.height * 0.14))
    assert ImageChops.difference(page.crop(box), blank.crop(box)).getbbox() is not None


def test_arabic_letters_are_joined():
    face = scripts.FACES[False]["base"]
    word = "محمد"
    isolated = [glyph for letter in word for glyph in _hb_glyphs(face, letter)]
    assert sorted(_hb_glyphs(face, word)) != sorted(isolated)


def test_a_right_to_left_line_reads_from_the_right_with_its_numbers_left_to_right():
    runs = scripts.runs("محمد 12 عبد", False)
    assert [(run.text.strip(), run.rtl) for run in runs] == [
        ("عبد", True), ("12", False), ("محمد", True)]


def test_a_left_to_right_line_keeps_a_right_to_left_word_in_place():
    runs = scripts.runs("Ali محمد Ben", False)
    assert [(run.text.strip(), run.rtl) for run in runs] == [
        ("Ali", False), ("محمد", True), ("Ben", False)]


@pytest.mark.parametrize(("name", "variant"), [
    ("王小明", "NotoSansSC"), ("山田 はなこ", "NotoSansJP"), ("김민준", "NotoSansKR"),
    ("李 민준", "NotoSansKR")])
def test_han_characters_take_the_font_of_the_language_the_name_shows(name, variant):
    assert {run.face.name for run in scripts.runs(name, False)
            if run.text.strip()} == {f"SkyNotoSans{variant[-2:]}"}


def test_a_combining_accent_stays_with_its_letter():
    runs = scripts.runs("Nguye\u0302\u0303n", False)
    assert [run.text for run in runs] == ["Nguye\u0302\u0303n"]


@pytest.mark.parametrize("script", ["arabic", "chinese", "devanagari"])
def test_the_png_card_draws_the_name_in_the_same_place_as_the_pdf(script):
    name, _family = NAMES[script]
    png = Image.open(io.BytesIO(card_png(_card(name), dpi=150))).convert("L")
    blank = Image.open(io.BytesIO(card_png(_card(""), dpi=150))).convert("L")
    box = (int(png.width * 0.25), 0, png.width, int(png.height * 0.14))
    assert ImageChops.difference(png.crop(box), blank.crop(box)).getbbox() is not None
