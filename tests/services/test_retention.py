"""Retention: evidence photos and contact data past the organisation's periods are removed;
badges, names on them and statistics stay; a sweep is idempotent and a dry run removes nothing."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from issuer.cli import main
from issuer.core.clock import utc_seconds
from issuer.services import ServiceError, bulk_jobs, unit_of_work
from issuer.services.api_tokens import create_token
from issuer.services.intake import issue_one
from issuer.services.retention import months_before, set_periods, sweep
from issuer.services.verification import verify_stored
from issuer.store.job_models import BulkJob
from issuer.store.models import (
    ApiIdempotencyKey,
    Assessment,
    Credential,
    EvidenceFile,
    Learner,
    Organisation,
)
from tests.helpers import count, issue, make_world

PHOTO = b"\xff\xd8\xff photo"
ROSTER = ("name,email,language,dig-hole,stake-and-water,comment,activity_start,activity_end\n"
          "Inès Moreau,ines@example.org,fr,acquired,acquired,,,\n").encode()


def months_later(months: int, days: int = 1) -> datetime:
    """Now plus `months` calendar months and `days` (the sweep's clock)."""
    now = utc_seconds()
    return months_before(now, -months) + timedelta(days=days)


def add_photo(db, assessment_id: int) -> None:
    with unit_of_work(db):
        db.add(EvidenceFile(uuid=str(uuid.uuid4()), assessment_id=assessment_id,
                            gesture_id="dig-hole", filename="photo.jpg", media_type="image/jpeg",
                            data=PHOTO, sha256=hashlib.sha256(PHOTO).hexdigest()))


@pytest.fixture
def kept(db, world):
    """A badge with a photo for a learner with an e-mail, an API request, a finished bulk job."""
    with unit_of_work(db):
        db.get(Learner, world.learners[0].id).email = "zoe@example.org"
    badge = issue(db, world, world.learners[0])
    add_photo(db, badge.assessment_id)
    with unit_of_work(db):
        token, _plain = create_token(db, world.org, "LMS")
    issue_one(db, token, {"template_id": world.template.template_id, "idempotency_key": "k-1",
                          "learner": {"name": "Ana Ruiz", "email": "ana@example.org"},
                          "results": {"dig-hole": "acquired", "stake-and-water": "acquired"}})
    with unit_of_work(db):
        job = bulk_jobs.start(db, world.session, ROSTER, world.admin, "roster.csv")
    bulk_jobs.run(db, job.id)
    return badge


def swept(db, world, when: datetime, dry_run: bool = False):
    with unit_of_work(db):
        result = sweep(db, db.get(Organisation, world.org.id), when, dry_run=dry_run)
    db.expire_all()
    return result


def test_months_before_counts_calendar_months():
    moment = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    assert months_before(moment, 1) == datetime(2026, 2, 28, 8, 0, tzinfo=UTC)
    assert months_before(moment, 12) == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)
    assert months_before(moment, -1) == datetime(2026, 4, 30, 8, 0, tzinfo=UTC)


def test_the_defaults_are_twelve_and_twenty_four_months(db, world):
    org = db.get(Organisation, world.org.id)
    assert (org.evidence_retention_months, org.contact_retention_months) == (12, 24)


def test_nothing_is_removed_within_the_periods(db, world, kept):
    result = swept(db, world, months_later(11, days=20))
    assert result.total == 0
    assert count(db, EvidenceFile) == 1


def test_photos_go_after_the_evidence_period_and_contact_data_stays(db, world, kept):
    result = swept(db, world, months_later(12))
    assert (result.evidence_photos, result.email_addresses, result.bulk_files,
            result.api_requests) == (1, 0, 0, 0)
    assert count(db, EvidenceFile) == 0
    assert db.get(Learner, world.learners[0].id).email == "zoe@example.org"


def test_contact_data_goes_after_the_contact_period(db, world, kept):
    result = swept(db, world, months_later(24))
    assert (result.email_addresses, result.bulk_files, result.api_requests) == (3, 1, 1)
    assert db.scalars(select(Learner.email).where(Learner.email.is_not(None))).all() == []
    assert db.scalar(select(BulkJob.csv_data)) == b""
    assert count(db, ApiIdempotencyKey) == 0


def test_badges_and_names_stay(db, world, kept):
    swept(db, world, months_later(24))
    badge = db.get(Credential, kept.id)
    assert verify_stored(db, badge).verdict == "valid"
    assert db.get(Learner, world.learners[0].id).name == "Zoé Lefèvre"
    assert count(db, Credential) == 3


def test_a_dry_run_counts_and_removes_nothing(db, world, kept):
    result = swept(db, world, months_later(24), dry_run=True)
    assert (result.evidence_photos, result.email_addresses) == (1, 3)
    assert count(db, EvidenceFile) == 1
    assert db.get(Learner, world.learners[0].id).email == "zoe@example.org"


def test_a_second_sweep_finds_nothing(db, world, kept):
    assert swept(db, world, months_later(24)).total == 6
    assert swept(db, world, months_later(24)).total == 0


def test_the_contact_period_runs_from_the_last_evaluation(db, world, kept):
    long_ago = utc_seconds() - timedelta(days=3 * 365)
    with unit_of_work(db):
        db.execute(update(Learner).values(created_at=long_ago))
        db.execute(update(Credential).values(issued_at=long_ago))
    tomorrow = utc_seconds() + timedelta(days=1)
    assert swept(db, world, tomorrow).email_addresses == 0  # evaluated today
    with unit_of_work(db):
        db.execute(update(Assessment).values(updated_at=long_ago))
    assert swept(db, world, tomorrow).email_addresses == 3


def test_each_organisation_has_its_own_periods(db, world, kept):
    other = make_world(db, slug="barka", learner_names=("Ola Nowak",))
    add_photo(db, issue(db, other, other.learners[0]).assessment_id)
    with unit_of_work(db):
        set_periods(db, db.get(Organisation, other.org.id), 1, 24, other.admin)
    assert swept(db, world, months_later(2)).evidence_photos == 0
    assert swept(db, other, months_later(2)).evidence_photos == 1
    assert count(db, EvidenceFile) == 1  # the first organisation's photo


@pytest.mark.parametrize("months", [0, 121, -3])
def test_a_period_is_one_to_a_hundred_and_twenty_months(db, world, months):
    with pytest.raises(ServiceError, match="1 to 120 months"):
        set_periods(db, db.get(Organisation, world.org.id), months, 24, world.admin)


def test_retention_run_prints_counts_without_personal_data(db, world, kept, environment,
                                                           capsys):
    with unit_of_work(db):
        db.get(Organisation, world.org.id).evidence_retention_months = 1
        db.execute(update(EvidenceFile).values(created_at=months_later(-2)))
    assert main(["retention", "run", "--dry-run"]) == 0
    assert capsys.readouterr().out == ("agfe: would remove 1 evidence photos, 0 e-mail "
                                       "addresses, 0 bulk files, 0 API request records\n")
    assert count(db, EvidenceFile) == 1
    assert main(["retention", "run"]) == 0
    assert main(["retention", "run"]) == 0
    out = capsys.readouterr().out
    assert out == ("agfe: removed 1 evidence photos, 0 e-mail addresses, 0 bulk files, 0 API "
                   "request records\nagfe: removed 0 evidence photos, 0 e-mail addresses, 0 "
                   "bulk files, 0 API request records\n")
    assert count(db, EvidenceFile) == 0
