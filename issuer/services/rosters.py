"""A session's roster, imported before the training: one learner a row, with their consent.

Columns: name, email (optional), language (optional), and the four consent answers
(consent_name, consent_email, consent_photo, consent_statistics: yes or no; an empty cell is
"no", as an unticked box). No evaluation: the trainer evaluates during the training.

All or nothing: every row is checked first and one bad row refuses the whole file, naming each
row's problems; a good file is enrolled in the caller's one transaction. A learner the
organisation already knows (same name and e-mail, services/intake.Roster) joins the session as
themselves, so their badges stack; their answers are recorded again from the file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from issuer.core.messages import N_, Joined
from issuer.domain.catalogue import LANGUAGE_CODE
from issuer.store.models import TrainingSession

from . import consent, issuing, learners, tables
from .base import Actor, ServiceError, require_organisation
from .intake import Roster, learner_key
from .intake_requests import EMAIL

MAX_BYTES = 300_000
MAX_ROWS = 200
CONSENT_COLUMNS = consent.COLUMNS
COLUMNS = ("name", "email", "language", *CONSENT_COLUMNS)

ADDED, KNOWN = "added", "known"


class RosterRejected(ServiceError):
    """The file has rows with problems: nothing was imported. `problems` is (line, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(N_("%(count)s row(s) have problems; nothing was imported",
                            count=len(problems)))
        self.problems = problems


@dataclass(frozen=True)
class RosterRow:
    """One checked row."""

    line: int
    name: str
    email: str | None
    language: str | None
    answers: consent.Consent


@dataclass(frozen=True)
class Enrolled:
    """What the import did with one row: a new learner, or one the organisation knew."""

    line: int
    name: str
    outcome: str


def template_csv() -> str:
    """An empty roster (header only); the BOM lets Excel read UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(COLUMNS)
    return "\ufeff" + buffer.getvalue()


def check(data: bytes) -> list[RosterRow]:
    """Every row of the file, checked; raises tables.TableError for an unusable file and
    RosterRejected when any row has a problem."""
    table = tables.read(data, MAX_BYTES, MAX_ROWS, list(COLUMNS))
    _check_header(table.header)
    rows, problems, seen = [], [], {}
    for line, values in table.rows:
        row, wrong = _row(line, table.header, values)
        if row is not None:
            key = learner_key(row.name, row.email)
            if key in seen:
                wrong.append(N_("same learner as line %(line)s", line=seen[key]))
            seen.setdefault(key, line)
        if wrong:
            problems.append((line, Joined(wrong)))
        else:
            rows.append(row)
    if problems:
        raise RosterRejected(problems)
    if not rows:
        raise tables.TableError(N_("the file has a header but no learner"))
    return rows


def _check_header(header: list[str]) -> None:
    problems = tables.header_problems(header, COLUMNS, ("name", *CONSENT_COLUMNS))
    if problems:
        raise tables.TableError(N_("header: %(problems)s. The columns of a roster are: "
                                   "%(columns)s", problems=Joined(problems),
                                   columns=", ".join(COLUMNS)))


def _row(line: int, header: list[str], values: list[str]):
    cells = {column: value.strip() for column, value in zip(header, values, strict=False)}
    problems = []
    if len(values) > len(header):
        problems.append(N_("%(cells)s cells but the header has %(columns)s columns",
                           cells=len(values), columns=len(header)))
    name = " ".join(cells.get("name", "").split())
    if not name:
        problems.append(N_("%(column)s: is empty", column="name"))
    elif len(name) > 200:
        problems.append(N_("%(column)s: is too long (at most %(count)s characters)",
                           column="name", count=200))
    email = cells.get("email") or None
    if email is not None and (len(email) > 320 or not EMAIL.match(email)):
        problems.append(N_("%(column)s: %(value)s is not an e-mail address", column="email",
                           value=repr(email[:80])))
    language = cells.get("language") or None
    if language is not None and not LANGUAGE_CODE.match(language):
        problems.append(N_("%(column)s: %(value)s is not a language code like en, fr or nl-BE",
                           column="language", value=repr(language[:20])))
    answers = consent.read_cells(cells, problems)
    if problems:
        return None, problems
    return RosterRow(line, name, email, language, answers), problems


def import_roster(db: Session, session: TrainingSession, data: bytes,
                  actor: Actor) -> list[Enrolled]:
    """Enrol every learner of the file in `session` with their answers; the caller commits
    (one transaction). Raises TableError or RosterRejected, with nothing written."""
    require_organisation(actor, session.organisation_id)
    rows = check(data)
    roster = Roster(db, session.organisation_id, session)
    enrolled_here = {learner_key(e.learner.name, e.learner.email) for e in roster.enrolled()}
    already = [(row.line, N_("already in this session")) for row in rows
               if learner_key(row.name, row.email) in enrolled_here]
    if already:
        raise RosterRejected(already)
    done = []
    for row in rows:
        found = roster.find(row.name, row.email)
        if found is None:
            learner = learners.create_learner(db, session.organisation, row.name, row.email,
                                              row.language or session.language, actor,
                                              answers=row.answers)
        else:
            learner = found.learner
            consent.record(db, learner, row.answers, actor)
        issuing.save_assessment(db, session.id, learner.id, {}, {}, None, actor)
        done.append(Enrolled(row.line, row.name, ADDED if found is None else KNOWN))
    return done
