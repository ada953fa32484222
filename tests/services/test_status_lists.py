"""Status slots: random, unique, a new list when full; revocation in the signed list."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from issuer.core import status_list as bitstring
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from issuer.services import unit_of_work
from issuer.services.revocation import revoke
from issuer.services.status_lists import (
    LIST_SIZE,
    allocate_slot,
    allocate_slots,
    set_status,
    signed_status_list,
)
from issuer.services.verification import local_fetch_json
from issuer.store.models import Credential, StatusList, StatusSlot
from tests.helpers import count, issue


def test_slots_are_distinct_indices_of_one_list(db, world):
    with unit_of_work(db):
        slots = [allocate_slot(db, world.org) for _ in range(20)]
    assert len({status_list.id for status_list, _ in slots}) == 1
    indices = [index for _, index in slots]
    assert len(set(indices)) == 20
    assert all(0 <= index < LIST_SIZE for index in indices)
    assert count(db, StatusSlot) == 20


def test_last_free_slot_is_found_and_a_full_list_makes_a_new_one(db, world):
    with unit_of_work(db):
        first, _ = allocate_slot(db, world.org)
        free = 4242
        taken = [{"status_list_id": first.id, "index": i}
                 for i in range(LIST_SIZE) if i not in (free,)]
        db.query(StatusSlot).delete()  # the slot just taken, to fill the list exactly
        db.execute(insert(StatusSlot), taken)
    with unit_of_work(db):
        status_list, index = allocate_slot(db, world.org)
    assert (status_list.id, index) == (first.id, free)
    with unit_of_work(db):
        newer, _ = allocate_slot(db, world.org)
    assert newer.id != first.id
    assert db.get(StatusList, first.id).full is True


def test_slot_zero_is_used_not_leaked(db, world):
    # A one-slot list can only draw index 0: it must be given out, not skipped as if falsy.
    with unit_of_work(db):
        first, _ = allocate_slot(db, world.org)
        db.query(StatusSlot).delete()
        first.size = 1
    with unit_of_work(db):
        status_list, index = allocate_slot(db, world.org)
    assert (status_list.id, index) == (first.id, 0)
    assert count(db, StatusSlot) == 1


def test_revocation_sets_the_bit_in_the_signed_list(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        revoke(db, credential, "Issued by mistake", world.admin)
    signed = signed_status_list(db, db.get(StatusList, credential.status_list_id))
    bits = bitstring.decode_list(signed["credentialSubject"]["encodedList"])
    assert bitstring.get_status(bits, credential.status_index) == 1
    assert sum(bin(byte).count("1") for byte in bits) == 1


def test_signed_list_verifies_and_is_cached_per_revision(db, world):
    credential = issue(db, world)
    status_list = db.get(StatusList, credential.status_list_id)
    first = signed_status_list(db, status_list)
    assert signed_status_list(db, status_list) == first
    fetch = local_fetch_json(db)
    report = verify_credential(first, resolver=KeyResolver(fetch), now=None)
    assert report.check("proof").status == "passed"
    with unit_of_work(db):
        revoke(db, credential, "Issued by mistake", world.admin)
    assert signed_status_list(db, db.get(StatusList, credential.status_list_id)) != first
    assert first["id"] == f"https://badges.example.org/status/{status_list.uuid}"


def _issue_many(url: str, instance: str, assessment_ids: list[int]) -> None:
    """Worker process: issue the given assessments one by one, each in its own transaction."""
    from issuer.config import Settings
    from issuer.services.issuing import issue_for_assessment
    from issuer.store.db import make_engine, make_sessionmaker
    from tests.helpers import settings_for

    engine = make_engine(url)
    with make_sessionmaker(engine, Settings.from_env(settings_for(instance, url)))() as db:
        for assessment_id in assessment_ids:
            with unit_of_work(db):
                issue_for_assessment(db, assessment_id, None)
    engine.dispose()


@pytest.mark.postgres
def test_parallel_issuing_from_several_processes_never_shares_a_slot(db, world, database_url,
                                                                     tmp_path):
    if not database_url.startswith("postgres"):
        pytest.skip("concurrent slot allocation is a PostgreSQL guarantee")
    from issuer.services.learners import create_learner
    from tests.helpers import evaluate

    with unit_of_work(db):
        learners = [create_learner(db, world.org, f"Learner {n}") for n in range(100)]
    assessment_ids = [evaluate(db, world, learner).id for learner in learners]
    # Every worker also re-issues a few assessments of the others: a duplicate must resolve to
    # the existing credential, not a second one.
    batches = [assessment_ids[n::4] + assessment_ids[(n + 1) % 4::4][:5] for n in range(4)]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_issue_many,
                               args=(database_url, str(tmp_path / "instance"), batch))
               for batch in batches]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    slots = db.execute(select(Credential.status_list_id, Credential.status_index)).all()
    assert len(slots) == 100
    assert len(set(slots)) == 100
    assert count(db, StatusSlot) == 100


def test_list_signed_after_the_verifiers_clock_was_read_is_already_valid(db, world):
    credential = issue(db, world)
    status_list = db.get(StatusList, credential.status_list_id)
    later = status_list.created_at + timedelta(minutes=5)
    signed = signed_status_list(db, status_list, now=later)
    assert signed["validFrom"] == status_list.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert signed["proof"][0]["created"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_each_purpose_has_its_own_list_and_a_suspension_bit_can_be_cleared(db, world):
    with unit_of_work(db):
        revocation, _ = allocate_slot(db, world.org)
        suspension, index = allocate_slot(db, world.org, "suspension")
        assert (revocation.purpose, suspension.purpose) == ("revocation", "suspension")
        assert suspension.id != revocation.id
        assert allocate_slot(db, world.org, "suspension")[0].id == suspension.id
        set_status(db, suspension, index, 1)
        set_status(db, suspension, index, 0)
    assert bitstring.get_status(bytearray(suspension.bits), index) == 0
    assert suspension.revision == 2
    listed = signed_status_list(db, suspension)["credentialSubject"]
    assert listed["statusPurpose"] == "suspension"


def test_a_chunk_of_slots_finds_the_last_free_ones_then_opens_a_new_list(db, world):
    # A bulk job takes a chunk's slots together: 3 left in a list of 131,072, 5 wanted.
    with unit_of_work(db):
        first, _ = allocate_slot(db, world.org)
        free = {7, 70000, LIST_SIZE - 1}
        db.query(StatusSlot).delete()
        db.execute(insert(StatusSlot), [{"status_list_id": first.id, "index": i}
                                        for i in range(LIST_SIZE) if i not in free])
    with unit_of_work(db):
        slots = allocate_slots(db, world.org, 5)
    assert {index for status_list, index in slots if status_list.id == first.id} == free
    newer = {(status_list.id, index) for status_list, index in slots
             if status_list.id != first.id}
    assert len(newer) == 2 and len({list_id for list_id, _ in newer}) == 1
    assert db.get(StatusList, first.id).full is True
    assert count(db, StatusSlot) == LIST_SIZE + 2
