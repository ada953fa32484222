"""Generated badge images: PNG and SVG output, theme colours and their contrast."""

import io

import pytest
from defusedxml import ElementTree
from PIL import Image

from issuer.rendering.images import (
    DEFAULT_PALETTE,
    THEME_COLOURS,
    badge_png,
    badge_svg,
    contrast_ratio,
    palette_for,
)

SVG = "{http://www.w3.org/2000/svg}"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_contrast_ratio_of_black_on_white_is_21():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)


def test_contrast_ratio_of_a_colour_on_itself_is_1():
    assert contrast_ratio("#1B5E20", (27, 94, 32)) == pytest.approx(1.0)


def test_contrast_ratio_matches_the_wcag_value_for_grey_777_on_white():
    # #777777 on white is the classic just-failing AA grey: 4.48:1.
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_contrast_ratio_does_not_depend_on_argument_order():
    assert contrast_ratio("#FFFFFF", "#0D47A1") == contrast_ratio("#0D47A1", "#FFFFFF")


@pytest.mark.parametrize("palette", [*THEME_COLOURS.values(), DEFAULT_PALETTE])
def test_every_theme_palette_has_text_contrast_of_at_least_4_5(palette):
    assert contrast_ratio(palette.text, palette.background) >= 4.5


def test_the_three_project_themes_have_colours():
    assert set(THEME_COLOURS) == {"green-jobs", "local-services", "digital-skills"}


def test_an_unlisted_theme_gets_the_neutral_palette():
    assert palette_for("territory-choice") == DEFAULT_PALETTE


def test_badge_png_is_a_png_of_the_requested_size():
    image = Image.open(io.BytesIO(badge_png("Tri sélectif", "green-jobs", size=90)))
    assert (image.format, image.size) == ("PNG", (90, 90))


def test_badge_png_is_the_same_bytes_for_the_same_input():
    assert badge_png("Aide à domicile", "local-services") == badge_png(
        "Aide à domicile", "local-services"
    )


def test_badge_png_background_is_the_theme_colour():
    image = Image.open(io.BytesIO(badge_png("Word", "digital-skills", size=200))).convert("RGB")
    assert image.getpixel((100, 4)) == _rgb(THEME_COLOURS["digital-skills"].background)


def test_badge_png_draws_a_different_icon_for_each_theme():
    # Same title, same palette forced apart only by the icon: compare the icon area.
    icons = set()
    for theme in THEME_COLOURS:
        image = Image.open(io.BytesIO(badge_png("Same title", theme, size=100))).convert("L")
        icons.add(image.crop((28, 10, 72, 54)).point(lambda v: 255 if v > 128 else 0).tobytes())
    assert len(icons) == 3


def test_badge_svg_is_an_svg_document_titled_with_the_badge_title():
    root = ElementTree.fromstring(badge_svg("Zarządzanie czasem", "green-jobs"))
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Zarządzanie czasem"


def test_badge_svg_background_is_the_theme_colour():
    root = ElementTree.fromstring(badge_svg("Aide", "local-services"))
    assert root.find(f"{SVG}rect").get("fill") == THEME_COLOURS["local-services"].background


def test_badge_svg_escapes_markup_in_the_title():
    root = ElementTree.fromstring(badge_svg("R&D <basics>", "digital-skills"))
    assert " ".join(t.text for t in root.iter(f"{SVG}text")) == "R&D <basics>"


def test_badge_svg_cuts_a_very_long_title_to_three_lines_ending_with_an_ellipsis():
    title = "Gestion des déchets ménagers et tri sélectif dans les résidences collectives urbaines"
    lines = [t.text for t in ElementTree.fromstring(badge_svg(title, "green-jobs")).iter(
        f"{SVG}text")]
    assert len(lines) == 3
    assert lines[-1].endswith("…")
