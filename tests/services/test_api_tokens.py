"""API tokens: shown once, stored as sha256, bound to one organisation, revocable."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from issuer.services import PermissionDenied, ServiceError, unit_of_work
from issuer.services.api_tokens import (
    DEFAULT_SCOPES,
    authenticate,
    create_token,
    revoke_token,
    tokens_of,
)
from issuer.store.models import ApiToken, AuditEvent
from tests.helpers import make_organisation

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_only_the_sha256_of_a_new_token_is_stored(db, world):
    with unit_of_work(db):
        record, plain = create_token(db, world.org, "Moodle export")
    assert plain.startswith("sky_") and len(plain) == 47
    assert record.token_sha256 == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in repr(vars(record))


def test_creating_a_token_is_audited_without_the_token(db, world):
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "Moodle export")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.create"))
    assert event.detail == {"name": "Moodle export", "scopes": list(DEFAULT_SCOPES),
                            "expires_at": _record.expires_at.isoformat()}
    assert plain not in str(event.subject) and plain not in str(event.detail)


def test_a_token_expires_after_its_lifetime_and_a_year_by_default(db, world):
    now = datetime(2026, 12, 4, tzinfo=UTC)
    with unit_of_work(db):
        record, plain = create_token(db, world.org, "Moodle export", now=now)
    assert record.expires_at == now + timedelta(days=365)
    assert authenticate(db, plain, now=now + timedelta(days=364)) is not None
    assert authenticate(db, plain, now=now + timedelta(days=365)) is None


@pytest.mark.parametrize("scopes, lifetime_days, message", [
    ((), 30, "at least one permission"),
    (("everything",), 30, "at least one permission"),
    (("read",), 0, "must expire within 730 days"),
    (("read",), 731, "must expire within 730 days"),
])
def test_a_token_needs_a_permission_and_an_expiry(db, world, scopes, lifetime_days, message):
    with pytest.raises(ServiceError, match=message):
        create_token(db, world.org, "LMS", scopes=scopes, lifetime=timedelta(days=lifetime_days))


def test_a_token_needs_a_name(db, world):
    with pytest.raises(ServiceError, match="needs a name"):
        create_token(db, world.org, "   ")


def test_an_admin_cannot_create_a_token_for_another_organisation(db, world):
    other = make_organisation(db, slug="bsp")
    with pytest.raises(PermissionDenied):
        create_token(db, other, "Sneaky", actor=world.admin)


def test_authenticate_finds_the_token_and_notes_its_use(db, world):
    with unit_of_work(db):
        record, plain = create_token(db, world.org, "Moodle export")
    assert authenticate(db, plain, now=NOON) is record
    assert record.last_used_at == NOON


def test_last_used_is_written_at_most_once_a_minute(db, world):
    with unit_of_work(db):
        record, plain = create_token(db, world.org, "Moodle export")
    authenticate(db, plain, now=NOON)
    authenticate(db, plain, now=NOON + timedelta(seconds=30))
    assert record.last_used_at == NOON
    authenticate(db, plain, now=NOON + timedelta(minutes=2))
    assert record.last_used_at == NOON + timedelta(minutes=2)


@pytest.mark.parametrize("presented", [None, "", "sky_unknown", "Bearer sky_x", "x" * 500])
def test_authenticate_refuses_what_is_not_a_live_token(db, world, presented):
    assert authenticate(db, presented) is None


def test_a_revoked_token_no_longer_authenticates(db, world):
    with unit_of_work(db):
        record, plain = create_token(db, world.org, "Moodle export")
        revoke_token(db, record, world.admin, now=NOON)
    assert authenticate(db, plain) is None
    assert record.revoked_at == NOON


def test_revoking_twice_keeps_the_first_time(db, world):
    with unit_of_work(db):
        record, _plain = create_token(db, world.org, "Moodle export")
        revoke_token(db, record, None, now=NOON)
        revoke_token(db, record, None, now=NOON + timedelta(days=1))
    assert record.revoked_at == NOON


def test_tokens_of_lists_only_the_organisations_tokens(db, world):
    other = make_organisation(db, slug="bsp")
    with unit_of_work(db):
        mine, _ = create_token(db, world.org, "Mine")
        create_token(db, other, "Theirs")
    assert tokens_of(db, world.org) == [mine]
    assert db.scalar(select(ApiToken).where(ApiToken.name == "Theirs")) is not None
