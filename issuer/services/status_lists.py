"""Bitstring Status List slots: random, unique, never reused, safe under concurrent issuance.

A slot is taken by inserting a `StatusSlot` row whose primary key is (list, index): two workers
that draw the same index collide on that key, and the loser's row is skipped (INSERT … ON
CONFLICT DO NOTHING) so it draws again. A bulk job takes the slots of a whole chunk of badges in
one such statement. Revocation flips the bit and bumps the list's revision in the issuing
transaction; the signed list credential is cached per revision.
"""

from __future__ import annotations

import json
import secrets
import uuid as uuidlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from issuer.core import status_list as bitstring
from issuer.core.clock import utc_stamp
from issuer.store.models import Organisation, StatusList, StatusSlot

from .keys import issuer_did, sign
from .urls import public_url

LIST_SIZE = 131072  # 16 KiB: the spec's minimum, for herd privacy
REVOCATION = "revocation"
SUSPENSION = "suspension"  # a reversible bit, given only through the VC-API so far
PURPOSES = (REVOCATION, SUSPENSION)
# After this many collisions in a row, pick among the free indices explicitly.
_RANDOM_TRIES = 16
# Indices drawn in one round at most (one bound parameter each; PostgreSQL takes 65,535).
_MAX_DRAW = 2048


def list_url(status_list: StatusList, base: str | None = None) -> str:
    """The public URL of the signed list credential (on `base`, a former site address)."""
    return public_url(status_list, f"/status/{status_list.uuid}", base)


def status_entry(status_list: StatusList, index: int) -> dict:
    """The credential's `credentialStatus` (a BitstringStatusListEntry of the list's purpose)."""
    return bitstring.status_entry(list_url(status_list), index, status_list.purpose)


def allocate_slot(db: Session, org: Organisation,
                  purpose: str = REVOCATION) -> tuple[StatusList, int]:
    """A random free index of the organisation's open list for `purpose` (a new one when full)."""
    return allocate_slots(db, org, 1, purpose)[0]


def allocate_slots(db: Session, org: Organisation, count: int,
                   purpose: str = REVOCATION) -> list[tuple[StatusList, int]]:
    """`count` random free slots of the organisation's open lists for `purpose`, each (list,
    index), in random order; a list that fills up is closed and a new one opened."""
    slots: list[tuple[StatusList, int]] = []
    while len(slots) < count:
        status_list = _open_list(db, org, purpose)
        wanted = count - len(slots)
        indices = _take_random(db, status_list, wanted)
        if len(indices) < wanted:
            indices += _take_free(db, status_list, wanted - len(indices))
        slots += [(status_list, index) for index in indices]
        if len(indices) < wanted:
            status_list.full = True
            db.flush()
    return slots


def set_revoked(db: Session, status_list: StatusList, index: int) -> StatusList:
    """Set the bit at `index` and bump the revision; the row is locked while it changes."""
    return set_status(db, status_list, index, 1)


def set_status(db: Session, status_list: StatusList, index: int, value: int) -> StatusList:
    """Write `value` (0 or 1) at `index` and bump the revision; the row is locked meanwhile."""
    locked = db.scalars(
        select(StatusList)
        .where(StatusList.id == status_list.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    bits = bytearray(locked.bits)
    bitstring.set_status(bits, index, value)
    locked.bits = bytes(bits)
    locked.revision += 1
    db.flush()
    return locked


def signed_status_list(db: Session, status_list: StatusList, now: datetime | None = None,
                       base: str | None = None) -> dict:
    """The signed BitstringStatusListCredential, re-signed only when the revision changed.

    The cache is written into `status_list` (flushed, not committed): commit to keep it. On
    `base`, a former address of the site, the list is issued by the organisation's did:web
    there, as the badges issued there expect; those copies (rarely asked for) are not cached.
    """
    former = base is not None and base != public_url(status_list)
    if not former and status_list.signed_json \
            and status_list.signed_revision == status_list.revision:
        return json.loads(status_list.signed_json)
    org = db.get(Organisation, status_list.organisation_id)
    created = utc_stamp(now)
    unsigned = bitstring.status_list_credential(
        list_url(status_list, base),
        issuer_did(org, base),
        bitstring.encode_list(status_list.bits),
        purpose=status_list.purpose,
        # The list's creation, not the signing time: a verifier whose clock was read a moment
        # before this (re-)signing must not find the list "not yet valid".
        valid_from=utc_stamp(status_list.created_at),
    )
    signed = sign(db, org, unsigned, created, base)
    if former:
        return signed
    status_list.signed_json = json.dumps(signed, ensure_ascii=False)
    status_list.signed_revision = status_list.revision
    db.flush()
    return signed


def _open_list(db: Session, org: Organisation, purpose: str) -> StatusList:
    status_list = db.scalars(
        select(StatusList)
        .where(StatusList.organisation_id == org.id, StatusList.purpose == purpose,
               StatusList.full.is_(False))
        .order_by(StatusList.id)
    ).first()
    if status_list is None:
        status_list = StatusList(
            uuid=str(uuidlib.uuid4()),
            organisation_id=org.id,
            purpose=purpose,
            size=LIST_SIZE,
            bits=bytes(bitstring.new_bitstring(LIST_SIZE)),
            full=False,
            revision=0,
        )
        db.add(status_list)
        db.flush()
    return status_list


def _insert_slots(db: Session, status_list: StatusList, indices: list[int]) -> list[int]:
    """Take the `indices` not taken yet, in one statement; the ones taken now, in the drawn
    order (a concurrent transaction's slots are skipped, never waited into an error)."""
    if not indices:
        return []
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(StatusSlot)
                 .values([{"status_list_id": status_list.id, "index": i} for i in indices])
                 .on_conflict_do_nothing(index_elements=["status_list_id", "index"])
                 .returning(StatusSlot.index))
    taken = set(db.scalars(statement))
    return [index for index in indices if index in taken]


def _take_random(db: Session, status_list: StatusList, count: int) -> list[int]:
    """Up to `count` random free indices. The first round inserts what it draws; after a
    collision each round draws twice as many, reads which are taken and inserts only what it
    still needs, so a nearly full list costs a few statements, not one per collision."""
    taken = _insert_slots(db, status_list, _draw(status_list, count, set()))
    draw = count
    for _ in range(_RANDOM_TRIES):
        missing = count - len(taken)
        if not missing:
            break
        draw = min(2 * draw, status_list.size, _MAX_DRAW)
        drawn = _draw(status_list, draw, set(taken))
        used = set(db.scalars(select(StatusSlot.index).where(
            StatusSlot.status_list_id == status_list.id, StatusSlot.index.in_(drawn))))
        taken += _insert_slots(db, status_list, [i for i in drawn if i not in used][:missing])
    return taken


def _draw(status_list: StatusList, count: int, excluded: set[int]) -> list[int]:
    """Up to `count` distinct random indices of the list, none of `excluded`."""
    drawn = dict.fromkeys(secrets.randbelow(status_list.size) for _ in range(count))
    return [index for index in drawn if index not in excluded]  # in the order drawn


def _take_free(db: Session, status_list: StatusList, count: int) -> list[int]:
    # Reached only when the list is nearly full: read what is taken, draw among the rest.
    taken_count = db.scalar(
        select(func.count()).select_from(StatusSlot)
        .where(StatusSlot.status_list_id == status_list.id)
    )
    if taken_count >= status_list.size:
        return []
    taken = set(db.scalars(
        select(StatusSlot.index).where(StatusSlot.status_list_id == status_list.id)
    ))
    free = [i for i in range(status_list.size) if i not in taken]
    got: list[int] = []
    while free and len(got) < count:
        index = free.pop(secrets.randbelow(len(free)))
        got += _insert_slots(db, status_list, [index])
    return got
