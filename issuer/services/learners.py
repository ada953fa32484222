"""Learners: the least personal data that works, and erasure on request.

Erasure revokes every badge of the learner, then removes their personal data from the database:
the name becomes "erased", e-mail and wallet DID are dropped, comments and photos deleted, and
the stored copies of their credentials are redacted (subject identifiers, narrative, evidence).
The signed copy the learner holds stays theirs; checking it shows it as revoked.

Every other trace goes too: the comments of each evaluation sent from a phone, a typed
revocation reason (it may name the person) becomes the
erasure's, the code they chose for their claim link, the API's idempotency keys and request
fingerprints of their badges, wallet exchanges and offers (the wallet's DID), the audit log's
reasons and holder DIDs, the link to their other records in skill progress, and their lines
in bulk files (their result rows are renamed; a finished job's file is dropped whole, it is
never read again). On SQLite, `secure_delete` (store/db.py) zeroes what is deleted, and
`forget_deleted` empties the write-ahead log after the commit.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import Session

from issuer.core.builders import normalize_email
from issuer.core.clock import utc_seconds
from issuer.core.errors import BuildError
from issuer.core.messages import N_
from issuer.store.job_models import DONE, BulkJob, BulkJobRow
from issuer.store.models import (
    ApiIdempotencyKey,
    Assessment,
    AuditEvent,
    Credential,
    EvaluationSubmission,
    Learner,
    Organisation,
)
from issuer.store.ob_api_models import OAuthGrant, PushRequest, ReceivedCredential
from issuer.store.stacking_models import SkillAward
from issuer.store.wallet_models import CredentialOffer, WalletExchange

from . import consent
from .base import Actor, ServiceError, audit, require_organisation
from .revocation import revoke

ERASED_NAME = "erased"
ERASURE_REASON = "Withdrawn at the learner's request (personal data erased)"
# Audit details that may hold what the person typed or their wallet's DID.
PERSONAL_DETAILS = ("reason", "holder")


def create_learner(db: Session, org: Organisation, name: str, email: str | None = None,
                   language: str | None = None, actor: Actor = None,
                   answers: consent.Consent | None = None) -> Learner:
    """Quick-add a learner: a name is enough; e-mail, language and consent are optional (no
    answers recorded: the learner agreed to nothing yet)."""
    return create_learners(db, org, [NewLearner(name, email, language, answers)], actor)[0]


@dataclass(frozen=True)
class NewLearner:
    """One learner to create (see `create_learner`)."""

    name: str
    email: str | None = None
    language: str | None = None
    answers: consent.Consent | None = None


def create_learners(db: Session, org: Organisation, new: list[NewLearner],
                    actor: Actor = None) -> list[Learner]:
    """`create_learner` for several learners (a chunk of a bulk job), inserted in one flush."""
    require_organisation(actor, org.id)
    learners = []
    for person in new:
        name = " ".join((person.name or "").split())
        if not name:
            raise ServiceError(N_("a learner needs a name (as it should appear on the badge)"))
        email = person.email
        if email:
            try:
                email = normalize_email(email)
            except BuildError as error:
                raise ServiceError(str(error)) from None
        # A new learner has no consent rows yet: said here, reading them costs no query.
        learners.append(Learner(organisation_id=org.id, name=name, email=email or None,
                                language=person.language or None, consents=[]))
    db.add_all(learners)
    db.flush()
    for learner, person in zip(learners, new, strict=True):
        if person.answers is not None:
            consent.record(db, learner, person.answers, actor)
    return learners


def erase_learner(db: Session, learner: Learner, actor: Actor,
                  now: datetime | None = None) -> Learner:
    """Revoke the learner's badges and remove their personal data from the database."""
    require_organisation(actor, learner.organisation_id)
    now = utc_seconds(now)
    credentials = db.scalars(select(Credential).where(Credential.learner_id == learner.id)).all()
    for credential in credentials:
        if credential.revoked_at is None:
            revoke(db, credential, ERASURE_REASON, actor, now)
        credential.revocation_reason = ERASURE_REASON
        credential.claim_code_hash = None
        credential.claim_code_failures = 0
        credential.claim_code_locked_until = None
        credential.claim_opened_at = None
        credential.signed_json = json.dumps(redacted(json.loads(credential.signed_json)),
                                            ensure_ascii=False)
    assessments = db.scalars(select(Assessment).where(Assessment.learner_id == learner.id)).all()
    for assessment in assessments:
        assessment.comments = {}
        assessment.narrative = None
        for evidence in list(assessment.evidence):
            db.delete(evidence)
        # Each submission from a trainer's phone stays (a replay is answered from it), empty.
        for submission in db.scalars(select(EvaluationSubmission).where(
                EvaluationSubmission.assessment_id == assessment.id)):
            submission.comments = {}
            submission.narrative = None
    _forget_traces(db, learner, [credential.id for credential in credentials],
                   {credential.uuid for credential in credentials})
    for answer in list(learner.consents):  # who agreed to what is theirs too
        db.delete(answer)
    learner.name = ERASED_NAME
    learner.email = None
    learner.wallet_did = None
    learner.person_uuid = None  # the link to their other records is personal data too
    learner.erased_at = now
    db.flush()
    audit(db, "learner.erase", actor, learner.organisation_id, f"learner:{learner.id}",
          credentials=[c.uuid for c in credentials])
    return learner


def _forget_traces(db: Session, learner: Learner, ids: list[int], uuids: set[str]) -> None:
    """Remove what the learner left beside their record and badges (see the module's doc)."""
    # What hosts sent them, and the hosts' access (OB 3.0 API): theirs too.
    db.execute(delete(ReceivedCredential).where(ReceivedCredential.learner_id == learner.id))
    db.execute(update(OAuthGrant).where(OAuthGrant.learner_id == learner.id,
                                        OAuthGrant.revoked_at.is_(None))
               .values(revoked_at=utc_seconds()))
    if ids:
        db.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.credential_id.in_(ids)))
        db.execute(delete(WalletExchange).where(or_(
            WalletExchange.credential_id.in_(ids), WalletExchange.issued_credential_id.in_(ids))))
        db.execute(delete(CredentialOffer).where(CredentialOffer.credential_id.in_(ids)))
        db.execute(delete(PushRequest).where(PushRequest.credential_id.in_(ids)))
    for event in db.scalars(select(AuditEvent).where(
            AuditEvent.organisation_id == learner.organisation_id,
            or_(AuditEvent.subject.in_(uuids), AuditEvent.action == "learner.link"))):
        if event.action == "learner.link":
            if learner.id in (event.detail or {}).get("learners", []):
                event.subject = None  # "person:<uuid>" tied this record to the others
        elif any(key in (event.detail or {}) for key in PERSONAL_DETAILS):
            event.detail = {key: value for key, value in event.detail.items()
                            if key not in PERSONAL_DETAILS}
    for award in db.scalars(select(SkillAward).where(SkillAward.learner_id == learner.id,
                                                     SkillAward.person_key.like("person:%"))):
        award.person_key = f"erased:{award.id}"
    _forget_bulk_lines(db, learner, ids)


def _forget_bulk_lines(db: Session, learner: Learner, ids: list[int]) -> None:
    """Rename the learner's result rows in bulk jobs and blank their lines in the files."""
    name = learner.name.casefold()
    rows = db.scalars(select(BulkJobRow).join(BulkJob).where(
        BulkJob.organisation_id == learner.organisation_id,
        or_(BulkJobRow.credential_id.in_(ids) if ids else False,
            BulkJobRow.credential_id.is_(None)))).all()
    jobs: set[int] = set()
    for row in rows:
        if row.credential_id is not None or row.name.casefold() == name:
            row.name = ERASED_NAME
            row.message = None
            jobs.add(row.job_id)
    for job in db.scalars(select(BulkJob).where(
            BulkJob.organisation_id == learner.organisation_id)):
        if job.status == DONE:
            if job.id in jobs:
                job.csv_data = b""
        elif job.csv_data:
            job.csv_data = without_learner(job.csv_data, learner.name, learner.email)


def without_learner(data: bytes, name: str, email: str | None) -> bytes:
    """A bulk file with the learner's lines blanked; every other line keeps its number, so a
    job that is not finished resumes on the right rows (a blank line is skipped)."""
    try:
        lines = io.StringIO(data.decode("utf-8-sig")).readlines()
    except UnicodeDecodeError:
        return data
    if not lines:
        return data
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(iter(lines), delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader, [])]
    wanted = {("name", " ".join(name.split()).casefold())}
    if email:
        wanted.add(("email", email.strip().casefold()))
    changed, first = False, reader.line_num
    for values in reader:
        cells = {(column, " ".join(value.split()).casefold())
                 for column, value in zip(header, values, strict=False)}
        if cells & wanted:
            for number in range(first, reader.line_num):
                lines[number] = "\r\n" if number == first else "\n"
            changed = True
        first = reader.line_num
    return ("".join(lines)).encode("utf-8") if changed else data


def forget_deleted(db: Session) -> None:
    """After an erasure's commit on SQLite: copy the write-ahead log into the database and
    empty it, so no earlier page image of the erased rows stays in the `-wal` file.

    No VACUUM: `secure_delete` already zeroes deleted rows and freed pages, and VACUUM would
    rewrite the whole file under a lock that stops every worker while it runs."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.commit()


def redacted(credential: dict) -> dict:
    """A credential without what identifies its learner; its proof no longer verifies."""
    copy = dict(credential)
    subject = dict(copy.get("credentialSubject") or {})
    for key in ("id", "identifier", "narrative", "result", "activityStartDate",
                "activityEndDate"):
        subject.pop(key, None)
    copy["credentialSubject"] = subject
    copy.pop("evidence", None)
    copy["redacted"] = True
    return copy


def is_redacted(document: dict) -> bool:
    """Whether a stored credential was redacted by erasure."""
    return document.get("redacted") is True


