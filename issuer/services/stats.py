"""Pilot statistics: badges issued and gestures not yet acquired, per partner, theme,
micro-training and gesture. Counts only, never a learner's name: partners compare results
across the pilot without seeing one another's learners.

Definitions (they head the CSV export too):
- assessed: learners with at least one gesture evaluated in a session;
- issued: micro-training credentials issued (a badge's wallet copy does not count again);
- revoked: of those issued, how many were revoked since;
- not_yet_acquired: assessed learners without a credential whose levels do not meet the rule.

Every figure can be narrowed with a `StatsFilter` (period, partner, theme, micro-training,
trainer, language). The period is the training session's first day for assessments and the day
of issue for credentials. A partner admin's filter is always their own organisation
(`parse_filter` sees to it); only the coordinator looks across partners.

Only learners who agreed to be counted are (services/consent.py): the others are in no count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from issuer.core.messages import N_
from issuer.domain.catalogue import MicroTraining
from issuer.languages import LANGUAGES
from issuer.services import catalogue
from issuer.store.models import (
    AchievementTemplate,
    Assessment,
    Credential,
    Organisation,
    TrainingSession,
    User,
)
from issuer.store.report_models import (
    FOLLOW_UP_MONTHS,
    OUTCOMES,
    CredentialViewDay,
    LearnerOutcome,
    PartnerTarget,
)
from issuer.store.stacking_models import ISSUED, SkillAward, SkillAwardPart

from .base import PermissionDenied, ServiceError, audit, settings_of
from .consent import STATISTICS, learners_who_agreed
from .exports import csv_text

DIMENSIONS = ("partner", "theme", "micro_training", "gesture")
TALLY_COLUMNS = ("assessed", "issued", "revoked", "not_yet_acquired")
# Every table the statistics export (the four above, then the path, targets and outcomes).
EXPORTS = (*DIMENSIONS, "funnel", "targets", "outcomes", "gestures_ranked")


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


class InvalidFilter(ServiceError):
    """A statistics filter names a value that does not exist or is malformed."""


class InvalidTarget(ServiceError):
    """A partner's target is not a whole number in range."""


FILTER_FIELDS = ("from", "to", "partner", "theme", "training", "trainer", "language")
MAX_FILTER_LENGTH = 100


@dataclass(frozen=True)
class StatsFilter:
    """What the figures are narrowed to; None everywhere is the whole pilot, all time."""

    start: date | None = None
    end: date | None = None
    partner: str | None = None  # organisation slug
    theme: str | None = None
    training: str | None = None  # template_id
    trainer: int | None = None  # user id
    language: str | None = None

    def query(self) -> dict[str, str]:
        """The filter as query-string arguments (for links to exports), empty ones left out."""
        values = {"from": self.start, "to": self.end, "partner": self.partner,
                  "theme": self.theme, "training": self.training, "trainer": self.trainer,
                  "language": self.language}
        return {name: str(value) for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class FilterChoices:
    """The values a viewer may pick from: (value, label) pairs."""

    partners: list[tuple[str, str]]
    themes: list[tuple[str, str]]
    trainings: list[tuple[str, str]]
    trainers: list[tuple[str, str]]
    languages: list[tuple[str, str]]


def filter_choices(db: Session, viewer: User, language: str = "en") -> FilterChoices:
    """The partners, themes, micro-trainings, trainers and languages `viewer` may filter on."""
    organisations = db.scalars(select(Organisation).order_by(Organisation.name)).all()
    if viewer.role != "coordinator":
        organisations = [org for org in organisations if org.id == viewer.organisation_id]
    templates = db.scalars(select(AchievementTemplate).where(
        AchievementTemplate.kind == "training", AchievementTemplate.current.is_(True))).all()
    trainings = sorted({(t.template_id, catalogue.template_name(t, language)) for t in templates},
                       key=lambda pair: pair[1].casefold())
    themes = sorted({t.theme or catalogue.training_of(t).theme for t in templates})
    names = catalogue.theme_names(settings_of(db).catalogue_path, language)
    trainers = db.scalars(select(User).where(
        User.organisation_id.in_([org.id for org in organisations]),
        User.role.in_(("trainer", "admin"))).order_by(User.name)).all()
    return FilterChoices(
        partners=[(org.slug, org.name) for org in organisations],
        themes=[(theme, names.get(theme, theme)) for theme in themes],
        trainings=trainings,
        trainers=[(str(user.id), user.name) for user in trainers],
        languages=list(LANGUAGES.items()))


def parse_filter(db: Session, args: Mapping[str, str], viewer: User) -> StatsFilter:
    """The filter a query string asks for, checked against what exists and what `viewer` may
    see: InvalidFilter for a malformed or unknown value, PermissionDenied when a partner admin
    asks for another partner. A partner admin's filter always names their own organisation."""
    raw = {name: (args.get(name) or "").strip() for name in FILTER_FIELDS}
    for name, value in raw.items():
        if len(value) > MAX_FILTER_LENGTH:
            raise InvalidFilter(N_("The filter “%(field)s” is too long.", field=name))
    start, end = _date(raw["from"], "from"), _date(raw["to"], "to")
    if start and end and start > end:
        raise InvalidFilter(N_("The period ends before it starts."))
    choices = filter_choices(db, viewer)
    own = db.get(Organisation, viewer.organisation_id)
    partner = raw["partner"] or None
    if viewer.role != "coordinator":
        if partner not in (None, own.slug):
            raise PermissionDenied(N_("You may only see your own organisation's figures."))
        partner = own.slug
    elif partner is not None and partner not in dict(choices.partners):
        raise InvalidFilter(N_("There is no partner “%(value)s”.", value=partner))
    for field, options in (("theme", choices.themes), ("training", choices.trainings),
                           ("trainer", choices.trainers), ("language", choices.languages)):
        if raw[field] and raw[field] not in dict(options):
            raise InvalidFilter(N_("“%(value)s” is not a known %(field)s.",
                                   value=raw[field], field=field))
    return StatsFilter(start=start, end=end, partner=partner, theme=raw["theme"] or None,
                       training=raw["training"] or None,
                       trainer=int(raw["trainer"]) if raw["trainer"] else None,
                       language=raw["language"] or None)


def _date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidFilter(N_("“%(value)s” is not a date (YYYY-MM-DD) for “%(field)s”.",
                               value=value, field=field)) from None


def pilot_statistics(db: Session, language: str = "en",
                     where: StatsFilter = StatsFilter()) -> PilotStatistics:
    """The pilot's counts across every organisation; names in `language` where translated.
    Only what `where` lets through is counted."""
    counters = {dimension: Counter() for dimension in DIMENSIONS[:3]}
    labels = _theme_labels(db, language)
    trainings: dict[int, MicroTraining] = {}
    gestures: Counter = Counter()

    for assessment, template, organisation, credential in _assessments(db, where):
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

    for credential, template, organisation in _credentials(db, where):
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


def _assessments(db: Session, where: StatsFilter):
    query = (
        select(Assessment, AchievementTemplate, Organisation, Credential)
        .join(TrainingSession, Assessment.session_id == TrainingSession.id)
        .join(AchievementTemplate, TrainingSession.template_pk == AchievementTemplate.id)
        .join(Organisation, TrainingSession.organisation_id == Organisation.id)
        .outerjoin(Credential, Credential.assessment_id == Assessment.id)
        .where(AchievementTemplate.kind == "training",
               Assessment.learner_id.in_(learners_who_agreed(STATISTICS)))
    )
    if where.start is not None:
        query = query.where(TrainingSession.starts_on >= where.start)
    if where.end is not None:
        query = query.where(TrainingSession.starts_on <= where.end)
    if where.language is not None:
        query = query.where(TrainingSession.language == where.language)
    if where.trainer is not None:
        query = query.where(TrainingSession.trainer_id == where.trainer)
    return db.execute(_common(query, where)).all()


def _credentials(db: Session, where: StatsFilter):
    """Micro-training credentials as issued: a wallet copy (which `supersedes` the printed
    original) is the same badge and is not counted again."""
    query = (
        select(Credential, AchievementTemplate, Organisation)
        .join(AchievementTemplate, Credential.template_pk == AchievementTemplate.id)
        .join(Organisation, Credential.organisation_id == Organisation.id)
        .where(Credential.kind == "training", Credential.supersedes_id.is_(None),
               Credential.learner_id.in_(learners_who_agreed(STATISTICS)))
    )
    if where.start is not None:
        query = query.where(Credential.issued_at >= _midnight(where.start))
    if where.end is not None:
        query = query.where(Credential.issued_at < _midnight(where.end + timedelta(days=1)))
    if where.language is not None:
        query = query.where(Credential.language == where.language)
    if where.trainer is not None:
        # A badge counts for the trainer of the session it was evaluated in.
        evaluated = aliased(Assessment)
        query = (query.join(evaluated, Credential.assessment_id == evaluated.id)
                 .join(TrainingSession, evaluated.session_id == TrainingSession.id)
                 .where(TrainingSession.trainer_id == where.trainer))
    return db.execute(_common(query, where)).all()


def _common(query, where: StatsFilter):
    """The partner, theme and micro-training parts of the filter, on a query that joins
    AchievementTemplate and Organisation."""
    if where.partner is not None:
        query = query.where(Organisation.slug == where.partner)
    if where.training is not None:
        query = query.where(AchievementTemplate.template_id == where.training)
    if where.theme is not None:
        query = query.where(AchievementTemplate.theme == where.theme)
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


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


def _theme_labels(db: Session, language: str) -> dict[tuple[str, str], str]:
    """The themes' names in `language`, as the tables' labels start (ids for unknown themes)."""
    names = catalogue.theme_names(settings_of(db).catalogue_path, language)
    return {("theme", theme_id): name for theme_id, name in names.items()}


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


def funnel_rows(funnel: PilotFunnel) -> list[list]:
    """The learner's path as a table: one row per group, a count and a drop-off per step."""
    header = ["group", "key", "name"]
    for step, _base in FUNNEL_STEPS:
        header += [step, f"{step}_dropped"]
    rows = []
    for group, funnel_rows in (("all", [funnel.total]), ("partner", funnel.partner),
                               ("theme", funnel.theme)):
        for row in funnel_rows:
            cells = [group, row.key, row.label]
            for step in row.steps:
                cells += [step.count, step.dropped]
            rows.append(cells)
    return [header, *rows]


def targets_rows(progress: list[TargetProgress]) -> list[list]:
    """Progress toward each partner's targets as a table (an empty cell: no target set)."""
    header = ["partner", "name", "learners", "learners_target", "micro_trainings",
              "micro_trainings_target"]
    return [header, *([p.key, p.label, p.learners, p.learners_target,
                       p.micro_trainings, p.micro_trainings_target] for p in progress)]


def outcomes_rows(report: OutcomeReport) -> list[list]:
    """Follow-ups per micro-training and theme as a table."""
    header = ["group", "key", "name", "months", *OUTCOMES, "not_recorded"]
    return [header, *(
        [group, row.key, row.label, row.months, *(row.situations[name] for name in OUTCOMES),
         row.not_recorded]
        for group, rows in (("micro_training", report.micro_training), ("theme", report.theme))
        for row in rows)]


def gestures_rows(acquisitions: list[GestureAcquisition]) -> list[list]:
    """Gestures from most to least often acquired, with the attempts they took, as a table."""
    header = ["micro_training", "gesture", "name", "learners", "acquired", "attempts_to_acquire"]
    return [header, *([g.training_id, g.gesture_id, g.label, g.learners, g.acquired,
                       g.attempts_to_acquire] for g in acquisitions)]


def export_rows(db: Session, dimension: str, language: str, where: StatsFilter) -> list[list]:
    """One exported table (a name of EXPORTS), header first, for the selection `where`."""
    if dimension == "funnel":
        return funnel_rows(learner_funnel(db, language, where))
    if dimension == "targets":
        return targets_rows(target_progress(db, where))
    if dimension == "outcomes":
        return outcomes_rows(outcome_report(db, language, where))
    if dimension == "gestures_ranked":
        return gestures_rows(gesture_acquisitions(db, language, where))
    return table_rows(pilot_statistics(db, language, where), dimension)


def to_csv(statistics: PilotStatistics, dimension: str) -> str:
    """One table of the statistics as CSV text, header first."""
    return csv_text(table_rows(statistics, dimension))


def table_rows(statistics: PilotStatistics, dimension: str) -> list[list]:
    """One table of the statistics, header first."""
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
    return [header, *rows]


# --- the learner's path --------------------------------------------------------------------

# Each step and the step it is measured against. The first six follow one another (a badge
# is claimed through its opened claim link, a wallet copy is made from a claimed badge); the
# last three are counted among issued badges, each on its own, since an employer scans a
# printed card whether or not it was ever claimed.
FUNNEL_STEPS = (
    ("enrolled", None),
    ("evaluated", "enrolled"),
    ("issued", "evaluated"),
    ("claim_opened", "issued"),
    ("claimed", "claim_opened"),
    ("in_wallet", "claimed"),
    ("viewed", "issued"),
    ("skill_completed", "issued"),
    ("further_training", "issued"),
)


@dataclass(frozen=True)
class FunnelStep:
    """How many (learner, micro-training) pairs reached `step`; `dropped` of its base did not."""

    step: str
    count: int
    base: str | None
    dropped: int


@dataclass(frozen=True)
class FunnelRow:
    key: str
    label: str
    steps: list[FunnelStep]


@dataclass(frozen=True)
class PilotFunnel:
    """The learner's path for the whole selection, per partner and per theme."""

    total: FunnelRow
    partner: list[FunnelRow]
    theme: list[FunnelRow]


def learner_funnel(db: Session, language: str = "en",
                   where: StatsFilter = StatsFilter()) -> PilotFunnel:
    """Enrolled → evaluated → issued → claim link opened → claimed → in a wallet, and among
    issued badges: viewed by someone (counted /v/ page views, never who), part of a completed
    skill, followed by further training (a 3- or 6-month follow-up says so). One count per
    learner and micro-training. A claimed badge counts as opened even if it was claimed before
    openings were recorded (migration 0023)."""
    rows = _assessments(db, where)
    originals = [credential.id for *_rest, credential in rows if credential is not None]
    copies = _wallet_copies(db, originals)
    viewed = _viewed(db, originals + [copy for ids in copies.values() for copy in ids])
    in_skill = _in_issued_skill(db, originals + [c for ids in copies.values() for c in ids])
    further = _further_training(db, {assessment.learner_id for assessment, *_ in rows})
    counters = {"total": Counter(), "partner": Counter(), "theme": Counter()}
    labels = _theme_labels(db, language)
    trainings: dict[int, MicroTraining] = {}
    for assessment, template, organisation, credential in rows:
        training = _training(trainings, template)
        groups = _groups(organisation, template, training, language, labels)
        reached = ["enrolled"]
        if assessment.levels:
            reached.append("evaluated")
        if credential is not None:
            family = {credential.id, *copies.get(credential.id, ())}
            reached.append("issued")
            claimed = credential.claim_code_hash is not None or bool(copies.get(credential.id))
            if claimed or credential.claim_opened_at is not None:
                reached.append("claim_opened")
            if claimed:
                reached.append("claimed")
            if copies.get(credential.id):
                reached.append("in_wallet")
            if family & viewed:
                reached.append("viewed")
            if family & in_skill:
                reached.append("skill_completed")
            if assessment.learner_id in further:
                reached.append("further_training")
        for step in reached:
            counters["total"][("all", step)] += 1
            counters["partner"][(groups["partner"], step)] += 1
            counters["theme"][(groups["theme"], step)] += 1
    return PilotFunnel(
        total=_funnel_row("all", "", counters["total"]),
        partner=[_funnel_row(key, labels.get(("partner", key), key), counters["partner"])
                 for key in sorted({key for key, _ in counters["partner"]})],
        theme=[_funnel_row(key, labels.get(("theme", key), key), counters["theme"])
               for key in sorted({key for key, _ in counters["theme"]})])


def _funnel_row(key: str, label: str, counter: Counter) -> FunnelRow:
    steps = []
    for step, base in FUNNEL_STEPS:
        count = counter[(key, step)]
        steps.append(FunnelStep(step, count, base,
                                counter[(key, base)] - count if base else 0))
    return FunnelRow(key, label, steps)


def _wallet_copies(db: Session, originals: list[int]) -> dict[int, list[int]]:
    copies: dict[int, list[int]] = {}
    for chunk in _chunks(originals):
        for copy_id, original_id in db.execute(
                select(Credential.id, Credential.supersedes_id)
                .where(Credential.supersedes_id.in_(chunk))):
            copies.setdefault(original_id, []).append(copy_id)
    return copies


def _viewed(db: Session, credential_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(credential_ids):
        found.update(db.scalars(select(CredentialViewDay.credential_id).distinct().where(
            CredentialViewDay.credential_id.in_(chunk), CredentialViewDay.views > 0)))
    return found


def _in_issued_skill(db: Session, credential_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(credential_ids):
        found.update(db.scalars(
            select(SkillAwardPart.credential_id)
            .join(SkillAward, SkillAwardPart.award_id == SkillAward.id)
            .where(SkillAwardPart.credential_id.in_(chunk), SkillAward.state == ISSUED)))
    return found


def _further_training(db: Session, learner_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(learner_ids)):
        found.update(db.scalars(select(LearnerOutcome.learner_id).where(
            LearnerOutcome.learner_id.in_(chunk),
            LearnerOutcome.situation == "further_training")))
    return found


def _chunks(ids: list[int], size: int = 500):
    """`ids` in slices small enough for any backend's limit on bound parameters."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


# --- targets -------------------------------------------------------------------------------

MAX_TARGET = 10_000


@dataclass(frozen=True)
class TargetProgress:
    """A partner's targets (None: not set) and how far the selection went toward them."""

    key: str
    label: str
    learners: int
    learners_target: int | None
    micro_trainings: int
    micro_trainings_target: int | None


def target_progress(db: Session, where: StatsFilter = StatsFilter()) -> list[TargetProgress]:
    """Per partner in the selection: learners evaluated (each counted once) and micro-trainings
    run (with at least one learner evaluated), beside the partner's targets."""
    learners: dict[str, set[int]] = {}
    trainings: dict[str, set[str]] = {}
    for assessment, template, organisation, _credential in _assessments(db, where):
        if assessment.levels:
            learners.setdefault(organisation.slug, set()).add(assessment.learner_id)
            trainings.setdefault(organisation.slug, set()).add(template.template_id)
    query = (select(Organisation, PartnerTarget)
             .outerjoin(PartnerTarget, PartnerTarget.organisation_id == Organisation.id)
             .order_by(Organisation.name))
    if where.partner is not None:
        query = query.where(Organisation.slug == where.partner)
    return [TargetProgress(org.slug, org.name, len(learners.get(org.slug, ())),
                           target.learners if target else None,
                           len(trainings.get(org.slug, ())),
                           target.micro_trainings if target else None)
            for org, target in db.execute(query)]


def set_target(db: Session, organisation: Organisation, learners: int, micro_trainings: int,
               actor: User) -> PartnerTarget:
    """Record a partner's targets; the coordinator's to set (PermissionDenied for anyone else)."""
    if actor is None or actor.role != "coordinator":
        raise PermissionDenied(N_("Only the project coordinator sets the partners' targets."))
    for value in (learners, micro_trainings):
        if not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
            raise InvalidTarget(N_("A target is a whole number from 0 to %(most)s.",
                                   most=MAX_TARGET))
    target = db.get(PartnerTarget, organisation.id)
    if target is None:
        target = PartnerTarget(organisation_id=organisation.id)
        db.add(target)
    target.learners, target.micro_trainings = learners, micro_trainings
    target.updated_by_id = actor.id
    audit(db, "target.set", actor, organisation, organisation.slug,
          learners=learners, micro_trainings=micro_trainings)
    return target


# --- outcomes and gestures -----------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRow:
    """Follow-ups at `months` of the learners evaluated in one micro-training or theme."""

    key: str
    label: str
    months: int
    situations: dict[str, int]  # OUTCOMES → learners
    not_recorded: int


@dataclass(frozen=True)
class OutcomeReport:
    micro_training: list[OutcomeRow]
    theme: list[OutcomeRow]


def outcome_report(db: Session, language: str = "en",
                   where: StatsFilter = StatsFilter()) -> OutcomeReport:
    """Per micro-training and per theme, the 3- and 6-month situations of the learners evaluated
    there (a learner evaluated in two micro-trainings counts in each), and how many have no
    follow-up recorded yet."""
    learners: dict[tuple[str, str], set[int]] = {}
    labels = _theme_labels(db, language)
    trainings: dict[int, MicroTraining] = {}
    for assessment, template, organisation, _credential in _assessments(db, where):
        if not assessment.levels:
            continue
        groups = _groups(organisation, template, _training(trainings, template), language,
                         labels)
        for dimension in ("micro_training", "theme"):
            learners.setdefault((dimension, groups[dimension]), set()).add(assessment.learner_id)
    every = sorted({learner for group in learners.values() for learner in group})
    situation: dict[tuple[int, int], str] = {}
    for chunk in _chunks(every):
        for outcome in db.scalars(select(LearnerOutcome).where(
                LearnerOutcome.learner_id.in_(chunk))):
            situation[(outcome.learner_id, outcome.months)] = outcome.situation
    report: dict[str, list[OutcomeRow]] = {"micro_training": [], "theme": []}
    for (dimension, key), members in sorted(learners.items()):
        for months in FOLLOW_UP_MONTHS:
            said = Counter(situation[(learner, months)] for learner in members
                           if (learner, months) in situation)
            report[dimension].append(OutcomeRow(
                key, labels.get((dimension, key), key), months,
                {name: said[name] for name in OUTCOMES}, len(members) - sum(said.values())))
    return OutcomeReport(**report)


def situations_at(report: OutcomeReport, months: int) -> dict[str, int]:
    """Every learner's situation at `months`, over the themes (a learner of two themes counts
    in each, as in the tables)."""
    totals = {name: 0 for name in OUTCOMES}
    for row in report.theme:
        if row.months == months:
            for name, value in row.situations.items():
                totals[name] += value
    return totals


@dataclass(frozen=True)
class GestureAcquisition:
    """How many learners tried and acquired one gesture, and the evaluations it took them."""

    training_id: str
    gesture_id: str
    label: str
    learners: int
    acquired: int
    attempts_to_acquire: float | None  # mean over those who acquired it; None: nobody yet


def gesture_acquisitions(db: Session, language: str = "en",
                         where: StatsFilter = StatsFilter()) -> list[GestureAcquisition]:
    """Every gesture evaluated in the selection, most often acquired first (by share, then
    count). An attempt is one session in which the gesture was evaluated for the learner; the
    attempts to acquire count those up to and including the first one that acquired it."""
    trainings: dict[int, MicroTraining] = {}
    labels = _theme_labels(db, language)
    history: dict[tuple[str, str, int], list[tuple[date, int, bool]]] = {}
    for assessment, template, _organisation, _credential in _assessments(db, where):
        training = _training(trainings, template)
        for gesture in training.gestures:
            level = assessment.levels.get(gesture.id)
            if level not in {lvl.id for lvl in gesture.levels}:
                continue
            labels[(training.id, gesture.id)] = gesture.name_in(language)
            history.setdefault((training.id, gesture.id, assessment.learner_id), []).append(
                (assessment.session.starts_on, assessment.id, gesture.is_acquired(level)))
    tally: dict[tuple[str, str], list[int]] = {}
    tried: Counter = Counter()
    for (training_id, gesture_id, _learner), attempts in history.items():
        tried[(training_id, gesture_id)] += 1
        outcomes = [acquired for _day, _id, acquired in sorted(attempts)]
        if True in outcomes:
            tally.setdefault((training_id, gesture_id), []).append(outcomes.index(True) + 1)
    rows = [GestureAcquisition(
        training_id, gesture_id, labels[(training_id, gesture_id)], tried[key],
        len(tally.get(key, [])),
        round(sum(tally[key]) / len(tally[key]), 2) if tally.get(key) else None)
        for key in tried for training_id, gesture_id in [key]]
    return sorted(rows, key=lambda row: (-row.acquired / row.learners, -row.acquired,
                                         row.training_id, row.gesture_id))


def monthly_acquisitions(db: Session, where: StatsFilter = StatsFilter()) -> list[tuple[str, int]]:
    """Micro-training badges issued per month (`YYYY-MM`), every month from the first to the
    last one of the selection, months without a badge included as 0."""
    months = Counter(credential.issued_at.strftime("%Y-%m")
                     for credential, _template, _organisation in _credentials(db, where))
    if not months:
        return []
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:])
    series = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        series.append((key, months[key]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return series


# --- what may be shown beyond a partner's own view (services/disclosure.py) ------------------

# No published or cross-partner figure stands for 1 to K_ANONYMITY - 1 people.
K_ANONYMITY = 5
