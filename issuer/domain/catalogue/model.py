"""The catalogue's vocabulary and its frozen dataclasses: the limits a file must keep (duration,
gesture count, languages, ids), the two-level rubric every gesture gets by default, and
MicroTraining, Skill, Theme and Catalogue with their per-language texts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from issuer.core.errors import TemplateError
from issuer.core.messages import N_

DURATION_MIN_HOURS = 1.5
DURATION_MAX_HOURS = 24.0
GESTURES_MIN = 2
GESTURES_MAX = 3
REQUIRED_LANGUAGE = "en"

# The OB 3.0 schema pattern for inLanguage (a BCP 47 subset): `en`, `nl-BE`, `zh-Hant-TW`.
LANGUAGE_CODE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ESCO_SKILL_URI = re.compile(
    r"^http://data\.europa\.eu/esco/skill/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
AT_LEAST = re.compile(r"^at-least:([0-9]+)$")

PARTICIPATION_FORMS = ("onsite", "online", "blended")
ASSESSMENT_TYPES = (
    "observation",
    "practical-test",
    "oral-test",
    "written-test",
    "portfolio",
    "recognition-of-prior-learning",
)
AWARD_MODES = ("automatic", "one-click")
DEFAULT_THEME_IDS = ("green-jobs", "local-services", "digital-skills")

ACQUIRED = "acquired"
NOT_YET = "not-yet"
# The two-level rubric every gesture gets unless its file lists finer levels, low to high.
DEFAULT_LEVEL_NAMES: dict[str, dict[str, str]] = {
    NOT_YET: {
        "en": "Not yet acquired",
        "fr": "Pas encore acquis",
        "nl": "Nog niet verworven",
        "it": "Non ancora acquisito",
        "es": "Todavía no adquirido",
        "pl": "Jeszcze nie opanowano",
    },
    ACQUIRED: {
        "en": "Acquired",
        "fr": "Acquis",
        "nl": "Verworven",
        "it": "Acquisito",
        "es": "Adquirido",
        "pl": "Opanowano",
    },
}

Texts = Mapping[str, str]


# ---------------------------------------------------------------------------------------------
# The catalogue's dataclasses


class _Multilingual:
    """Per-language text fields (dicts keyed by language code) with an English fallback."""

    def text(self, name: str, language: str, fallback: str = REQUIRED_LANGUAGE) -> Any:
        """The field `name` in `language`, else in `fallback`, else None."""
        values = getattr(self, name)
        if language in values:
            return values[language]
        return values.get(fallback)

    def name_in(self, language: str, fallback: str = REQUIRED_LANGUAGE) -> str:
        """The name in `language`, falling back to English."""
        return self.text("name", language, fallback)


@dataclass(frozen=True)
class RubricLevel(_Multilingual):
    """One level of a gesture's rubric (an OB RubricCriterionLevel)."""

    id: str
    name: Texts
    description: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Gesture(_Multilingual):
    """A professional gesture or posture the trainer observes (an OB ResultDescription)."""

    id: str
    name: Texts
    observe: Texts
    levels: tuple[RubricLevel, ...]  # low to high
    required_level: str

    @property
    def required(self) -> RubricLevel:
        """The level a learner must reach for this gesture to count as acquired."""
        return next(level for level in self.levels if level.id == self.required_level)

    def is_acquired(self, level_id: str) -> bool:
        """Whether `level_id` is the required level or above it."""
        ids = [level.id for level in self.levels]
        if level_id not in ids:
            raise TemplateError(N_("gesture %(gesture)s has no level %(level)s; levels: %(levels)s",
                                   gesture=repr(self.id), level=repr(level_id), levels=str(ids)))
        return ids.index(level_id) >= ids.index(self.required_level)


@dataclass(frozen=True)
class EscoSkill(_Multilingual):
    """An ESCO skill the micro-training aligns to."""

    uri: str
    name: Texts


@dataclass(frozen=True)
class MicroTraining(_Multilingual):
    """A micro-training template: 1.5–24 hours, 2–3 gestures, issued as an OB MicroCredential."""

    id: str
    version: str
    theme: str
    name: Texts
    description: Texts
    duration_hours: float
    gestures: tuple[Gesture, ...]
    validation: str
    learning_outcomes: Mapping[str, tuple[str, ...]]
    assessment_type: str
    participation: str
    quality_assurance: Texts
    esco_skills: tuple[EscoSkill, ...] = ()
    eqf_level: int | None = None
    validity_months: int | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()
    source: Path | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this micro-training is written in (those of its name)."""
        return tuple(self.name)

    @property
    def image_path(self) -> Path | None:
        """The image file, resolved relative to the template file."""
        if self.image is None or self.source is None:
            return None
        return self.source.parent / self.image

    @property
    def gestures_needed(self) -> int:
        """How many gestures must be acquired for the micro-training to be validated."""
        match = AT_LEAST.match(self.validation)
        return int(match.group(1)) if match else len(self.gestures)

    def is_validated(self, achieved: Mapping[str, str]) -> bool:
        """Whether the achieved levels (gesture id → level id) satisfy the validation rule."""
        acquired = sum(
            1 for gesture in self.gestures
            if gesture.id in achieved and gesture.is_acquired(achieved[gesture.id])
        )
        return acquired >= self.gestures_needed


@dataclass(frozen=True)
class FurtherTraining(_Multilingual):
    """A further-training programme a skill opens the door to."""

    name: Texts
    provider: str
    url: str
    description: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Skill(_Multilingual):
    """A skill: a stack of micro-trainings that together validate it; itself an Achievement."""

    id: str
    version: str
    name: Texts
    description: Texts
    parts: tuple[str, ...]
    award: str
    cross_organisation: bool
    further_training: tuple[FurtherTraining, ...] = ()
    theme: str | None = None
    tags: tuple[str, ...] = ()
    source: Path | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this skill is written in."""
        return tuple(self.name)


@dataclass(frozen=True)
class Theme(_Multilingual):
    """A catalogue theme (green jobs, local services, a territory's own theme)."""

    id: str
    name: Texts
    colour: str = "#4A5568"
    icon: str = "badge"


@dataclass(frozen=True)
class Catalogue:
    """Every micro-training, skill and theme of one catalogue folder."""

    trainings: Mapping[str, MicroTraining]
    skills: Mapping[str, Skill]
    themes: Mapping[str, Theme]

    def languages_of(self, training_id: str) -> tuple[str, ...]:
        """The languages a micro-training is available in."""
        return self.trainings[training_id].languages

    def skills_containing(self, training_id: str) -> tuple[Skill, ...]:
        """The skills that count this micro-training among their parts."""
        return tuple(skill for skill in self.skills.values() if training_id in skill.parts)
