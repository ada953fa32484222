"""The micro-training catalogue: human-edited TOML files → validated, frozen dataclasses.

A catalogue is a folder (see `badge_templates/README.md`):

    themes.toml                optional: theme id → colour, icon, names per language
    trainings/<id>.toml        one micro-training per file
    skills/<id>.toml           one skill (a stack of micro-trainings) per file

Partner staff write these files by hand, so every problem is reported — all of them at once —
as "<file>: <field>: <what is wrong>", and an unknown key is an error: a typo must never make
a field silently disappear from a signed badge.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from issuer.core import builders
from issuer.core.errors import TemplateError
from issuer.core.messages import N_, Message

from . import microcredentials

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


# ---------------------------------------------------------------------------------------------
# Problems: every check appends to one list, so a partner sees every mistake in one go.


# Each problem is a `Message` (English text, template and params): the shells translate the
# sentence; file names, field paths, keys, language codes and values stay as the editor typed them.


def problem(file: str, where: str, what: str) -> Message:
    """One problem, "<file>: <field>: <what is wrong>"; `what` is itself a Message."""
    return N_("%(file)s: %(where)s: %(problem)s", file=file, where=where, problem=what)


def renamed(item: str, old: str, new: str) -> str:
    """The problem `item` reported under the file name `new` instead of `old`.

    A problem Message keeps its template and params (so it still translates); other text has
    its leading `old:` replaced.
    """
    if isinstance(item, Message) and item.params.get("file") == old:
        return Message(item.template, {**item.params, "file": new})
    return item.replace(f"{old}:", f"{new}:", 1)


class _Problems:
    def __init__(self, file: str):
        self.file = file
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(problem(self.file, where, what))


_Reader = Callable[[Any, str, _Problems], Any]


def _check_keys(table: Mapping, allowed: Iterable[str], where: str, problems: _Problems) -> None:
    allowed = list(allowed)
    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1)
            problems.add(_join(where, key), N_("unknown key (did you mean %(key)s?)",
                                               key=repr(near[0])) if near else
                         N_("unknown key; allowed: %(keys)s", keys=", ".join(allowed)))


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _required(table: Mapping, key: str, where: str, problems: _Problems) -> Any:
    if key not in table:
        problems.add(_join(where, key), N_("is required"))
    return table.get(key)


def _string(value: Any, where: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(where, N_("must be a non-empty text"))
        return None
    return value.strip()


def _slug(value: Any, where: str, problems: _Problems) -> str | None:
    text = _string(value, where, problems)
    if text is not None and not SLUG.match(text):
        problems.add(where, N_("%(value)s must be lowercase letters, digits and hyphens",
                               value=repr(text)))
        return None
    return text


def _texts(value: Any, where: str, problems: _Problems, require_english=True) -> dict:
    """A per-language table of non-empty strings: `[name] en = "…"`."""
    if not isinstance(value, dict):
        problems.add(where, N_('must be a table of languages, e.g. en = "…"'))
        return {}
    texts = {}
    for language, text in value.items():
        if not LANGUAGE_CODE.match(language):
            problems.add(f"{where}.{language}", N_("is not a language code like en, fr or nl-BE"))
        elif (checked := _string(text, f"{where}.{language}", problems)) is not None:
            texts[language] = checked
    if require_english and REQUIRED_LANGUAGE not in value:
        problems.add(where, N_("English (en) is required"))
    return texts


def _text_lists(value: Any, where: str, problems: _Problems) -> dict:
    """A per-language table of lists of strings: `[learning_outcomes] en = ["…", "…"]`."""
    if not isinstance(value, dict):
        problems.add(where, N_('must be a table of languages, e.g. en = ["…", "…"]'))
        return {}
    lists = {}
    for language, items in value.items():
        if not isinstance(items, list) or not items:
            problems.add(f"{where}.{language}", N_("must be a non-empty list of texts"))
            continue
        checked = [_string(item, f"{where}.{language}", problems) for item in items]
        lists[language] = tuple(item for item in checked if item is not None)
    if REQUIRED_LANGUAGE not in value:
        problems.add(where, N_("English (en) is required"))
    return lists


def _same_languages(texts: Mapping, languages: tuple, where: str, problems: _Problems) -> None:
    """Every language of the name must be present here, and no other.

    Skipped while the name itself lacks English: that one mistake is reported once, at the name.
    """
    if REQUIRED_LANGUAGE not in languages:
        return
    missing = [language for language in languages if language not in texts]
    extra = [language for language in texts if language not in languages]
    if missing:
        problems.add(where, N_("missing %(missing)s (the name has %(languages)s)",
                               missing=", ".join(missing), languages=", ".join(languages)))
    if extra:
        problems.add(where, N_("has %(extra)s, which the name has not", extra=", ".join(extra)))


def _string_list(value: Any, where: str, problems: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.add(where, N_("must be a list of texts"))
        return ()
    checked = [_string(item, where, problems) for item in value]
    return tuple(item for item in checked if item is not None)


def _integer(value: Any, low: int, high: int | None, where: str, problems: _Problems):
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(where, N_("%(value)s must be a whole number", value=repr(value)))
        return None
    if value < low or (high is not None and value > high):
        problems.add(where, N_("%(value)s is outside %(low)s–%(high)s", value=value, low=low,
                               high=high) if high is not None else
                     N_("%(value)s is below the minimum of %(low)s", value=value, low=low))
        return None
    return value


def _eqf_level(value: Any, where: str, problems: _Problems) -> int | None:
    return _integer(value, 1, 8, where, problems)


def _months(value: Any, where: str, problems: _Problems) -> int | None:
    return _integer(value, 1, None, where, problems)


def _choice(value: Any, choices: tuple[str, ...], where: str, problems: _Problems):
    if value not in choices:
        problems.add(where, N_("%(value)s must be one of %(choices)s", value=repr(value),
                               choices=", ".join(choices)))
        return None
    return value


def _version(value: Any, where: str, problems: _Problems) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        problems.add(where, N_('must be a text in quotes, e.g. version = "%(value)s"', value=value))
        return None
    return _string(value, where, problems)


def _hours(value: Any, problems: _Problems) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add("duration_hours", N_("%(value)s must be a number of hours, e.g. 3.5",
                                          value=repr(value)))
        return None
    if not DURATION_MIN_HOURS <= value <= DURATION_MAX_HOURS:
        problems.add("duration_hours", N_("%(value)s is outside 1.5–24 hours",
                                          value=format(value, "g")))
        return None
    return float(value)


# ---------------------------------------------------------------------------------------------
# Micro-trainings

TRAINING_KEYS = (
    "id", "version", "theme", "name", "description", "duration_hours", "gestures", "validation",
    "learning_outcomes", "esco_skills", "eqf_level", "assessment_type", "participation",
    "quality_assurance", "validity_months", "image", "tags",
)
GESTURE_KEYS = ("id", "name", "observe", "levels")
LEVEL_KEYS = ("id", "name", "description", "required")
ESCO_KEYS = ("uri", "name")


def _levels(value: Any, languages: tuple, where: str, problems: _Problems):
    """The rubric levels of one gesture, low to high, and the id of the required one."""
    if value is None:
        levels = []
        for level_id, names in DEFAULT_LEVEL_NAMES.items():
            missing = [language for language in languages if language not in names]
            if missing:
                problems.add(_join(where, "levels"), N_(
                    "no default level names in %(languages)s: list the levels with their names",
                    languages=", ".join(missing)))
            levels.append(RubricLevel(level_id, {k: names[k] for k in languages if k in names}))
        return tuple(levels), ACQUIRED
    where = _join(where, "levels")
    if not isinstance(value, list) or len(value) < 2:
        problems.add(where, N_("must list at least two levels, lowest first"))
        return (), None
    levels, required, seen = [], [], set()
    for number, table in enumerate(value, start=1):
        here = f"{where}[{number}]"
        if not isinstance(table, dict):
            problems.add(here, N_("must be a table with id, name and optionally required = true"))
            continue
        _check_keys(table, LEVEL_KEYS, here, problems)
        level_id = _slug(_required(table, "id", here, problems), f"{here}.id", problems)
        if level_id in seen:
            problems.add(f"{here}.id", N_("%(value)s is used twice in this gesture",
                                          value=repr(level_id)))
        seen.add(level_id)
        name = _texts(_required(table, "name", here, problems), f"{here}.name", problems)
        _same_languages(name, languages, f"{here}.name", problems)
        description = _texts(table.get("description", {}), f"{here}.description", problems,
                             require_english="description" in table)
        flag = table.get("required", False)
        if not isinstance(flag, bool):
            problems.add(f"{here}.required", N_("must be true or false"))
        elif flag:
            required.append(level_id)
        levels.append(RubricLevel(level_id or "", name, description))
    if len(required) != 1:
        problems.add(where, N_("exactly one level must have required = true, found %(count)s",
                               count=len(required)))
        return tuple(levels), None
    return tuple(levels), required[0]


def _gesture(table: Any, number: int, languages: tuple, problems: _Problems) -> Gesture | None:
    where = f"gestures[{number}]"
    if not isinstance(table, dict):
        problems.add(where, N_("must be a [[gestures]] table"))
        return None
    _check_keys(table, GESTURE_KEYS, where, problems)
    gesture_id = _slug(_required(table, "id", where, problems), f"{where}.id", problems)
    name = _texts(_required(table, "name", where, problems), f"{where}.name", problems)
    observe = _texts(_required(table, "observe", where, problems), f"{where}.observe", problems)
    _same_languages(name, languages, f"{where}.name", problems)
    _same_languages(observe, languages, f"{where}.observe", problems)
    levels, required = _levels(table.get("levels"), languages, where, problems)
    return Gesture(gesture_id or "", name, observe, levels, required or "")


def _gestures(value: Any, languages: tuple, problems: _Problems) -> tuple[Gesture, ...]:
    if not isinstance(value, list):
        problems.add("gestures", N_("must be a list of [[gestures]] tables"))
        return ()
    if not GESTURES_MIN <= len(value) <= GESTURES_MAX:
        problems.add("gestures", N_("%(count)s gesture given; a micro-training has 2 or 3",
                                    count=len(value)) if len(value) == 1 else
                     N_("%(count)s gestures given; a micro-training has 2 or 3", count=len(value)))
    gestures = [_gesture(table, n, languages, problems) for n, table in enumerate(value, 1)]
    ids = [gesture.id for gesture in gestures if gesture and gesture.id]
    for gesture_id in sorted({i for i in ids if ids.count(i) > 1}):
        problems.add("gestures", N_("id %(value)s is used by more than one gesture",
                                    value=repr(gesture_id)))
    return tuple(gesture for gesture in gestures if gesture)


def _validation(value: Any, gesture_count: int, problems: _Problems) -> str | None:
    if value == "all-acquired":
        return value
    match = AT_LEAST.match(value) if isinstance(value, str) else None
    if not match:
        problems.add("validation", N_('%(value)s must be "all-acquired" or "at-least:N"',
                                      value=repr(value)))
        return None
    if not 1 <= int(match.group(1)) <= max(gesture_count, 1):
        problems.add("validation", N_(
            "%(value)s asks for more gestures than the %(count)s listed (or none)",
            value=repr(value), count=gesture_count))
        return None
    return value


def _esco_skills(value: Any, problems: _Problems) -> tuple[EscoSkill, ...]:
    if not isinstance(value, list):
        problems.add("esco_skills", N_("must be a list of [[esco_skills]] tables"))
        return ()
    skills = []
    for number, table in enumerate(value, start=1):
        where = f"esco_skills[{number}]"
        if not isinstance(table, dict):
            problems.add(where, N_("must be a table with uri and name"))
            continue
        _check_keys(table, ESCO_KEYS, where, problems)
        uri = _string(_required(table, "uri", where, problems), f"{where}.uri", problems)
        if uri is not None and not ESCO_SKILL_URI.match(uri):
            problems.add(f"{where}.uri", N_(
                "%(value)s is not an ESCO skill URI (http://data.europa.eu/esco/skill/<uuid>)",
                value=repr(uri)))
        name = _texts(_required(table, "name", where, problems), f"{where}.name", problems)
        skills.append(EscoSkill(uri or "", name))
    return tuple(skills)


def _training(data: dict, themes: Iterable[str], problems: _Problems) -> MicroTraining:
    _check_keys(data, TRAINING_KEYS, "", problems)
    need = lambda key: _required(data, key, "", problems)  # noqa: E731
    name = _texts(need("name"), "name", problems)
    languages = tuple(name)
    description = _texts(need("description"), "description", problems)
    outcomes = _text_lists(need("learning_outcomes"), "learning_outcomes", problems)
    quality = _texts(need("quality_assurance"), "quality_assurance", problems)
    for key, texts in (("description", description), ("learning_outcomes", outcomes),
                       ("quality_assurance", quality)):
        _same_languages(texts, languages, key, problems)
    gestures = _gestures(need("gestures"), languages, problems)
    optional = {
        "esco_skills": _esco_skills(data.get("esco_skills", []), problems),
        "eqf_level": _optional(data, "eqf_level", _eqf_level, problems),
        "validity_months": _optional(data, "validity_months", _months, problems),
        "image": _optional(data, "image", _string, problems),
        "tags": _string_list(data.get("tags", []), "tags", problems),
    }
    return MicroTraining(
        id=_slug(need("id"), "id", problems) or "",
        version=_version(need("version"), "version", problems) or "",
        theme=_choice(need("theme"), tuple(themes), "theme", problems) or "",
        name=name,
        description=description,
        duration_hours=_hours(need("duration_hours"), problems) or 0.0,
        gestures=gestures,
        validation=_validation(data.get("validation", "all-acquired"), len(gestures), problems)
        or "all-acquired",
        learning_outcomes=outcomes,
        assessment_type=_choice(need("assessment_type"), ASSESSMENT_TYPES, "assessment_type",
                                problems) or "",
        participation=_choice(need("participation"), PARTICIPATION_FORMS, "participation",
                              problems) or "",
        quality_assurance=quality,
        **optional,
    )


def _optional(data: Mapping, key: str, read: _Reader, problems: _Problems) -> Any:
    return read(data[key], key, problems) if key in data else None


# ---------------------------------------------------------------------------------------------
# Skills

SKILL_KEYS = (
    "id", "version", "theme", "name", "description", "parts", "award", "cross_organisation",
    "further_training", "tags",
)
FURTHER_KEYS = ("name", "description", "provider", "url")


def _further_training(value: Any, problems: _Problems):
    """Programme names are often proper names: English is required, other languages fall back."""
    if not isinstance(value, list):
        problems.add("further_training", N_("must be a list of [[further_training]] tables"))
        return ()
    programmes = []
    for number, table in enumerate(value, start=1):
        where = f"further_training[{number}]"
        if not isinstance(table, dict):
            problems.add(where, N_("must be a table with name, provider and url"))
            continue
        _check_keys(table, FURTHER_KEYS, where, problems)
        name = _texts(_required(table, "name", where, problems), f"{where}.name", problems)
        description = _texts(table.get("description", {}), f"{where}.description", problems,
                             require_english="description" in table)
        provider = _string(_required(table, "provider", where, problems), f"{where}.provider",
                           problems)
        url = _string(_required(table, "url", where, problems), f"{where}.url", problems)
        if url is not None and not url.startswith("https://"):
            problems.add(f"{where}.url", N_("%(value)s must start with https://", value=repr(url)))
        programmes.append(FurtherTraining(name, provider or "", url or "", description))
    return tuple(programmes)


def _parts(value: Any, problems: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not 2 <= len(value) <= 10:
        problems.add("parts", N_("must list between 2 and 10 micro-training ids"))
        return ()
    parts = tuple(_slug(part, "parts", problems) for part in value)
    for part in sorted({p for p in parts if p and parts.count(p) > 1}):
        problems.add("parts", N_("%(value)s is listed twice", value=repr(part)))
    return tuple(part for part in parts if part)


def _skill(data: dict, themes: Iterable[str], problems: _Problems) -> Skill:
    _check_keys(data, SKILL_KEYS, "", problems)
    need = lambda key: _required(data, key, "", problems)  # noqa: E731
    name = _texts(need("name"), "name", problems)
    description = _texts(need("description"), "description", problems)
    _same_languages(description, tuple(name), "description", problems)
    cross = need("cross_organisation")
    if cross is not None and not isinstance(cross, bool):
        problems.add("cross_organisation", N_("must be true or false"))
    return Skill(
        id=_slug(need("id"), "id", problems) or "",
        version=_version(need("version"), "version", problems) or "",
        name=name,
        description=description,
        parts=_parts(need("parts"), problems),
        award=_choice(need("award"), AWARD_MODES, "award", problems) or "",
        cross_organisation=cross is True,
        further_training=_further_training(data.get("further_training", []), problems),
        theme=_optional(data, "theme", lambda v, w, p: _choice(v, tuple(themes), w, p), problems),
        tags=_string_list(data.get("tags", []), "tags", problems),
    )


# ---------------------------------------------------------------------------------------------
# Themes

THEME_KEYS = ("name", "colour", "icon")
DEFAULT_THEMES = {
    "green-jobs": Theme("green-jobs", {"en": "Green jobs"}, "#2E7D32", "leaf"),
    "local-services": Theme("local-services", {"en": "Local services"}, "#1565C0", "handshake"),
    "digital-skills": Theme("digital-skills", {"en": "Digital skills"}, "#6A1B9A", "laptop"),
}


def _themes(data: dict, problems: _Problems) -> dict[str, Theme]:
    themes = {}
    for theme_id, table in data.items():
        if not SLUG.match(theme_id) or not isinstance(table, dict):
            problems.add(theme_id, N_("must be a [theme-id] table with lowercase-hyphenated id"))
            continue
        _check_keys(table, THEME_KEYS, theme_id, problems)
        name = _texts(_required(table, "name", theme_id, problems), f"{theme_id}.name", problems)
        colour = table.get("colour", "#4A5568")
        if not isinstance(colour, str) or not COLOUR.match(colour):
            problems.add(f"{theme_id}.colour", N_("%(value)s must be a hex colour like #2E7D32",
                                                  value=repr(colour)))
        icon = _string(table.get("icon", "badge"), f"{theme_id}.icon", problems) or "badge"
        themes[theme_id] = Theme(theme_id, name, str(colour), icon)
    return themes


# ---------------------------------------------------------------------------------------------
# Reading files


_FILE = N_("(file)")
_NOT_UTF8 = N_("is not UTF-8 text: save it as UTF-8")


def not_utf8(file: str) -> Message:
    """The problem of a file whose bytes are not UTF-8."""
    return problem(file, _FILE, _NOT_UTF8)


def _already_used(item_id: str, other: str) -> Message:
    return N_("%(value)s is already used by %(other)s", value=repr(item_id), other=other)


def _parse(text: str, problems: _Problems) -> dict | None:
    """TOML → dict, or None with the syntax error reported at its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        at = re.search(r"\(at line (\d+), column (\d+)\)$", message)
        if at:
            reason = message[: at.start()].strip()
            # The parser's own words stay English; the line and column are translated around them.
            problems.add(N_("line %(line)s", line=at.group(1)),
                         N_("%(reason)s (column %(column)s)", reason=reason, column=at.group(2)))
        else:
            problems.add(_FILE, message)
        return None


def _read(path: Path, problems: _Problems) -> dict | None:
    try:
        return _parse(path.read_text("utf-8"), problems)
    except UnicodeDecodeError:
        problems.add(_FILE, _NOT_UTF8)
        return None


def parse_training(text: str, source: str = "upload.toml",
                   themes: Iterable[str] = DEFAULT_THEME_IDS) -> tuple[MicroTraining | None, list]:
    """Parse one micro-training from TOML text: (training or None, every problem found)."""
    problems = _Problems(source)
    data = _parse(text, problems)
    training = _training(data, themes, problems) if data is not None else None
    return (training if not problems.items else None), problems.items


def parse_skill(text: str, source: str = "skill.toml",
                themes: Iterable[str] = DEFAULT_THEME_IDS) -> tuple[Skill | None, list]:
    """Parse one skill from TOML text: (skill or None, every problem found)."""
    problems = _Problems(source)
    data = _parse(text, problems)
    skill = _skill(data, themes, problems) if data is not None else None
    return (skill if not problems.items else None), problems.items


def load_training_file(path: str | Path,
                       themes: Iterable[str] = DEFAULT_THEME_IDS) -> MicroTraining:
    """Load and validate a single micro-training file (an upload); raises TemplateError."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise TemplateError(not_utf8(path.name)) from error
    training, problems = parse_training(text, path.name, themes)
    if problems:
        raise TemplateError("\n".join(problems), problems)
    return _with_source(training, path)


def _with_source(item, path: Path):
    return replace(item, source=path)


def _scan(root: Path, folder: str, build, themes, problems: list[str], unreadable: set) -> dict:
    """Read every file of one folder; check ids are unique and match file names.

    The names of files that are not valid TOML go to `unreadable`, so that a syntax error is
    not reported a second time as a missing skill part.
    """
    items, where_from = {}, {}
    for path in sorted((root / folder).rglob("*.toml")):
        relative = path.relative_to(root).as_posix()
        file_problems = _Problems(relative)
        data = _read(path, file_problems)
        if data is None:
            unreadable.add(path.stem)
        else:
            item = build(data, themes, file_problems)
            if item.id and item.id != path.stem:
                file_problems.add("id", N_("%(value)s must equal the file name (%(name)s)",
                                           value=repr(item.id), name=repr(path.stem)))
            elif item.id in where_from:
                file_problems.add("id", _already_used(item.id, where_from[item.id]))
            elif item.id:
                where_from[item.id] = relative
                items[item.id] = _with_source(item, path)
        problems.extend(file_problems.items)
    return items


def _catalogue_and_problems(path: str | Path) -> tuple[Catalogue, list[str]]:
    root = Path(path)
    problems: list[str] = []
    if not root.is_dir():
        return Catalogue({}, {}, {}), [problem(str(root), N_("(folder)"),
                                               N_("is not a folder"))]
    themes = dict(DEFAULT_THEMES)
    if (root / "themes.toml").exists():
        theme_problems = _Problems("themes.toml")
        data = _read(root / "themes.toml", theme_problems)
        themes = _themes(data, theme_problems) if data is not None else themes
        problems.extend(theme_problems.items)
    unreadable: set[str] = set()
    trainings = _scan(root, "trainings", _training, themes, problems, unreadable)
    skills = _scan(root, "skills", _skill, themes, problems, set())
    problems.extend(_cross_checks(root, trainings, skills, unreadable))
    return Catalogue(trainings, skills, themes), problems


def _cross_checks(root: Path, trainings: dict, skills: dict, unreadable: set) -> list[str]:
    """Checks across files: skill parts exist, ids are unique, images exist."""
    problems = []
    for skill in skills.values():
        file = skill.source.relative_to(root).as_posix()
        for part in skill.parts:
            if part not in trainings and part not in unreadable:
                problems.append(problem(file, "parts", N_(
                    "%(value)s is not a micro-training in trainings/", value=repr(part))))
        if skill.id in trainings:
            other = trainings[skill.id].source.relative_to(root).as_posix()
            problems.append(problem(file, "id", _already_used(skill.id, other)))
    for training in trainings.values():
        if training.image_path is not None and not training.image_path.is_file():
            file = training.source.relative_to(root).as_posix()
            problems.append(problem(file, "image", N_("%(value)s is not a file next to it",
                                                      value=repr(training.image))))
    return problems


def check_catalogue(path: str | Path) -> list[str]:
    """Every problem of a catalogue folder, as "<file>: <field>: <what is wrong>"; [] if none."""
    return _catalogue_and_problems(path)[1]


def load_catalogue(path: str | Path) -> Catalogue:
    """Load and validate a catalogue folder; raises TemplateError listing every problem."""
    catalogue, problems = _catalogue_and_problems(path)
    if problems:
        raise TemplateError("\n".join(problems), problems)
    return catalogue


# ---------------------------------------------------------------------------------------------
# From the catalogue to Open Badges achievements (one Achievement per language, DIGEST §A.9)

# Criteria sentences in the six SKY languages; other languages get the English sentences
# around their own texts. French typography puts a non-breaking space before a colon.
_CRITERIA: dict[str, dict[str, str]] = {
    "en": {
        "gestures": "The trainer observes these gestures:",
        "all": "The badge is awarded when every gesture is acquired.",
        "at_least": "The badge is awarded when at least {n} of the {total} gestures are acquired.",
        "parts": "Awarded to a learner who holds all of these badges:",
        "further": "Opens the way to:",
        "colon": ":",
    },
    "fr": {
        "gestures": "Le formateur observe ces gestes\u00a0:",
        "all": "Le badge est délivré quand tous les gestes sont acquis.",
        "at_least": "Le badge est délivré quand au moins {n} des {total} gestes sont acquis.",
        "parts": "Délivré à la personne qui possède tous ces badges\u00a0:",
        "further": "Ouvre la voie vers\u00a0:",
        "colon": "\u00a0:",
    },
    "nl": {
        "gestures": "De lesgever observeert deze handelingen:",
        "all": "De badge wordt toegekend als alle handelingen verworven zijn.",
        "at_least": "De badge wordt toegekend als minstens {n} van de {total} handelingen "
        "verworven zijn.",
        "parts": "Toegekend aan wie al deze badges heeft:",
        "further": "Opent de weg naar:",
        "colon": ":",
    },
    "it": {
        "gestures": "Il formatore osserva questi gesti:",
        "all": "Il badge viene rilasciato quando tutti i gesti sono acquisiti.",
        "at_least": "Il badge viene rilasciato quando almeno {n} dei {total} gesti sono acquisiti.",
        "parts": "Rilasciato a chi possiede tutti questi badge:",
        "further": "Apre la strada a:",
        "colon": ":",
    },
    "es": {
        "gestures": "La persona formadora observa estos gestos:",
        "all": "La insignia se concede cuando se han adquirido todos los gestos.",
        "at_least": "La insignia se concede cuando se han adquirido al menos {n} de los {total} "
        "gestos.",
        "parts": "Se concede a quien tiene todas estas insignias:",
        "further": "Abre el camino hacia:",
        "colon": ":",
    },
    "pl": {
        "gestures": "Trener obserwuje następujące czynności:",
        "all": "Odznaka jest przyznawana, gdy wszystkie czynności zostały opanowane.",
        "at_least": "Odznaka jest przyznawana, gdy opanowano co najmniej {n} z {total} czynności.",
        "parts": "Przyznawana osobie, która ma wszystkie te odznaki:",
        "further": "Otwiera drogę do:",
        "colon": ":",
    },
}


def _sentences(language: str) -> dict[str, str]:
    return _CRITERIA.get(language.split("-")[0], _CRITERIA["en"])


def _require_language(item: MicroTraining | Skill, language: str) -> None:
    # An achievement labelled `fr` must really be in French: no silent fallback here.
    if language not in item.languages:
        raise TemplateError(N_("%(item)s is not written in %(language)s; it is in %(languages)s",
                               item=repr(item.id), language=repr(language),
                               languages=", ".join(item.languages)))


def gesture_result_id(achievement_id: str, gesture: Gesture) -> str:
    """The ResultDescription id of a gesture within one language's achievement."""
    return f"{achievement_id}#gesture-{gesture.id}"


def level_id(achievement_id: str, gesture: Gesture, level: RubricLevel) -> str:
    """The RubricCriterionLevel id of one level of a gesture."""
    return f"{gesture_result_id(achievement_id, gesture)}-{level.id}"


def _result_description(gesture: Gesture, language: str, achievement_id: str):
    levels = tuple(
        builders.RubricCriterionLevel(
            id=level_id(achievement_id, gesture, level),
            name=level.name_in(language),
            description=level.text("description", language),
        )
        for level in gesture.levels
    )
    return builders.ResultDescription(
        id=gesture_result_id(achievement_id, gesture),
        name=gesture.name_in(language),
        result_type="RubricCriterion",
        rubric_criterion_levels=levels,
        required_level=level_id(achievement_id, gesture, gesture.required),
    )


def _training_narrative(training: MicroTraining, language: str) -> str:
    words = _sentences(language)
    lines = [words["gestures"], ""]
    lines += [
        f"- **{gesture.name_in(language)}**{words['colon']} {gesture.text('observe', language)}"
        for gesture in training.gestures
    ]
    rule = words["all"] if training.validation == "all-acquired" else words["at_least"].format(
        n=training.gestures_needed, total=len(training.gestures))
    return "\n".join([*lines, "", rule])


def _related(related_ids: Mapping[str, str], language: str, version: str):
    return tuple(
        builders.Related(id=other_id, in_language=other_language, version=version)
        for other_language, other_id in related_ids.items()
        if other_language != language
    )


def achievement_for(
    training: MicroTraining,
    language: str,
    achievement_id: str,
    related_ids: Mapping[str, str],
    image: builders.Image | None = None,
    creator: builders.Profile | None = None,
) -> builders.Achievement:
    """The OB MicroCredential Achievement of a micro-training in one language.

    One ResultDescription per gesture (a rubric criterion whose required level is the acquired
    level), ESCO and EQF alignments and the EU micro-credential elements, and `related` entries
    pointing at the other languages' achievements (`related_ids`: language → achievement id).
    Raises TemplateError if the training is not written in `language`, BuildError for ids that
    are not absolute URIs.
    """
    _require_language(training, language)
    facts = microcredentials.MicroCredentialFacts(
        learning_outcomes=tuple((text, None) for text in training.learning_outcomes[language]),
        workload_hours=training.duration_hours,
        eqf_level=training.eqf_level,
        assessment_type=training.assessment_type,
        participation_form=training.participation,
        quality_assurance=training.quality_assurance[language],
        language=language,
    )
    esco = tuple(
        builders.Alignment(
            target_name=skill.name_in(language),
            target_url=skill.uri,
            target_framework=microcredentials.ESCO_FRAMEWORK,
            target_type="ext:ESCOSkill",
        )
        for skill in training.esco_skills
    )
    achievement = builders.Achievement(
        id=achievement_id,
        name=training.name[language],
        description=training.description[language],
        criteria=builders.Criteria(narrative=_training_narrative(training, language)),
        achievement_type="MicroCredential",
        result_descriptions=tuple(
            _result_description(gesture, language, achievement_id) for gesture in training.gestures
        ),
        alignments=esco,
        in_language=language,
        related=_related(related_ids, language, training.version),
        tags=(*training.tags, f"theme:{training.theme}"),
        version=training.version,
        image=image,
        creator=creator,
        human_code=training.id,
    )
    return microcredentials.with_micro_credential(achievement, facts)


def _skill_narrative(skill: Skill, language: str, parts: Iterable[tuple[str, str]]) -> str:
    words = _sentences(language)
    lines = [words["parts"], ""] + [f"- [{name}]({url})" for name, url in parts]
    if skill.further_training:
        lines += ["", words["further"], ""]
        lines += [
            f"- [{programme.name_in(language)}]({programme.url}) ({programme.provider})"
            for programme in skill.further_training
        ]
    return "\n".join(lines)


def skill_achievement_for(
    skill: Skill,
    language: str,
    achievement_id: str,
    part_ids: Mapping[str, str],
    trainings: Mapping[str, MicroTraining] | None = None,
    related_ids: Mapping[str, str] | None = None,
    image: builders.Image | None = None,
    creator: builders.Profile | None = None,
) -> builders.Achievement:
    """The OB Competency Achievement of a skill in one language.

    `part_ids` maps each part's micro-training id to the id of its achievement (in the same
    language); the criteria narrative lists the parts, and each part is also an alignment so
    that software can check the stack. `trainings` supplies the parts' names (else their ids).
    """
    _require_language(skill, language)
    missing = [part for part in skill.parts if part not in part_ids]
    if missing:
        raise TemplateError(N_("skill %(skill)s: no achievement id for %(parts)s",
                               skill=repr(skill.id), parts=", ".join(missing)))
    trainings = trainings or {}
    parts = [
        (trainings[part].name_in(language) if part in trainings else part, part_ids[part])
        for part in skill.parts
    ]
    return builders.Achievement(
        id=achievement_id,
        name=skill.name[language],
        description=skill.description[language],
        criteria=builders.Criteria(narrative=_skill_narrative(skill, language, parts)),
        achievement_type="Competency",
        alignments=tuple(
            builders.Alignment(target_name=name, target_url=url, target_type="ceterms:Credential")
            for name, url in parts
        ),
        in_language=language,
        related=_related(related_ids or {}, language, skill.version),
        tags=skill.tags + ((f"theme:{skill.theme}",) if skill.theme else ()),
        version=skill.version,
        image=image,
        creator=creator,
        human_code=skill.id,
    )
