"""The micro-training catalogue: human-edited TOML files → validated, frozen dataclasses.

A catalogue is a folder (see `badge_templates/README.md`):

    themes.toml                optional: theme id → colour, icon, names per language
    trainings/<id>.toml        one micro-training per file
    skills/<id>.toml           one skill (a stack of micro-trainings) per file

Partner staff write these files by hand, so every problem is reported — all of them at once —
as "<file>: <field>: <what is wrong>", and an unknown key is an error: a typo must never make
a field silently disappear from a signed badge.

The package's modules, each for one purpose (import from the package, not from them):

    model.py          the limits, the default rubric and the dataclasses
    values.py         problems as translatable Messages; readers of single values
    tables.py         one TOML table → a MicroTraining, a Skill, the themes
    files.py          TOML text, uploaded files and folders → the catalogue, with every problem
    achievements.py   the catalogue → OB 3.0 Achievements, one per language
"""

from .achievements import achievement_for, skill_achievement_for
from .files import (
    check_catalogue,
    load_catalogue,
    load_themes,
    load_training_file,
    not_utf8,
    parse_skill,
    parse_training,
)
from .model import (
    ACQUIRED,
    LANGUAGE_CODE,
    NOT_YET,
    SLUG,
    Catalogue,
    EscoSkill,
    FurtherTraining,
    Gesture,
    MicroTraining,
    RubricLevel,
    Skill,
    Theme,
)
from .values import problem, renamed

__all__ = [
    "ACQUIRED",
    "LANGUAGE_CODE",
    "NOT_YET",
    "SLUG",
    "Catalogue",
    "EscoSkill",
    "FurtherTraining",
    "Gesture",
    "MicroTraining",
    "RubricLevel",
    "Skill",
    "Theme",
    "achievement_for",
    "check_catalogue",
    "load_catalogue",
    "load_themes",
    "load_training_file",
    "not_utf8",
    "parse_skill",
    "parse_training",
    "problem",
    "renamed",
    "skill_achievement_for",
]
