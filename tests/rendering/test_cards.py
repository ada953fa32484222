"""Printable cards: real PDFs and PNGs, rasterized and decoded with a real QR decoder."""

import io
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageStat
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm

from issuer.core.errors import CardError
from issuer.rendering.cards import (
    CARD_HEIGHT,
    CARD_WIDTH,
    CardData,
    card_pdf,
    card_png,
    card_words,
    certificate_pdf,
    qr_matrix,
    sheet_pdf,
)
from issuer.rendering.images import badge_png

GOLDEN = Path(__file__).parent / "golden" / "card_front_300dpi.png"
VERIFY_URL = "https://badges.sky-project.eu/v/7KQ2M9XA"
CLAIM_URL = "https://badges.sky-project.eu/claim/7KQ2M9XA-c4f1"

# Catalogue entries as the translators write them (the .po files get them at extraction); the
# golden image is the French card front.
FRENCH = {
    "Verify this badge:": "Vérifier ce badge\u00a0:",
    "Validated skills": "Compétences validées",
    "Issued by: %(issuer)s": "Délivré par\u00a0: %(issuer)s",
    "Date: %(date)s": "Date\u00a0: %(date)s",
    "Certificate": "Attestation",
    "This is to certify that": "Nous certifions que",
}
POLISH = {
    "Verify this badge:": "Sprawdź tę odznakę:",
    "Validated skills": "Potwierdzone umiejętności",
    "Issued by: %(issuer)s": "Wydana przez: %(issuer)s",
    "Date: %(date)s": "Data: %(date)s",
}
SPANISH = {"Keep your badge on your phone": "Guarda tu insignia en el móvil"}


def _gettext(texts: dict[str, str]):
    """A gettext over a dict: the texts it has, translated; the others, English."""
    return lambda text: texts.get(text, text)


def _logo() -> bytes:
    logo = Image.new("RGBA", (240, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((0, 0, 119, 119), fill="#C62828")
    draw.rectangle((130, 30, 239, 90), fill="#263238")
    out = io.BytesIO()
    logo.save(out, format="PNG")
    return out.getvalue()


def _card(**changes) -> CardData:
    card = CardData(
        learner_name="Łucja Żółkiewska",
        achievement_name="Tri sélectif des déchets",
        issuer_name="Fundacja BARKA",
        issuer_logo=_logo(),
        badge_image=badge_png("Tri sélectif des déchets", "green-jobs", size=256),
        issued_on=date(2025, 3, 12),
        gestures=["Trier les déchets dans le bon bac", "Expliquer le code couleur"],
        verify_url=VERIFY_URL,
        claim_url=CLAIM_URL,
        language="fr",
        words=card_words(_gettext(FRENCH)),
    )
    return replace(card, **changes)


def _pages(pdf: bytes, dpi: int = 300) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    return [page.render(scale=dpi / 72).to_pil() for page in document]


def _decoded(image: Image.Image) -> list[str]:
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def _page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(
        io.BytesIO(pdf)).pages]


def _text(pdf: bytes, page: int = 0) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


# --- the front QR --------------------------------------------------------------------------------


def test_card_pdf_front_qr_decodes_to_the_verify_url_at_300_dpi():
    front = _pages(card_pdf([_card()]))[0]
    assert _decoded(front) == [VERIFY_URL]


def test_card_qr_uses_error_correction_m():
    front = _pages(card_pdf([_card()]))[0]
    assert zxingcpp.read_barcodes(front)[0].ec_level == "M"


def test_card_qr_modules_are_at_least_0_4_mm_in_print():
    front = _pages(card_pdf([_card()]), dpi=300)[0]
    result = zxingcpp.read_barcodes(front)[0]
    symbol_px = result.position.top_right.x - result.position.top_left.x
    modules = len(qr_matrix(VERIFY_URL)) - 8  # the decoder measures the symbol without quiet zone
    assert symbol_px / modules / 300 * 25.4 >= 0.4


def test_qr_matrix_has_a_four_module_quiet_zone():
    matrix = qr_matrix(VERIFY_URL)
    border = matrix[:4] + matrix[-4:] + [row[:4] + row[-4:] for row in matrix]
    assert not any(any(row) for row in border)


def test_card_pdf_refuses_a_url_too_long_for_a_printable_qr():
    with pytest.raises(CardError, match="too long"):
        card_pdf([_card(verify_url="https://badges.example.org/v/" + "x" * 300)])


def test_card_pdf_refuses_a_card_without_a_verify_url():
    with pytest.raises(CardError, match="verification URL"):
        card_pdf([_card(verify_url="")])


# --- page sizes, text and fonts ------------------------------------------------------------------


def test_card_pdf_pages_are_id1_size_within_a_tenth_of_a_point():
    (width, height), = _page_sizes(card_pdf([_card()]))
    assert width == pytest.approx(85.60 / 25.4 * 72, abs=0.1)
    assert height == pytest.approx(53.98 / 25.4 * 72, abs=0.1)


def test_card_pdf_has_one_page_per_card():
    assert len(_page_sizes(card_pdf([_card(), _card(learner_name="Jan Kowalski")]))) == 2


def test_card_pdf_text_holds_learner_and_micro_training_names_with_diacritics():
    text = _text(card_pdf([_card()]))
    assert "Łucja Żółkiewska" in text
    assert "Tri sélectif des déchets" in text


def test_card_pdf_prints_the_verify_url_in_readable_characters():
    assert "badges.sky-project.eu/v/7KQ2M9XA" in _text(card_pdf([_card()]))


def test_card_pdf_prints_issuer_date_and_gestures_in_the_learner_language():
    card = _card(language="pl", gestures=["Segregacja odpadów"],
                 words=card_words(_gettext(POLISH)))
    text = _text(card_pdf([card]))
    for expected in ("Wydana przez: Fundacja BARKA", "Data: 12.03.2025",
                     "Potwierdzone umiejętności", "Segregacja odpadów", "Sprawdź tę odznakę:"):
        assert expected in text


def test_the_translated_colon_is_the_translators_own():
    text = " ".join(_text(card_pdf([_card()])).split())
    assert "Délivré par : Fundacja BARKA" in text
    assert "Date : 12/03/2025" in text


def test_a_card_without_words_is_printed_in_english_with_its_languages_date_format():
    text = " ".join(_text(card_pdf([_card(words=None, language="nl")])).split())
    for expected in ("Issued by: Fundacja BARKA", "Date: 12-03-2025", "Validated skills",
                     "Verify this badge:"):
        assert expected in text


def test_card_pdf_embeds_every_font_it_uses():
    reader = PdfReader(io.BytesIO(card_pdf([_card()], back=True)))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/BaseFont"].split("+")[-1] in {"DejaVuSans", "DejaVuSans-Bold"}
            assert "/FontFile2" in font["/FontDescriptor"]


def test_card_pdf_is_the_same_bytes_for_the_same_cards():
    assert card_pdf([_card()]) == card_pdf([_card()])


def test_a_long_learner_name_stays_inside_the_card():
    name = "Maria Fernanda de los Ángeles Rodríguez-Villalobos y Peñaranda Castellanos"
    document = pypdfium2.PdfDocument(card_pdf([_card(learner_name=name)]))
    text_page = document[0].get_textpage()
    boxes = [text_page.get_charbox(i) for i in range(text_page.count_chars())]
    assert max(right for _, _, right, _ in boxes) <= CARD_WIDTH - 2.5 * mm
    assert min(left for left, _, _, _ in boxes) >= 2.5 * mm


def test_a_long_learner_name_is_wrapped_or_shortened_not_dropped():
    name = "Maria Fernanda de los Ángeles Rodríguez-Villalobos y Peñaranda Castellanos"
    text = " ".join(_text(card_pdf([_card(learner_name=name)])).split())
    assert "Maria Fernanda de los Ángeles" in text


def test_long_names_issuer_and_gestures_never_overprint_each_other():
    card = _card(
        learner_name="Maria Fernanda de los Ángeles Rodríguez-Villalobos y Peñaranda Castellanos",
        achievement_name="Gestion des déchets ménagers et tri sélectif dans les résidences "
        "collectives urbaines et rurales",
        issuer_name="Centre d'Économie Sociale et Coopérative de la Région Wallonne ASBL",
        gestures=["Trier les déchets", "Réduire les volumes", "Étiqueter les bacs",
                  "Nettoyer le local", "Accueillir le public", "Ranger le matériel"],
    )
    text_page = pypdfium2.PdfDocument(card_pdf([card]))[0].get_textpage()
    boxes = [text_page.get_charbox(i) for i in range(text_page.count_chars())]
    boxes = [box for box in boxes if box[2] > box[0]]  # spaces have no ink
    for i, (l1, b1, r1, t1) in enumerate(boxes):
        for l2, b2, r2, t2 in boxes[i + 1:]:
            overlap = max(0, min(r1, r2) - max(l1, l2)) * max(0, min(t1, t2) - max(b1, b2))
            assert overlap < 0.5  # square points: glyph boxes may touch, never overprint


def test_an_unreadable_issuer_logo_is_refused_with_a_card_error():
    with pytest.raises(CardError, match="issuer logo"):
        card_pdf([_card(issuer_logo=b"not an image")])


def test_a_card_without_badge_image_or_logo_still_renders_its_qr():
    front = _pages(card_pdf([_card(badge_image=None, issuer_logo=None)]))[0]
    assert _decoded(front) == [VERIFY_URL]


# --- the back ------------------------------------------------------------------------------------


def test_card_pdf_with_back_adds_a_back_page_whose_qr_is_the_claim_url():
    pages = _pages(card_pdf([_card()], back=True))
    assert [_decoded(page) for page in pages] == [[VERIFY_URL], [CLAIM_URL]]


def test_card_back_explains_the_claim_in_the_learner_language():
    card = _card(language="es", words=card_words(_gettext(SPANISH)))
    text = " ".join(_text(card_pdf([card], back=True), page=1).split())
    assert "Guarda tu insignia en el móvil" in text
    assert "1. Scan this code with your phone's camera." in text  # not translated yet: English


def test_card_back_in_english_explains_the_claim_the_code_and_that_this_side_is_private():
    text = " ".join(_text(card_pdf([_card(words=None)], back=True), page=1).split())
    for expected in ("Keep your badge on your phone", "Scan this code with your phone's camera.",
                     "Open the link. The first time, choose a secret code and keep it to "
                     "yourself.",
                     "Your badge is saved in your wallet app or as a file.",
                     "This side is private. To show your badge to an employer, show the front"):
        assert expected in text


def test_card_back_prints_the_claim_url_in_readable_characters():
    text = _text(card_pdf([_card()], back=True), page=1)
    assert "badges.sky-project.eu/claim/7KQ2M9XA-c4f1" in text


def test_card_back_without_claim_url_has_no_qr():
    pages = _pages(card_pdf([_card(claim_url=None)], back=True))
    assert _decoded(pages[1]) == []


# --- labels --------------------------------------------------------------------------------------


def test_card_words_in_english_without_a_gettext():
    words = card_words()
    assert words["verify"] == "Verify this badge:"
    assert words["issued_by"] % {"issuer": "AGFE"} == "Issued by: AGFE"
    assert words["date"] % {"date": "12/03/2025"} == "Date: 12/03/2025"
    assert words["claim_steps"][0] == "Scan this code with your phone's camera."


def test_card_words_asks_gettext_for_every_word_and_keeps_the_answer():
    asked = []

    def gettext(text):
        asked.append(text)
        return f"«{text}»"

    words = card_words(gettext)
    english = card_words()
    assert set(words) == set(english)
    for key, word in words.items():
        if isinstance(word, tuple):
            assert word == tuple(f"«{step}»" for step in english[key])
        else:
            assert word == f"«{english[key]}»"
    assert len(asked) == len(set(asked)) == len(english) - 1 + len(english["claim_steps"])


def test_card_words_from_a_catalogue_with_some_texts_only():
    words = card_words(_gettext(FRENCH))
    assert (words["verify"], words["gestures"]) == ("Vérifier ce badge\u00a0:",
                                                    "Compétences validées")
    assert words["keep_note"] == card_words()["keep_note"]


def test_card_words_keep_their_placeholders_for_the_issuer_and_the_date():
    words = card_words(_gettext(FRENCH))
    assert words["issued_by"] % {"issuer": "AGFE"} == "Délivré par\u00a0: AGFE"
    assert words["date"] % {"date": "01/03/2026"} == "Date\u00a0: 01/03/2026"


# --- sheets --------------------------------------------------------------------------------------


def test_sheet_of_ten_cards_is_one_a4_page():
    assert _page_sizes(sheet_pdf([_card()] * 10)) == [pytest.approx(A4, abs=0.1)]


def test_sheet_of_eleven_cards_is_two_pages():
    assert len(_page_sizes(sheet_pdf([_card()] * 11))) == 2


@pytest.mark.parametrize("render", [card_pdf, sheet_pdf])
def test_printing_no_card_is_refused_with_a_card_error(render):
    with pytest.raises(CardError, match="at least one credential"):
        render([])


def test_sheet_qr_codes_all_decode_to_their_own_card():
    cards = [_card(verify_url=f"https://badges.sky-project.eu/v/CARD{i:04d}") for i in range(10)]
    sheet = _pages(sheet_pdf(cards))[0]
    assert _decoded(sheet) == sorted(card.verify_url for card in cards)


def _slots(image: Image.Image) -> dict[str, tuple[int, int]]:
    """Each decoded QR code's card slot on an A4 sheet: (column, row), from its centre."""
    x0 = (A4[0] - 2 * CARD_WIDTH) / 2
    y0 = (A4[1] - 5 * CARD_HEIGHT) / 2  # from the top of the page
    scale = image.width / A4[0]
    slots = {}
    for result in zxingcpp.read_barcodes(image):
        corners = (result.position.top_left, result.position.bottom_right)
        x = sum(c.x for c in corners) / 2 / scale
        y = sum(c.y for c in corners) / 2 / scale
        slots[result.text] = (int((x - x0) // CARD_WIDTH), int((y - y0) // CARD_HEIGHT))
    return slots


def _numbered_cards(count: int) -> list[CardData]:
    return [_card(verify_url=f"https://badges.sky-project.eu/v/CARD{i:04d}",
                  claim_url=f"https://badges.sky-project.eu/claim/secret-{i:04d}")
            for i in range(count)]


def test_duplex_sheet_puts_each_back_behind_its_front_after_a_long_edge_flip():
    cards = _numbered_cards(9)
    fronts, backs = _pages(sheet_pdf(cards, "duplex"), dpi=200)
    front_slots, back_slots = _slots(fronts), _slots(backs)
    assert len(front_slots) == len(back_slots) == 9
    for card in cards:
        column, row = back_slots[card.claim_url]
        assert (1 - column, row) == front_slots[card.verify_url]  # the flip swaps the columns


def test_duplex_sheet_of_eleven_cards_is_fronts_backs_fronts_backs():
    pages = _pages(sheet_pdf(_numbered_cards(11), "duplex"), dpi=200)
    assert [len(_decoded(page)) for page in pages] == [10, 10, 1, 1]
    assert _decoded(pages[3]) == ["https://badges.sky-project.eu/claim/secret-0010"]


def test_folded_sheet_has_each_front_beside_its_own_back_for_a_single_sided_printer():
    cards = _numbered_cards(6)
    pages = _pages(sheet_pdf(cards, "folded"), dpi=200)
    assert len(pages) == 2  # five cards a page
    slots = _slots(pages[0]) | _slots(pages[1])
    for card in cards:
        front_column, front_row = slots[card.verify_url]
        assert (front_column, slots[card.claim_url]) == (0, (1, front_row))


def test_a_sheet_without_backs_prints_no_claim_code():
    assert not any("/claim/" in text for text in _decoded(_pages(sheet_pdf(
        _numbered_cards(2)), dpi=200)[0]))


def test_unknown_sheet_backs_are_a_card_error():
    with pytest.raises(CardError, match="none, duplex or folded"):
        sheet_pdf([_card()], "triplex")


def test_sheet_has_crop_marks_in_line_with_the_cuts():
    dpi = 150
    page = _pages(sheet_pdf([_card()] * 10), dpi=dpi)[0].convert("L")
    px = dpi / 72
    left_cut = (A4[0] - 2 * CARD_WIDTH) / 2
    grid_top = (A4[1] - 5 * CARD_HEIGHT) / 2  # from the top edge of the page, in points
    top, bottom = round((grid_top - 6 * mm) * px), round((grid_top - 3 * mm) * px)

    def darkest(x_points: float) -> int:
        x = round(x_points * px)
        return ImageStat.Stat(page.crop((x - 1, top, x + 2, bottom))).extrema[0][0]

    assert darkest(left_cut) < 128
    assert darkest(left_cut + 10 * mm) == 255


# --- certificate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size, page", [("A4", A4), ("A5", A5)])
def test_certificate_is_one_page_of_the_asked_size(size, page):
    assert _page_sizes(certificate_pdf(_card(), size=size)) == [pytest.approx(page, abs=0.1)]


@pytest.mark.parametrize("size", ["A4", "A5"])
def test_certificate_qr_decodes_to_the_verify_url(size):
    assert _decoded(_pages(certificate_pdf(_card(), size=size))[0]) == [VERIFY_URL]


def test_certificate_names_the_learner_and_micro_training():
    text = _text(certificate_pdf(_card()))
    assert "Łucja Żółkiewska" in text
    assert "Tri sélectif des déchets" in text


def test_certificate_prints_the_words_of_the_card():
    french = " ".join(_text(certificate_pdf(_card())).split())
    assert "Attestation" in french and "Nous certifions que" in french
    assert "Délivré par : Fundacja BARKA" in french
    english = " ".join(_text(certificate_pdf(_card(words=None))).split())
    for expected in ("Certificate", "This is to certify that",
                     "has successfully completed the micro-training", "Issued by: Fundacja BARKA",
                     "Date: 12/03/2025", "Scan the code to check this certificate online."):
        assert expected in english


def test_certificate_refuses_an_unknown_size():
    with pytest.raises(CardError, match="A4 or A5"):
        certificate_pdf(_card(), size="Letter")


# --- PNG -----------------------------------------------------------------------------------------


def test_card_png_is_id1_size_at_300_dpi():
    image = Image.open(io.BytesIO(card_png(_card())))
    assert (image.format, image.size) == ("PNG", (1011, 638))


def test_card_png_qr_decodes_to_the_verify_url():
    assert _decoded(Image.open(io.BytesIO(card_png(_card())))) == [VERIFY_URL]


def test_card_png_matches_the_golden_image():
    rendered = Image.open(io.BytesIO(card_png(_card()))).convert("RGB")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        rendered.save(GOLDEN)
    golden = Image.open(GOLDEN).convert("RGB")
    assert rendered.size == golden.size
    # Mean absolute difference per channel, out of 255: font hinting may shift a few pixels,
    # a moved or missing block moves the mean by far more.
    difference = ImageStat.Stat(ImageChops.difference(rendered, golden)).mean
    assert max(difference) < 0.75


def test_card_from_credential_prints_only_acquired_gestures_and_the_learner_name():
    from issuer.core import builders
    from issuer.rendering import cards

    base = "https://badges.example.org/achievements/tri/fr"

    def gesture(n, name):
        levels = tuple(
            builders.RubricCriterionLevel(id=f"{base}#g{n}-{lid}", name=lid)
            for lid in ("not-yet", "acquired")
        )
        return builders.ResultDescription(
            id=f"{base}#g{n}", name=name, result_type="RubricCriterion",
            rubric_criterion_levels=levels, required_level=f"{base}#g{n}-acquired",
        )

    gestures = [gesture(1, "Trier les déchets"), gesture(2, "Étiqueter les bacs")]
    achievement = builders.Achievement(
        id=base, name="Tri sélectif", description="Trie.", in_language="fr",
        criteria=builders.Criteria(narrative="Observé."), result_descriptions=tuple(gestures),
    )
    credential = builders.OpenBadgeCredential(
        id="urn:uuid:0b6f2d4e-9d51-4a4b-8a53-3f1d2c1b0a99",
        issuer=builders.Profile(id="did:web:badges.example.org", name="AGFE"),
        subject=builders.AchievementSubject(
            achievement=achievement,
            identifiers=(builders.name_identifier("Łucja Żółkiewska"),),
            results=(
                builders.Result(f"{base}#g1", achieved_level=f"{base}#g1-acquired"),
                builders.Result(f"{base}#g2", achieved_level=f"{base}#g2-not-yet"),
            ),
        ),
        valid_from="2026-03-01T10:00:00Z",
    ).to_json()
    card = cards.card_from_credential(credential, verify_url="https://b.example/v/AB12")
    assert (card.learner_name, card.achievement_name, card.issuer_name) == (
        "Łucja Żółkiewska", "Tri sélectif", "AGFE")
    assert card.gestures == ["Trier les déchets"]
    assert (card.issued_on.isoformat(), card.language) == ("2026-03-01", "fr")
