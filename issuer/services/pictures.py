"""The badge's picture: one image on the card, the web pages and the downloads.

It is the micro-training's own image when the catalogue has one, else the badge drawn in the
colours of its theme with its title in the reader's language (the learner's on their card
and claim page, the employer's on /v/). Every shell asks here, so the card in a learner's
hand and the page an employer opens show the same picture.
"""

from __future__ import annotations

from pathlib import Path

from issuer.core.errors import BadgeError
from issuer.rendering import images
from issuer.store.models import AchievementTemplate, Credential

from . import catalogue, publishing
from .base import settings_of

KINDS = ("png", "svg")


def picture(template: AchievementTemplate, language: str, kind: str = "png",
            size: int | None = None, title: str | None = None) -> bytes:
    """The picture of an achievement (`kind` "png" or "svg"); `size` pixels for a drawn PNG.

    The drawn title is the micro-training's name in `language`; for a skill, `title`.
    """
    own = catalogue_image(template, kind)
    if own is not None:
        return own
    title = _title_in(template, language) or title or "Open Badge"
    theme = template.theme or ""
    if kind == "svg":
        return images.badge_svg(title, theme).encode("utf-8")
    return images.badge_png(title, theme, size) if size else images.badge_png(title, theme)


def credential_picture(credential: Credential, language: str, kind: str = "png") -> bytes:
    """The picture of a stored badge, its title in `language` when the catalogue has it."""
    document = publishing.credential_document(credential)
    return picture(credential.template, language, kind,
                   title=publishing.achievement_name(document))


def catalogue_image(template: AchievementTemplate, kind: str) -> bytes | None:
    """The micro-training's own image file of this kind ("png" or "svg"), if there is one."""
    training = _training(template)
    if training is None or not training.image:
        return None
    path = Path(settings_of(template).catalogue_path) / "trainings" / training.image
    if path.suffix.lower() == f".{kind}" and path.is_file():
        return path.read_bytes()
    return None


def _title_in(template: AchievementTemplate, language: str) -> str | None:
    training = _training(template)
    return training.name_in(language) if training is not None else None


def _training(template: AchievementTemplate):
    """The catalogue's MicroTraining of a template, or None (skills, unreadable files)."""
    if template is None or template.kind != "training":
        return None
    try:
        return catalogue.training_of(template)
    except BadgeError:
        return None
