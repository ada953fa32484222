"""Importing the micro-training catalogue into the database, one row per file and version.

The source TOML of every imported version is kept forever: a credential names the exact
version it was issued from. Re-importing an unchanged version does nothing; a file whose
content changed under the same version is refused — the partner must bump the version.

A template belongs to whoever published it first: an organisation (uploaded from its admin
pages) or the project's shared catalogue (the bundled folder, versioned by the operator). Only
the owner adds versions. Another organisation issues from a partner's template only after
adopting one of its versions, and keeps issuing that version until it adopts another: no
organisation ever signs text it did not choose.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core.errors import TemplateError
from issuer.core.messages import N_
from issuer.domain import catalogue as core_catalogue
from issuer.domain.catalogue import MicroTraining, Skill
from issuer.store.models import AchievementTemplate, Organisation, TemplateAdoption

from .base import Actor, NotFound, ServiceError, audit, require_organisation
from .urls import public_url

TRAINING, SKILL = "training", "skill"
# Achievement URL segments join id, version and language with "--", which a catalogue id
# (lowercase words joined by single hyphens) can never contain.
_SEPARATOR = "--"


def import_catalogue(db: Session, path: str | Path, actor: Actor = None,
                     owner: Organisation | None = None) -> list[AchievementTemplate]:
    """Import every micro-training and skill of the folder; return the versions newly added.

    `owner` publishes the files (None: the project's shared catalogue). Raises TemplateError
    (every problem, one per line) and imports nothing when the folder is invalid, a file
    changed without a new version, or a template id belongs to someone else.
    """
    root = Path(path)
    catalogue = core_catalogue.load_catalogue(root)
    entries = [(TRAINING, t) for t in catalogue.trainings.values()]
    entries += [(SKILL, s) for s in catalogue.skills.values()]
    owner_id = owner.id if owner is not None else None
    pending, problems = [], []
    for kind, item in entries:
        source = item.source.read_text("utf-8")
        file = item.source.relative_to(root).as_posix()
        first = _first_version(db, item.id)
        existing = _version_row(db, item.id, item.version)
        if first is not None and first.owner_id != owner_id:
            problems.append(core_catalogue.problem(file, "id", N_(
                "%(training)s is published by another organisation or the shared catalogue: "
                "adopt it on the catalogue page, or give your training an id of its own",
                training=repr(item.id))))
        elif existing is None:
            pending.append((kind, item, source))
        elif existing.source_toml != source:
            problems.append(core_catalogue.problem(file, "version", N_(
                "%(version)s was already imported with different content; bump the version to "
                "publish the change", version=repr(item.version))))
    if problems:
        raise TemplateError("\n".join(problems), problems)
    added = [_add_version(db, kind, item, source, owner_id) for kind, item, source in pending]
    if added:
        audit(db, "catalogue.import", actor, owner_id or getattr(actor, "organisation_id", None),
              str(root) if owner is None else root.name,
              versions=[f"{t.template_id}@{t.version}" for t in added])
    return added


def _first_version(db: Session, template_id: str) -> AchievementTemplate | None:
    return db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == template_id).order_by(AchievementTemplate.id).limit(1))


def _version_row(db: Session, template_id: str, version: str) -> AchievementTemplate | None:
    return db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == template_id, AchievementTemplate.version == version))


def _add_version(db: Session, kind: str, item, source: str,
                 owner_id: int | None) -> AchievementTemplate:
    for older in db.scalars(select(AchievementTemplate).where(
            AchievementTemplate.template_id == item.id, AchievementTemplate.current.is_(True))):
        older.current = False
    template = AchievementTemplate(template_id=item.id, version=item.version, kind=kind,
                                   theme=item.theme, source_toml=source, current=True,
                                   owner_id=owner_id)
    db.add(template)
    db.flush()
    return template


def current_templates(db: Session, kind: str | None = TRAINING) -> list[AchievementTemplate]:
    """The current version of every template (of `kind`, or all), by id."""
    query = select(AchievementTemplate).where(AchievementTemplate.current.is_(True))
    if kind is not None:
        query = query.where(AchievementTemplate.kind == kind)
    return list(db.scalars(query.order_by(AchievementTemplate.template_id)))


def issuable_templates(db: Session, org: Organisation,
                       kind: str | None = TRAINING) -> list[AchievementTemplate]:
    """The version of each template `org` issues from, by id: its own and the shared
    catalogue's current versions, and the version it adopted of each partner's template."""
    adopted = _adoptions(db, org)
    chosen = []
    for template in current_templates(db, kind):
        if template.template_id in adopted:
            chosen.append(db.get(AchievementTemplate, adopted[template.template_id]))
        elif template.owner_id in (None, org.id):
            chosen.append(template)
    return chosen


def issuable_template(db: Session, org: Organisation,
                      template_id: str) -> AchievementTemplate | None:
    """The version of `template_id` that `org` issues from, or None if it may not."""
    return next((t for t in issuable_templates(db, org, kind=None)
                 if t.template_id == template_id), None)


def may_issue_from(db: Session, org: Organisation, template: AchievementTemplate) -> bool:
    """True when `template` is the very version `org` issues from."""
    found = issuable_template(db, org, template.template_id)
    return found is not None and found.id == template.id


def adopt(db: Session, org: Organisation, template: AchievementTemplate,
          actor: Actor = None) -> TemplateAdoption:
    """Make `template` (this exact version) the one `org` issues from; audited."""
    require_organisation(actor, org.id)
    if template.owner_id == org.id:
        raise ServiceError(N_("this training is your own: publish a new version instead"))
    adoption = db.scalar(select(TemplateAdoption).where(
        TemplateAdoption.organisation_id == org.id,
        TemplateAdoption.template_id == template.template_id))
    if adoption is None:
        adoption = TemplateAdoption(organisation_id=org.id, template_id=template.template_id,
                                    template_pk=template.id)
        db.add(adoption)
    adoption.template_pk = template.id
    db.flush()
    audit(db, "catalogue.adopt", actor, org, f"{template.template_id}@{template.version}",
          owner_id=template.owner_id)
    return adoption


def _adoptions(db: Session, org: Organisation) -> dict[str, int]:
    return {a.template_id: a.template_pk for a in db.scalars(
        select(TemplateAdoption).where(TemplateAdoption.organisation_id == org.id))}


def training_of(template: AchievementTemplate) -> MicroTraining:
    """The validated micro-training of a stored template version."""
    if template.kind != TRAINING:
        raise TemplateError(N_("%(template)s is a skill, not a micro-training",
                               template=template.template_id))
    return _parsed(TRAINING, template.source_toml, f"{template.template_id}.toml",
                   template.theme)


def skill_of(template: AchievementTemplate) -> Skill:
    """The validated skill of a stored template version."""
    if template.kind != SKILL:
        raise TemplateError(N_("%(template)s is a micro-training, not a skill",
                               template=template.template_id))
    return _parsed(SKILL, template.source_toml, f"{template.template_id}.toml", template.theme)


def theme_names(path: str | Path, language: str) -> dict[str, str]:
    """Each theme's name in `language`, from the catalogue folder (its themes.toml)."""
    themes = _themes(str(path), _modified(Path(path) / "themes.toml"))
    return {theme_id: theme.name_in(language) for theme_id, theme in themes.items()}


@lru_cache(maxsize=8)
def _themes(path: str, modified: float | None) -> dict:
    return core_catalogue.load_themes(path)


def _modified(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def template_name(template: AchievementTemplate, language: str) -> str:
    """A training's or skill's name in `language`; its id if the stored file cannot be read."""
    try:
        read = training_of(template) if template.kind == TRAINING else skill_of(template)
    except TemplateError:
        return template.template_id
    return read.name_in(language)


@lru_cache(maxsize=320)
def _parsed(kind: str, source: str, name: str, theme: str | None) -> MicroTraining | Skill:
    # The stored theme is accepted as is: it was checked against the catalogue's themes on import.
    parse = core_catalogue.parse_training if kind == TRAINING else core_catalogue.parse_skill
    parsed, problems = parse(source, name, themes=(theme,) if theme else ())
    if problems:
        raise TemplateError("\n".join(problems), problems)
    return parsed


def achievement_id(template: AchievementTemplate, language: str) -> str:
    """The dereferenceable id of the Achievement for one version in one language."""
    segment = _SEPARATOR.join((template.template_id, template.version, language))
    return public_url(template, f"/achievements/{segment}")


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
