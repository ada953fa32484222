"""The badge's picture is the same on the card, the web pages and the downloads, with its title
in the reader's language."""

from __future__ import annotations

import io

from PIL import Image

from issuer.core import baking
from issuer.rendering import images
from issuer.services import cards as card_service


def _pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGBA")


def _same(first: bytes, second: bytes) -> bool:
    one, two = _pixels(first), _pixels(second)
    return one.size == two.size and one.tobytes() == two.tobytes()


def test_the_card_and_the_learners_download_show_the_same_picture(client, badge):
    card = card_service.card_for(badge)  # the learner reads French
    download = client.get(f"/credentials/{badge.uuid}.png?lang=fr")
    assert download.status_code == 200
    assert _same(card.badge_image, download.data)
    assert baking.extract(download.data)["id"].endswith(badge.uuid)  # still the baked badge


def test_the_picture_is_the_catalogues_theme_not_a_plain_one(badge):
    card = card_service.card_for(badge)
    assert _same(card.badge_image, images.badge_png("Planter un jeune arbre",
                                                    badge.template.theme or ""))
    assert not _same(card.badge_image, images.badge_png("Planter un jeune arbre", ""))


def test_the_downloaded_picture_has_its_title_in_the_readers_language(client, badge):
    english = client.get(f"/credentials/{badge.uuid}.png", headers={"Accept-Language": "en"})
    french = client.get(f"/credentials/{badge.uuid}.png", headers={"Accept-Language": "fr"})
    assert _same(english.data, images.badge_png("Planting a young tree",
                                                badge.template.theme or ""))
    assert _same(french.data, images.badge_png("Planter un jeune arbre",
                                               badge.template.theme or ""))
    assert "Accept-Language" in english.headers["Vary"]
    assert english.headers["ETag"] != french.headers["ETag"]
