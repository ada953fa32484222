"""Importing the micro-training catalogue into the database, one row per file and version.

The source TOML of every imported version is kept forever: a credential names the exact
version it was issued from. Re-importing an unchanged version does nothing; a file whose
content changed under the same version is refused — the partner must bump the version.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import catalogue as core_catalogue
from issuer.core.catalogue import MicroTraining
from issuer.core.errors import TemplateError
from issuer.core.messages import N_
from issuer.store.models import AchievementTemplate

from . import Actor, NotFound, audit
from .urls import public_url

TRAINING, SKILL = "training", "skill"
# Achievement URL segments join id, version and language with "--", which a catalogue id
# (lowercase words joined by single hyphens) can never contain.
_SEPARATOR = "--"


def import_catalogue(db: Session, path: str | Path, actor: Actor = None
                     ) -> list[AchievementTemplate]:
    """Import every micro-training and skill of the folder; return the versions newly added.

    Raises TemplateError (every problem, one per line) and imports nothing when the folder is
    invalid or a file changed without a new version.
    """
    root = Path(path)
    catalogue = core_catalogue.load_catalogue(root)
    entries = [(TRAINING, t) for t in catalogue.trainings.values()]
    entries += [(SKILL, s) for s in catalogue.skills.values()]
    pending, problems = [], []
    for kind, item in entries:
        source = item.source.read_text("utf-8")
        existing = _version_row(db, item.id, item.version)
        if existing is None:
            pending.append((kind, item, source))
        elif existing.source_toml != source:
            file = item.source.relative_to(root).as_posix()
            problems.append(core_catalogue.problem(file, "version", N_(
                "%(version)s was already imported with different content; bump the version to "
                "publish the change", version=repr(item.version))))
    if problems:
        raise TemplateError("\n".join(problems), problems)
    added = [_add_version(db, kind, item, source) for kind, item, source in pending]
    if added:
        audit(db, "catalogue.import", actor, getattr(actor, "organisation_id", None), str(root),
              versions=[f"{t.template_id}@{t.version}" for t in added])
    return added


def _version_row(db: Session, template_id: str, version: str) -> AchievementTemplate | None:
    return db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == template_id, AchievementTemplate.version == version))


def _add_version(db: Session, kind: str, item, source: str) -> AchievementTemplate:
    for older in db.scalars(select(AchievementTemplate).where(
            AchievementTemplate.template_id == item.id, AchievementTemplate.current.is_(True))):
        older.current = False
    template = AchievementTemplate(template_id=item.id, version=item.version, kind=kind,
                                   theme=item.theme, source_toml=source, current=True)
    db.add(template)
    db.flush()
    return template


def current_templates(db: Session, kind: str | None = TRAINING) -> list[AchievementTemplate]:
    """The current version of every template (of `kind`, or all), by id."""
    query = select(AchievementTemplate).where(AchievementTemplate.current.is_(True))
    if kind is not None:
        query = query.where(AchievementTemplate.kind == kind)
    return list(db.scalars(query.order_by(AchievementTemplate.template_id)))


def training_of(template: AchievementTemplate) -> MicroTraining:
    """The validated micro-training of a stored template version."""
    if template.kind != TRAINING:
        raise TemplateError(N_("%(template)s is a skill, not a micro-training",
                               template=template.template_id))
    return _parse_training(template.source_toml, f"{template.template_id}.toml", template.theme)


@lru_cache(maxsize=256)
def _parse_training(source: str, name: str, theme: str) -> MicroTraining:
    # The stored theme is accepted as is: it was checked against the catalogue's themes on import.
    training, problems = core_catalogue.parse_training(source, name, themes=(theme,))
    if problems:
        raise TemplateError("\n".join(problems), problems)
    return training


def achievement_id(template: AchievementTemplate, language: str) -> str:
    """The dereferenceable id of the Achievement for one version in one language."""
    segment = _SEPARATOR.join((template.template_id, template.version, language))
    return public_url(f"/achievements/{segment}")


def template_for_achievement(db: Session, segment: str) -> tuple[AchievementTemplate, str]:
    """The template version and language named by an `/achievements/<segment>` URL."""
    parts = segment.split(_SEPARATOR)
    if len(parts) < 3:
        raise NotFound(N_("no achievement %(segment)s", segment=repr(segment)))
    template_id, version, language = parts[0], _SEPARATOR.join(parts[1:-1]), parts[-1]
    template = _version_row(db, template_id, version)
    if template is None:
        raise NotFound(N_("no achievement %(segment)s", segment=repr(segment)))
    return template, language
