"""Reading catalogue files and folders: TOML text → dataclasses with every problem, uploaded
files, and whole folders with the checks across files (ids unique and equal to file names,
skill parts present, images beside their file)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from issuer.core.errors import TemplateError
from issuer.core.messages import N_, Message

from .model import DEFAULT_THEME_IDS, Catalogue, MicroTraining, Skill
from .tables import DEFAULT_THEMES, read_skill, read_themes, read_training
from .values import Problems, problem

_FILE = N_("(file)")
_NOT_UTF8 = N_("is not UTF-8 text: save it as UTF-8")


def not_utf8(file: str) -> Message:
    """The problem of a file whose bytes are not UTF-8."""
    return problem(file, _FILE, _NOT_UTF8)


def _already_used(item_id: str, other: str) -> Message:
    return N_("%(value)s is already used by %(other)s", value=repr(item_id), other=other)


def _parse(text: str, problems: Problems) -> dict | None:
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


def _read(path: Path, problems: Problems) -> dict | None:
    try:
        return _parse(path.read_text("utf-8"), problems)
    except UnicodeDecodeError:
        problems.add(_FILE, _NOT_UTF8)
        return None


def parse_training(text: str, source: str = "upload.toml",
                   themes: Iterable[str] = DEFAULT_THEME_IDS) -> tuple[MicroTraining | None, list]:
    """Parse one micro-training from TOML text: (training or None, every problem found)."""
    problems = Problems(source)
    data = _parse(text, problems)
    training = read_training(data, themes, problems) if data is not None else None
    return (training if not problems.items else None), problems.items


def parse_skill(text: str, source: str = "skill.toml",
                themes: Iterable[str] = DEFAULT_THEME_IDS) -> tuple[Skill | None, list]:
    """Parse one skill from TOML text: (skill or None, every problem found)."""
    problems = Problems(source)
    data = _parse(text, problems)
    skill = read_skill(data, themes, problems) if data is not None else None
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
        file_problems = Problems(relative)
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


def load_themes(path: str | Path, problems: list[str] | None = None) -> dict:
    """The themes of a catalogue folder (its themes.toml, else the three SKY themes)."""
    themes = dict(DEFAULT_THEMES)
    if (Path(path) / "themes.toml").exists():
        theme_problems = Problems("themes.toml")
        data = _read(Path(path) / "themes.toml", theme_problems)
        themes = read_themes(data, theme_problems) if data is not None else themes
        if problems is not None:
            problems.extend(theme_problems.items)
    return themes


def _catalogue_and_problems(path: str | Path) -> tuple[Catalogue, list[str]]:
    root = Path(path)
    problems: list[str] = []
    if not root.is_dir():
        return Catalogue({}, {}, {}), [problem(str(root), N_("(folder)"),
                                               N_("is not a folder"))]
    themes = load_themes(root, problems)
    unreadable: set[str] = set()
    trainings = _scan(root, "trainings", read_training, themes, problems, unreadable)
    skills = _scan(root, "skills", read_skill, themes, problems, set())
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
