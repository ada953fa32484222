"""Pilot statistics: badges issued and gestures not yet acquired, per partner, theme,
micro-training and gesture. Counts only, never a learner's name: partners compare results
across the pilot without seeing one another's learners.

Definitions (they head the CSV export too):
- assessed: learners with at least one gesture evaluated in a session;
- issued: micro-training credentials issued (a badge's wallet copy does not count again);
- revoked: of those issued, how many were revoked since;
- not_yet_acquired: assessed learners without a credential whose levels do not meet the rule.

Only learners who agreed to be counted are (services/consent.py): the others are in no count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.domain.catalogue import MicroTraining
from issuer.services import catalogue
from issuer.store.models import (
    AchievementTemplate,
    Assessment,
    Credential,
    Organisation,
    TrainingSession,
)

from .consent import STATISTICS, learners_who_agreed
from .exports import csv_text

DIMENSIONS = ("partner", "theme", "micro_training", "gesture")
TALLY_COLUMNS = ("assessed", "issued", "revoked", "not_yet_acquired")


@dataclass(frozen=True)
class Tally:
    """The counts of one group (a partner, a theme or a micro-training)."""

    key: str
    label: str
    assessed: int
    issued: int
    revoked: int
    not_yet_acquired: int


@dataclass(frozen=True)
class GestureTally:
    """How often one gesture of one micro-training was judged acquired or not yet."""

    training_id: str
    gesture_id: str
    label: str
    acquired: int
    not_yet_acquired: int


@dataclass(frozen=True)
class PilotStatistics:
    """Every table of the statistics page, each sorted by key."""

    partner: list[Tally]
    theme: list[Tally]
    micro_training: list[Tally]
    gesture: list[GestureTally]


def pilot_statistics(db: Session, language: str = "en") -> PilotStatistics:
    """The pilot's counts across every organisation; names in `language` where translated."""
    counters = {dimension: Counter() for dimension in DIMENSIONS[:3]}
    labels: dict[tuple[str, str], str] = {}
    trainings: dict[int, MicroTraining] = {}
    gestures: Counter = Counter()

    for assessment, template, organisation, credential in _assessments(db):
        training = _training(trainings, template)
        groups = _groups(organisation, template, training, language, labels)
        if not assessment.levels:
            continue
        _count(counters, groups, "assessed")
        if credential is None and not training.is_validated(_known(training, assessment)):
            _count(counters, groups, "not_yet_acquired")
        for gesture in training.gestures:
            level = assessment.levels.get(gesture.id)
            if level in {lvl.id for lvl in gesture.levels}:
                outcome = "acquired" if gesture.is_acquired(level) else "not_yet_acquired"
                gestures[(training.id, gesture.id, outcome)] += 1
                labels[("gesture", f"{training.id}/{gesture.id}")] = gesture.name_in(language)

    for credential, template, organisation in _credentials(db):
        training = _training(trainings, template)
        groups = _groups(organisation, template, training, language, labels)
        _count(counters, groups, "issued")
        if credential.revoked_at is not None:
            _count(counters, groups, "revoked")

    return PilotStatistics(
        **{dimension: _tallies(dimension, counters[dimension], labels)
           for dimension in DIMENSIONS[:3]},
        gesture=_gesture_tallies(gestures, labels),
    )


def _assessments(db: Session):
    return db.execute(
        select(Assessment, AchievementTemplate, Organisation, Credential)
        .join(TrainingSession, Assessment.session_id == TrainingSession.id)
        .join(AchievementTemplate, TrainingSession.template_pk == AchievementTemplate.id)
        .join(Organisation, TrainingSession.organisation_id == Organisation.id)
        .outerjoin(Credential, Credential.assessment_id == Assessment.id)
        .where(AchievementTemplate.kind == "training",
               Assessment.learner_id.in_(learners_who_agreed(STATISTICS)))
    ).all()


def _credentials(db: Session):
    """Micro-training credentials as issued: a wallet copy (which `supersedes` the printed
    original) is the same badge and is not counted again."""
    return db.execute(
        select(Credential, AchievementTemplate, Organisation)
        .join(AchievementTemplate, Credential.template_pk == AchievementTemplate.id)
        .join(Organisation, Credential.organisation_id == Organisation.id)
        .where(Credential.kind == "training", Credential.supersedes_id.is_(None),
               Credential.learner_id.in_(learners_who_agreed(STATISTICS)))
    ).all()


def _training(cache: dict[int, MicroTraining], template: AchievementTemplate) -> MicroTraining:
    if template.id not in cache:
        cache[template.id] = catalogue.training_of(template)
    return cache[template.id]


def _known(training: MicroTraining, assessment: Assessment) -> dict[str, str]:
    """The assessment's levels that still exist in the template (a level may be renamed)."""
    valid = {gesture.id: {level.id for level in gesture.levels} for gesture in training.gestures}
    return {gesture_id: level for gesture_id, level in assessment.levels.items()
            if level in valid.get(gesture_id, ())}


def _groups(organisation: Organisation, template: AchievementTemplate,
            training: MicroTraining, language: str, labels: dict) -> dict[str, str]:
    """The key of each group this row counts in, remembering each key's label."""
    groups = {"partner": organisation.slug, "theme": template.theme or training.theme,
              "micro_training": template.template_id}
    labels[("partner", organisation.slug)] = organisation.name
    labels.setdefault(("theme", groups["theme"]), groups["theme"])
    labels[("micro_training", template.template_id)] = training.name_in(language)
    return groups


def _count(counters: dict[str, Counter], groups: dict[str, str], column: str) -> None:
    for dimension, key in groups.items():
        counters[dimension][(key, column)] += 1


def _tallies(dimension: str, counter: Counter, labels: dict) -> list[Tally]:
    keys = sorted({key for key, _column in counter})
    return [Tally(key, labels.get((dimension, key), key),
                  *(counter[(key, column)] for column in TALLY_COLUMNS)) for key in keys]


def _gesture_tallies(counter: Counter, labels: dict) -> list[GestureTally]:
    keys = sorted({(training_id, gesture_id) for training_id, gesture_id, _ in counter})
    return [GestureTally(training_id, gesture_id,
                         labels.get(("gesture", f"{training_id}/{gesture_id}"), gesture_id),
                         counter[(training_id, gesture_id, "acquired")],
                         counter[(training_id, gesture_id, "not_yet_acquired")])
            for training_id, gesture_id in keys]


def to_csv(statistics: PilotStatistics, dimension: str) -> str:
    """One table of the statistics as CSV text, header first."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown statistics table {dimension!r}; one of {', '.join(DIMENSIONS)}")
    if dimension == "gesture":
        header = ["micro_training", "gesture", "name", "acquired", "not_yet_acquired"]
        rows = [[g.training_id, g.gesture_id, g.label, g.acquired, g.not_yet_acquired]
                for g in statistics.gesture]
    else:
        header = [dimension, "name", *TALLY_COLUMNS]
        rows = [[t.key, t.label, t.assessed, t.issued, t.revoked, t.not_yet_acquired]
                for t in getattr(statistics, dimension)]
    return csv_text([header, *rows])
