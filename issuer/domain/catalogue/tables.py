"""One TOML table → one checked dataclass: a micro-training (its gestures, levels, validation
rule, ESCO skills and EU micro-credential elements), a skill (its parts, award mode and further
training) and the themes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from issuer.core.messages import N_

from .model import (
    ACQUIRED,
    ASSESSMENT_TYPES,
    AT_LEAST,
    AWARD_MODES,
    COLOUR,
    DEFAULT_LEVEL_NAMES,
    ESCO_SKILL_URI,
    GESTURES_MAX,
    GESTURES_MIN,
    PARTICIPATION_FORMS,
    SLUG,
    EscoSkill,
    FurtherTraining,
    Gesture,
    MicroTraining,
    RubricLevel,
    Skill,
    Theme,
)
from .values import (
    Problems,
    Reader,
    _check_keys,
    _choice,
    _eqf_level,
    _hours,
    _join,
    _months,
    _required,
    _same_languages,
    _slug,
    _string,
    _string_list,
    _text_lists,
    _texts,
    _version,
)

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


def _levels(value: Any, languages: tuple, where: str, problems: Problems):
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


def _gesture(table: Any, number: int, languages: tuple, problems: Problems) -> Gesture | None:
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


def _gestures(value: Any, languages: tuple, problems: Problems) -> tuple[Gesture, ...]:
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


def _validation(value: Any, gesture_count: int, problems: Problems) -> str | None:
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


def _esco_skills(value: Any, problems: Problems) -> tuple[EscoSkill, ...]:
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


def read_training(data: dict, themes: Iterable[str], problems: Problems) -> MicroTraining:
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


def _optional(data: Mapping, key: str, read: Reader, problems: Problems) -> Any:
    return read(data[key], key, problems) if key in data else None


# ---------------------------------------------------------------------------------------------
# Skills

SKILL_KEYS = (
    "id", "version", "theme", "name", "description", "parts", "award", "cross_organisation",
    "further_training", "tags",
)
FURTHER_KEYS = ("name", "description", "provider", "url")


def _further_training(value: Any, problems: Problems):
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


def _parts(value: Any, problems: Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not 2 <= len(value) <= 10:
        problems.add("parts", N_("must list between 2 and 10 micro-training ids"))
        return ()
    parts = tuple(_slug(part, "parts", problems) for part in value)
    for part in sorted({p for p in parts if p and parts.count(p) > 1}):
        problems.add("parts", N_("%(value)s is listed twice", value=repr(part)))
    return tuple(part for part in parts if part)


def read_skill(data: dict, themes: Iterable[str], problems: Problems) -> Skill:
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


def read_themes(data: dict, problems: Problems) -> dict[str, Theme]:
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
