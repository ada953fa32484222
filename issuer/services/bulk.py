"""Bulk issuance from a CSV file: one row per learner, a dry run first, then one result per row.

The file is what a partner exports from a spreadsheet, so it is read forgivingly (UTF-8 with or
without a byte-order mark, comma or semicolon) but checked strictly: an unknown column is an
error, because a misspelt gesture column must never silently count as "not yet".

Each row is its own transaction: a bad row is reported and the others still go through (a
background job, services/bulk_jobs.py, carries out chunks of rows, falling back to one row at a
time for a chunk where one fails). Levels,
learners and issuing are intake's (services/intake.py), as for the API: a learner is recognised
by name and e-mail, so running the same file twice issues nothing new (issuance itself is
idempotent per assessment).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer.core.errors import BadgeError
from issuer.core.messages import N_, Joined, Localised, message_of
from issuer.domain.catalogue import LANGUAGE_CODE, Gesture, MicroTraining
from issuer.services import catalogue, consent, learners, tables
from issuer.services.intake import (
    ALREADY_ISSUED,
    ISSUED,
    NOT_YET_ACQUIRED,
    Evaluation,
    Roster,
    issue_all,
    learner_key,
    level_id,
    not_acquired,
    save_evaluations,
)
from issuer.services.intake_requests import EMAIL
from issuer.store.models import Credential, Learner, TrainingSession

# The confirmed file travels back base64-encoded in a form field, and Flask caps form fields at
# 500 kB: 300 kB of CSV (about a thousand learners) fits.
MAX_BYTES = 300_000
MAX_ROWS = 1000
LEARNER_COLUMNS = ("name", "email", "language")
# The consent answers are optional columns: a new learner of a file without them has agreed to
# nothing (services/consent.py), so their badge carries no name.
TRAILING_COLUMNS = ("comment", "activity_start", "activity_end", *consent.COLUMNS)

# Verdicts: the dry run says what would happen, the run says what did (ISSUED, ALREADY_ISSUED
# and NOT_YET_ACQUIRED are intake's, shared with the API).
WILL_ISSUE = "will-issue"
ERROR = "error"


# The CSV file as a whole cannot be used (encoding, size, header): the table reader's error.
BulkFileError = tables.TableError


@dataclass(frozen=True)
class BulkRow:
    """One learner's line of the file, checked and typed."""

    line: int
    name: str
    email: str | None
    language: str | None
    levels: dict[str, str]
    comment: str | None
    activity_start: date | None
    activity_end: date | None
    answers: consent.Consent | None = None  # None: the file has no consent columns

    @property
    def learner_key(self) -> tuple[str, str]:
        """How a learner is recognised: name and e-mail, case-insensitively."""
        return learner_key(self.name, self.email)

    @property
    def evaluation(self) -> Evaluation:
        """What the row says of the learner; its comment is the evaluation's narrative."""
        return Evaluation(self.levels, {}, self.comment, self.activity_start, self.activity_end)


@dataclass
class RowResult:
    """The verdict on one row: what would happen (dry run) or what happened (run)."""

    line: int
    name: str
    verdict: str
    message: str = ""
    credential_uuid: str | None = None
    short_id: str | None = None
    problems: list[str] = field(default_factory=list)
    credential_id: int | None = None  # the row's credential, when this run knows it


def csv_columns(training: MicroTraining) -> list[str]:
    """The header of a bulk file for this micro-training, in the order of the template CSV."""
    return [*LEARNER_COLUMNS, *(gesture.id for gesture in training.gestures), *TRAILING_COLUMNS]


def template_csv(training: MicroTraining) -> str:
    """An empty bulk file (header only) for this micro-training; the BOM lets Excel read UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(csv_columns(training))
    return "\ufeff" + buffer.getvalue()


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without a byte-order mark, at most MAX_BYTES."""
    return tables.decode(data, MAX_BYTES)


def parse(text: str, training: MicroTraining) -> list[BulkRow | RowResult]:
    """Every data row of the file: a BulkRow when it is usable, else a RowResult with ERROR."""
    table = tables.read_csv(text, MAX_ROWS, csv_columns(training))
    _check_header(table.header, training)
    return _mark_duplicates([_row(line, table.header, values, training)
                             for line, values in table.rows])


def _check_header(header: list[str], training: MicroTraining) -> None:
    expected = csv_columns(training)
    problems = tables.header_problems(header, expected,
                                      ("name", *(g.id for g in training.gestures)))
    if problems:
        raise BulkFileError(N_("header: %(problems)s. The columns for %(training)s are: "
                               "%(columns)s", problems=Joined(problems),
                               training=training.id, columns=", ".join(expected)))


def _row(line: int, header: list[str], values: list[str], training: MicroTraining):
    cells = {column: value.strip() for column, value in zip(header, values, strict=False)}
    problems: list[str] = []
    if len(values) > len(header):
        problems.append(N_("%(cells)s cells but the header has %(columns)s columns",
                           cells=len(values), columns=len(header)))
    name = cells.get("name", "")
    if not name:
        problems.append(N_("%(column)s: is empty", column="name"))
    email = cells.get("email") or None
    if email is not None and not EMAIL.match(email):
        problems.append(N_("%(column)s: %(value)s is not an e-mail address", column="email",
                           value=repr(email)))
    language = cells.get("language") or None
    if language is not None and not LANGUAGE_CODE.match(language):
        problems.append(N_("%(column)s: %(value)s is not a language code like en, fr or nl-BE",
                           column="language", value=repr(language)))
    levels = {gesture.id: _level(gesture, cells.get(gesture.id, ""), problems)
              for gesture in training.gestures}
    start = _date(cells, "activity_start", problems)
    end = _date(cells, "activity_end", problems)
    if start and end and end < start:
        problems.append(N_("activity_end: %(end)s is before activity_start %(start)s",
                           end=end, start=start))
    answers = (consent.read_cells(cells, problems)
               if any(column in header for column in consent.COLUMNS) else None)
    if problems:
        return RowResult(line, name, ERROR, Joined(problems), problems=problems)
    return BulkRow(line, name, email, language, levels, cells.get("comment") or None, start, end,
                   answers)


def _level(gesture: Gesture, value: str, problems: list[str]) -> str:
    """A gesture cell: a level id of its rubric, or 'acquired' / 'not-yet'."""
    level = level_id(gesture, value)
    if level is not None:
        return level
    ids = ", ".join(level.id for level in gesture.levels)
    problems.append(N_("%(column)s: %(value)s is not a level; write one of %(levels)s",
                       column=gesture.id, value=repr(value), levels=ids) if value.strip() else
                    N_("%(column)s: is empty; write one of %(levels)s", column=gesture.id,
                       levels=ids))
    return ""


def _date(cells: dict[str, str], column: str, problems: list[str]) -> date | None:
    value = cells.get(column, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(N_("%(column)s: %(value)s is not a date like 2025-03-14", column=column,
                           value=repr(value)))
        return None


def _mark_duplicates(rows: list[BulkRow | RowResult]) -> list[BulkRow | RowResult]:
    """A learner listed twice would be evaluated twice: the second line is an error."""
    first_line: dict[tuple[str, str], int] = {}
    checked: list[BulkRow | RowResult] = []
    for row in rows:
        if isinstance(row, BulkRow) and row.learner_key in first_line:
            message = N_("same learner as line %(line)s", line=first_line[row.learner_key])
            row = RowResult(row.line, row.name, ERROR, message, problems=[message])
        elif isinstance(row, BulkRow):
            first_line[row.learner_key] = row.line
        checked.append(row)
    return checked


# ---------------------------------------------------------------------------------------------
# Dry run and run


def preview(db: Session, session: TrainingSession, data: bytes) -> list[RowResult]:
    """What running the file would do, row by row; writes nothing."""
    training = catalogue.training_of(session.template)
    roster = Roster(db, session.organisation_id, session)
    rows = parse(decode(data), training)
    roster.read_ahead([row.email for row in rows if isinstance(row, BulkRow)])
    return [_verdict(row, training, roster) for row in rows]


def _verdict(row, training: MicroTraining, roster: Roster) -> RowResult:
    if isinstance(row, RowResult):
        return row
    enrolment = roster.find(row.name, row.email)
    if enrolment is not None and enrolment.credential is not None:
        return _already(row, enrolment.credential)
    if training.is_validated(row.levels):
        return RowResult(row.line, row.name, WILL_ISSUE)
    return RowResult(row.line, row.name, NOT_YET_ACQUIRED, _not_yet(training, row.levels))


def run(db: Session, session: TrainingSession, data: bytes, actor,
        now: datetime | None = None) -> list[RowResult]:
    """Save every usable row's assessment and issue where every gesture is acquired.

    Commits after each row and rolls back a failing row alone, so the result list is exactly
    what is now in the database.
    """
    training = catalogue.training_of(session.template)
    rows = parse(decode(data), training)
    roster = Roster(db, session.organisation_id, session)
    return [row if isinstance(row, RowResult) else _run_row(db, session, training, row,
                                                                roster, actor, now)
            for row in rows]


def _run_row(db: Session, session: TrainingSession, training: MicroTraining, row: BulkRow,
             roster: Roster, actor, now: datetime | None) -> RowResult:
    try:
        result = carry_out(db, session, training, row, roster, actor, now)
        db.commit()
    except (BadgeError, SQLAlchemyError) as error:  # NotIssuable is a BadgeError
        db.rollback()
        return failed(row, error)
    return result


def carry_out(db: Session, session: TrainingSession, training: MicroTraining, row: BulkRow,
              roster: Roster, actor, now: datetime | None) -> RowResult:
    """Save one row's evaluation and issue when it validates; the caller commits, or rolls
    back on a BadgeError or SQLAlchemyError (then `failed` says what went wrong)."""
    return carry_out_many(db, session, training, [row], roster, actor, now)[0]


def carry_out_many(db: Session, session: TrainingSession, training: MicroTraining,
                   rows: list[BulkRow], roster: Roster, actor,
                   now: datetime | None) -> list[RowResult]:
    """`carry_out` for a chunk of rows (a bulk job): each row's learner and evaluation are
    saved, then the validated ones are issued together (intake.issue_all). The caller commits
    all or nothing."""
    roster.read_ahead([row.email for row in rows])
    results: dict[int, RowResult] = {}
    known: list[tuple[BulkRow, Learner]] = []
    new: list[BulkRow] = []
    for row in rows:
        enrolment = roster.find(row.name, row.email)
        if enrolment is not None and enrolment.credential is not None:
            results[row.line] = _already(row, enrolment.credential)
        elif enrolment is not None:
            known.append((row, enrolment.learner))
        else:
            new.append(row)
    created = learners.create_learners(db, session.organisation, [
        learners.NewLearner(row.name, row.email, row.language or session.language, row.answers)
        for row in new], actor) if new else []
    evaluated = known + list(zip(new, created, strict=True))
    assessments = save_evaluations(db, session, [(learner, row.evaluation)
                                                 for row, learner in evaluated], actor)
    waiting = []
    for (row, _), assessment in zip(evaluated, assessments, strict=True):
        if training.is_validated(row.levels):
            waiting.append((row, assessment))
        else:
            results[row.line] = RowResult(row.line, row.name, NOT_YET_ACQUIRED,
                                          _not_yet(training, row.levels))
    waiting.sort(key=lambda pair: pair[0].line)  # badges issued in the file's order
    if waiting:
        issued = issue_all(db, [assessment for _, assessment in waiting], actor, now)
        for (row, _), credential in zip(waiting, issued, strict=True):
            results[row.line] = RowResult(row.line, row.name, ISSUED,
                                          credential_uuid=credential.uuid,
                                          short_id=credential.short_id,
                                          credential_id=credential.id)
    return [results[row.line] for row in rows]


def failed(row: BulkRow, error: Exception) -> RowResult:
    """The ERROR result of a row whose transaction was rolled back."""
    return RowResult(row.line, row.name, ERROR, message(error))


def _already(row: BulkRow, credential: Credential) -> RowResult:
    return RowResult(row.line, row.name, ALREADY_ISSUED, credential_uuid=credential.uuid,
                     short_id=credential.short_id, credential_id=credential.id)


def _not_yet(training: MicroTraining, levels: dict[str, str]) -> str:
    """The gestures not acquired, named in the reader's language when shown (English in JSON)."""
    return Joined([Localised(gesture.name) for gesture in not_acquired(training, levels)], ", ")


def message(error: Exception) -> str:
    """What a row's error says, translatable; a database error never shows its text."""
    if isinstance(error, SQLAlchemyError):
        return N_("could not be saved (database error); try this row again")
    return message_of(error) or str(error) or type(error).__name__


def summary(results: Iterable[RowResult]) -> dict[str, int]:
    """How many rows got each verdict."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result.verdict] = counts.get(result.verdict, 0) + 1
    return counts
