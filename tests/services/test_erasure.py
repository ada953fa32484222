"""Erasure leaves nothing of the learner in any table, nor in SQLite's file and its free pages.

One learner leaves distinctive strings everywhere the service can keep them: badges issued
from the trainer's page and the API (with an idempotency key), a wallet claim, a revocation
with a typed reason, a bulk job, an evidence photo, the code guarding their claim link. After
erasure every table is dumped, and on SQLite the raw bytes of the database and its log.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from sqlalchemy import select

from issuer.core.keys import ED25519, PrivateKey
from issuer.services import bulk_jobs, unit_of_work
from issuer.services.api_tokens import create_token
from issuer.services.claim_links import set_code
from issuer.services.claims import bind_to_holder
from issuer.services.exchanges import open_exchange
from issuer.services.intake import issue_one
from issuer.services.learners import erase_learner, forget_deleted, without_learner
from issuer.services.revocation import revoke
from issuer.services.submissions import SAVE, Evaluation, receive
from issuer.store.job_models import BulkJob
from issuer.store.models import (
    ApiIdempotencyKey,
    Assessment,
    Base,
    Credential,
    EvidenceFile,
    Learner,
)
from issuer.store.wallet_models import WalletExchange
from tests.helpers import evaluate, issue

NAME = "Quokkabéla Zyxwarth"
EMAIL = "quokka.zyxwarth@example.org"
COMMENT = "Quokkacomment très précis"
NARRATIVE = "Quokkanarrative du formateur"
REASON = "Quokkareason: carte perdue au Zyxbar"
PHOTO = b"\xff\xd8\xffQUOKKAPHOTOBYTES"
PHOTO_NAME = "quokka-zyx-photo.jpg"
IDEMPOTENCY_KEY = "quokka-zyx-idempotency-7"
BULK_NOTE = "Quokkabulknote sur la ligne"
OTHER = "Ordinaire Dupont"
SENT_COMMENT = "Quokkasent depuis le téléphone"


def bulk_file() -> bytes:
    return ("name,email,language,dig-hole,stake-and-water,comment,activity_start,activity_end\n"
            f"{NAME},{EMAIL},fr,acquired,acquired,{BULK_NOTE},,\n"
            f"{OTHER},ordinaire@example.org,fr,acquired,acquired,,,\n").encode()


def leave_traces(db, world) -> list[str]:
    """Everything the learner can leave behind; returns the strings to look for afterwards."""
    learner = world.learners[0]
    with unit_of_work(db):
        stored = db.get(Learner, learner.id)
        stored.name, stored.email = NAME, EMAIL
    badge = issue(db, world, learner, comments={"": COMMENT}, narrative=NARRATIVE,
                  evidence_public=True)
    with unit_of_work(db):
        db.add(EvidenceFile(uuid=str(uuid.uuid4()), assessment_id=badge.assessment_id,
                            gesture_id="dig-hole", filename=PHOTO_NAME, media_type="image/jpeg",
                            data=PHOTO, sha256=hashlib.sha256(PHOTO).hexdigest()))
        set_code(db, db.get(Credential, badge.id), "2468")
    with unit_of_work(db):
        assessment = db.get(Assessment, badge.assessment_id)
        receive(db, assessment, "phone-quokka-0001", assessment.version, Evaluation(
            dict(assessment.levels), {"": SENT_COMMENT}), SAVE, world.trainer)
    holder = PrivateKey.generate(ED25519).public_key.did_key
    with unit_of_work(db):
        exchange, _secret = open_exchange(db, db.get(Credential, badge.id))
        exchange.holder_did = holder
        copy = bind_to_holder(db, db.get(Credential, badge.id), holder)
        exchange.issued_credential_id = copy.id
    with unit_of_work(db):
        api_token, _plain = create_token(db, world.org, "LMS")
    outcome = issue_one(db, api_token, {
        "template_id": world.template.template_id, "idempotency_key": IDEMPOTENCY_KEY,
        "learner": {"name": NAME, "email": EMAIL, "language": "fr"},
        "results": {"dig-hole": "acquired", "stake-and-water": "acquired"},
        "activity_start": "2026-03-02"})
    api_badge = db.get(Credential, outcome.credential.id)
    with unit_of_work(db):
        revoke(db, api_badge, REASON, world.admin)
    with unit_of_work(db):
        job = bulk_jobs.start(db, world.session, bulk_file(), world.admin, "roster.csv")
    bulk_jobs.run(db, job.id)
    db.expire_all()
    key = db.scalar(select(ApiIdempotencyKey).where(ApiIdempotencyKey.key == IDEMPOTENCY_KEY))
    email_hashes = [entry["identityHash"]
                    for credential in db.scalars(select(Credential).where(
                        Credential.learner_id == learner.id))
                    for entry in json.loads(credential.signed_json)["credentialSubject"].get(
                        "identifier", []) if entry["identityType"] == "emailAddress"]
    assert email_hashes and key is not None
    return [NAME, "Quokkabéla", "Zyxwarth", EMAIL, COMMENT, NARRATIVE, REASON, PHOTO_NAME,
            "QUOKKAPHOTOBYTES", IDEMPOTENCY_KEY, SENT_COMMENT, key.fingerprint, BULK_NOTE, holder,
            db.get(Credential, badge.id).claim_code_hash, *email_hashes]


def every_table(db) -> str:
    """Every row of every table of the model, as text (bytes decoded leniently)."""
    db.expire_all()
    lines = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)):
            lines.append(table.name + " " + " ".join(
                value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                for value in row))
    return "\n".join(lines)


def erase(db, world):
    with unit_of_work(db):
        erase_learner(db, db.get(Learner, world.learners[0].id), world.admin)
    forget_deleted(db)


def test_the_traces_are_there_before_erasure(db, world):
    traces = leave_traces(db, world)
    dump = every_table(db)
    assert [trace for trace in traces if trace not in dump] == []


def test_after_erasure_no_table_holds_the_learners_data(db, world):
    traces = leave_traces(db, world)
    erase(db, world)
    dump = every_table(db)
    assert [trace for trace in traces if trace in dump] == []
    assert OTHER in dump  # the other learner of the bulk file keeps theirs
    assert db.scalar(select(WalletExchange.id)) is None
    assert db.get(Learner, world.learners[0].id).erased_at is not None


def test_after_erasure_the_sqlite_file_and_its_log_hold_no_trace(db, world, database_url):
    if not database_url.startswith("sqlite"):
        return  # PostgreSQL: the table dump above; its files are the server's
    traces = leave_traces(db, world)
    erase(db, world)
    path = Path(database_url.removeprefix("sqlite:///"))
    raw = b"".join(file.read_bytes() for file in (path, Path(f"{path}-wal")) if file.exists())
    assert [trace for trace in traces if trace.encode() in raw] == []
    assert OTHER.encode() in raw


def test_an_unfinished_bulk_job_keeps_its_other_lines_at_their_numbers():
    data = ("name,email,language\r\n"
            f'"{NAME}",{EMAIL},fr\r\n'
            '"Zoé\nsur deux lignes",zoe@example.org,fr\r\n'
            "Ana,ana@example.org,es\r\n").encode()
    kept = without_learner(data, NAME, EMAIL).decode()
    assert NAME not in kept and EMAIL not in kept
    assert kept.count("\n") == data.decode().count("\n")
    assert kept.splitlines()[-1] == "Ana,ana@example.org,es"
    two_lines = without_learner(data, "Zoé sur deux lignes", None).decode()
    assert "Zoé" not in two_lines and NAME in two_lines
    assert two_lines.count("\n") == data.decode().count("\n")


def test_a_finished_bulk_job_naming_the_learner_drops_its_file(db, world):
    leave_traces(db, world)
    erase(db, world)
    assert db.scalar(select(BulkJob.csv_data)) == b""


def test_an_erasure_without_badges_still_removes_the_evaluation(db, world):
    evaluate(db, world, world.learners[1], comments={"": COMMENT})
    with unit_of_work(db):
        erase_learner(db, db.get(Learner, world.learners[1].id), world.admin)
    assert COMMENT not in every_table(db)
