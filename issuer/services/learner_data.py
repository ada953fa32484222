"""A learner's copy of their data (GDPR art. 15 and 20): one zip file for the admin to hand over.

`data.json` holds everything the organisation keeps about the learner: their record, their
evaluations (with the trainer's comments and the evidence photos' names), their badges and
wallet copies, wallet claims, the audit entries about them, and the rows of any other table
that refers to the learner (consents, …), so a table added later is not forgotten. Beside it,
`credentials/<uuid>.json` is each signed credential exactly as stored and `evidence/` each
photo. Only the learner's own organisation's rows are read: a badge, evaluation or audit entry
of another organisation never enters the file, even for records linked as one person.

Secrets are left out (claim-link digests, the hash of the learner's code): they identify
nobody and would only weaken the link on the card.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds, utc_stamp
from issuer.store.models import (
    Assessment,
    AuditEvent,
    Base,
    Credential,
    EvaluationSubmission,
    EvidenceFile,
    Learner,
    TrainingSession,
)
from issuer.store.wallet_models import WalletExchange

from .base import Actor, audit, require_organisation

FORMAT = "sky-badges/learner-data/1"
# Tables read on purpose below; any other table with a learner_id column goes under "other".
_READ = {"learner", "assessment", "credential", "evidence_file", "evaluation_submission"}


def export_zip(db: Session, learner: Learner, actor: Actor, now: datetime | None = None) -> bytes:
    """The zip file of everything held about `learner` (the caller commits the audit entry)."""
    require_organisation(actor, learner.organisation_id)
    now = utc_seconds(now)
    credentials = list(db.scalars(select(Credential).where(
        Credential.learner_id == learner.id,
        Credential.organisation_id == learner.organisation_id).order_by(Credential.id)))
    assessments = list(db.scalars(select(Assessment).join(TrainingSession).where(
        Assessment.learner_id == learner.id,
        TrainingSession.organisation_id == learner.organisation_id).order_by(Assessment.id)))
    evidence = [item for assessment in assessments for item in assessment.evidence]
    document = {
        "format": FORMAT,
        "exported_at": utc_stamp(now),
        "organisation": {"name": learner.organisation.name, "slug": learner.organisation.slug},
        "learner": _row(Learner.__table__, learner),
        "evaluations": [_evaluation(db, assessment) for assessment in assessments],
        "credentials": [_credential(credential) for credential in credentials],
        "wallet_claims": _claims(db, [credential.id for credential in credentials]),
        "audit": _audit(db, learner, {credential.uuid for credential in credentials}),
        "other": _other_tables(db, learner),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2,
                                                 default=_plain))
        for credential in credentials:
            archive.writestr(f"credentials/{credential.uuid}.json", credential.signed_json)
        for item in evidence:
            archive.writestr(f"evidence/{item.uuid}{_suffix(item)}", item.data)
    audit(db, "learner.data_export", actor, learner.organisation_id, f"learner:{learner.id}",
          credentials=len(credentials), evidence=len(evidence))
    return buffer.getvalue()


def _row(table: Table, record) -> dict:
    """A record's columns, without secrets (digests and hashes)."""
    return {column.name: getattr(record, column.key) for column in table.columns
            if not _secret(column.name)}


def _secret(name: str) -> bool:
    return name.endswith(("_sha256", "_hash"))


def _evaluation(db: Session, assessment: Assessment) -> dict:
    session = assessment.session
    submissions = db.scalars(select(EvaluationSubmission).where(
        EvaluationSubmission.assessment_id == assessment.id).order_by(EvaluationSubmission.id))
    return {
        "session": {"title": session.title, "place": session.place,
                    "training": session.template.template_id, "starts_on": session.starts_on,
                    "ends_on": session.ends_on},
        "levels": assessment.levels,
        "comments": assessment.comments,
        "narrative": assessment.narrative,
        "evidence_public": assessment.evidence_public,
        "activity_start": assessment.activity_start,
        "activity_end": assessment.activity_end,
        "updated_at": assessment.updated_at,
        "evidence": [{"file": f"evidence/{item.uuid}{_suffix(item)}", "gesture": item.gesture_id,
                      "filename": item.filename, "media_type": item.media_type,
                      "created_at": item.created_at} for item in assessment.evidence],
        "sent_from_devices": [{"levels": sent.levels, "comments": sent.comments,
                               "narrative": sent.narrative, "outcome": sent.outcome,
                               "sent_at": sent.created_at} for sent in submissions],
    }


def _credential(credential: Credential) -> dict:
    return {
        "file": f"credentials/{credential.uuid}.json",
        "short_id": credential.short_id,
        "kind": credential.kind,
        "training": credential.template.template_id,
        "language": credential.language,
        "issued_at": credential.issued_at,
        "valid_from": credential.valid_from,
        "valid_until": credential.valid_until,
        "revoked_at": credential.revoked_at,
        "revocation_reason": credential.revocation_reason,
        "wallet_copy_of": credential.supersedes_id,
        "claim_code_chosen": credential.claim_code_hash is not None,
    }


def _claims(db: Session, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    exchanges = db.scalars(select(WalletExchange).where(or_(
        WalletExchange.credential_id.in_(ids), WalletExchange.issued_credential_id.in_(ids)))
        .order_by(WalletExchange.id))
    return [{"credential": exchange.credential.uuid, "state": exchange.state,
             "holder_did": exchange.holder_did, "created_at": exchange.created_at,
             "completed_at": exchange.completed_at} for exchange in exchanges]


def _audit(db: Session, learner: Learner, uuids: set[str]) -> list[dict]:
    events = db.scalars(select(AuditEvent).where(
        AuditEvent.organisation_id == learner.organisation_id,
        or_(AuditEvent.subject == f"learner:{learner.id}", AuditEvent.subject.in_(uuids)))
        .order_by(AuditEvent.id))
    return [{"action": event.action, "subject": event.subject, "detail": event.detail,
             "at": event.created_at} for event in events]


def _other_tables(db: Session, learner: Learner) -> dict[str, list[dict]]:
    """Rows of every other table that refers to the learner (consents, skill progress, …)."""
    found = {}
    for table in Base.metadata.sorted_tables:
        if table.name in _READ or "learner_id" not in table.columns:
            continue
        rows = db.execute(select(table).where(table.columns["learner_id"] == learner.id)).all()
        if rows:
            found[table.name] = [{column.name: row._mapping[column] for column in table.columns
                                  if not _secret(column.name)} for row in rows]
    return found


def _suffix(item: EvidenceFile) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
            "application/pdf": ".pdf"}.get(item.media_type, "")


def _plain(value):
    if isinstance(value, datetime):
        return utc_stamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    raise TypeError(f"{type(value).__name__} is not JSON")
