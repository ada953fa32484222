"""Organisations and people without a developer: onboarding, invitations, resets, passwords."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from issuer.services.base import settings_of
from issuer.services import PermissionDenied, ServiceError, unit_of_work
from issuer.services.account_tokens import (
    INVITATION,
    RESET,
    InvalidLink,
    invite,
    redeem,
    request_reset,
)
from issuer.services.accounts import (
    WeakPassword,
    authenticate,
    change_password,
    create_user,
    deactivate,
    reactivate,
    session_user,
    start_session,
)
from issuer.services.keys import did_document, issuer_did
from issuer.services.organisations import onboard
from issuer.store.models import AccountToken, AuditEvent, Organisation
from tests.helpers import NOW, TEST_PASSWORD

NEW_PASSWORD = "a fresh and long passphrase"


def _onboard(db, slug="scf", email="Admin@SCF.example.org"):
    with unit_of_work(db):
        return onboard(db, slug, "Società Cooperativa Sociale", "it", email, now=NOW)


def test_onboarding_creates_the_did_web_identity_its_first_key_and_a_waiting_admin(db):
    org, admin, token = _onboard(db)
    document = did_document(db, org)
    assert document["id"] == issuer_did(org) == "did:web:badges.example.org:issuers:scf"
    [key] = org.keys
    assert f"{issuer_did(org)}#{key.public_multibase}" in document["assertionMethod"]
    assert (org.country_code, admin.email, admin.role) == ("IT", "admin@scf.example.org", "admin")
    assert admin.password_hash == ""  # nobody can log in before the invitation is used
    assert authenticate(db, admin.email, "", "127.0.0.1", now=NOW) is None
    stored = db.scalar(select(AccountToken))
    assert (stored.purpose, stored.expires_at) == (INVITATION, NOW + timedelta(days=7))
    assert token not in stored.token_sha256 and len(stored.token_sha256) == 64


def test_a_bad_slug_country_or_a_taken_slug_is_refused_and_nothing_is_kept(db):
    for slug, country in (("Bad Slug", "IT"), ("scf", "Italy"), ("scf", "1T")):
        with pytest.raises(ServiceError), unit_of_work(db):
            onboard(db, slug, "SCF", country, "a@scf.example.org")
    _onboard(db)
    with pytest.raises(ServiceError, match="already exists"), unit_of_work(db):
        onboard(db, "scf", "Other", "IT", "b@scf.example.org")
    assert len(db.scalars(select(Organisation)).all()) == 1


def test_only_the_coordinator_or_the_operator_adds_an_organisation(db, world):
    with pytest.raises(PermissionDenied), unit_of_work(db):
        onboard(db, "scf", "SCF", "IT", "a@scf.example.org", actor=world.admin)
    world.admin.role = "coordinator"
    with unit_of_work(db):
        org, _user, _token = onboard(db, "scf", "SCF", "IT", "a@scf.example.org",
                                     actor=world.admin)
    assert org.slug == "scf"


def test_an_invitation_sets_name_and_password_once(db):
    _org, admin, token = _onboard(db)
    with unit_of_work(db):
        redeem(db, token, INVITATION, NEW_PASSWORD, settings_of(db), name=" Giulia Rossi ",
               now=NOW + timedelta(days=6))
    assert admin.name == "Giulia Rossi"
    assert authenticate(db, "admin@scf.example.org", NEW_PASSWORD, "127.0.0.1") is admin
    with pytest.raises(InvalidLink, match="used already"), unit_of_work(db):
        redeem(db, token, INVITATION, "another long passphrase", settings_of(db), name="X")


def test_an_invitation_expires_after_seven_days(db):
    _org, _admin, token = _onboard(db)
    with pytest.raises(InvalidLink, match="expired"), unit_of_work(db):
        redeem(db, token, INVITATION, NEW_PASSWORD, settings_of(db), name="Giulia",
               now=NOW + timedelta(days=7))


def test_a_weak_password_leaves_the_invitation_usable(db):
    _org, _admin, token = _onboard(db)
    for weak in ("short-pass1", "Password1234", "qwertyuiop123"):
        with pytest.raises(WeakPassword), unit_of_work(db):
            redeem(db, token, INVITATION, weak, settings_of(db), name="Giulia", now=NOW)
    with unit_of_work(db):
        redeem(db, token, INVITATION, NEW_PASSWORD, settings_of(db), name="Giulia", now=NOW)


def test_a_reset_link_lives_one_hour_is_single_use_and_ends_other_sessions(db, world):
    with unit_of_work(db):
        elsewhere = start_session(db, world.admin, now=NOW)
        _user, token = request_reset(db, " ADMIN@agfe.example.org ", now=NOW)
    assert db.scalar(select(AccountToken)).expires_at == NOW + timedelta(hours=1)
    with unit_of_work(db):
        redeem(db, token, RESET, NEW_PASSWORD, settings_of(db), now=NOW + timedelta(minutes=59))
    assert session_user(db, elsewhere, now=NOW) is None
    assert authenticate(db, world.admin.email, NEW_PASSWORD, "127.0.0.1") is world.admin
    with pytest.raises(InvalidLink), unit_of_work(db):
        redeem(db, token, RESET, "yet another passphrase", settings_of(db))


def test_a_reset_link_expires_after_an_hour(db, world):
    with unit_of_work(db):
        _user, token = request_reset(db, world.admin.email, now=NOW)
    with pytest.raises(InvalidLink, match="expired"), unit_of_work(db):
        redeem(db, token, RESET, NEW_PASSWORD, settings_of(db), now=NOW + timedelta(hours=1))


def test_a_newer_reset_link_ends_the_earlier_one(db, world):
    with unit_of_work(db):
        _user, first = request_reset(db, world.admin.email, now=NOW)
        _user, _second = request_reset(db, world.admin.email, now=NOW)
    with pytest.raises(InvalidLink), unit_of_work(db):
        redeem(db, first, RESET, NEW_PASSWORD, settings_of(db), now=NOW)


def test_no_reset_for_an_unknown_deactivated_or_waiting_account(db, world):
    with unit_of_work(db):
        _user, _token = invite(db, world.org, "new@agfe.example.org", "trainer", world.admin)
        deactivate(db, world.trainer, world.admin)
    for address in ("nobody@agfe.example.org", world.trainer.email, "new@agfe.example.org"):
        with unit_of_work(db):
            assert request_reset(db, address) is None


def test_changing_a_password_needs_the_current_one_and_keeps_only_this_session(db, world):
    with unit_of_work(db):
        here = start_session(db, world.admin, now=NOW)
        there = start_session(db, world.admin, now=NOW)
    with pytest.raises(PermissionDenied), unit_of_work(db):
        change_password(db, world.admin, "not the password", NEW_PASSWORD, settings_of(db), here)
    with unit_of_work(db):
        change_password(db, world.admin, TEST_PASSWORD, NEW_PASSWORD, settings_of(db), here)
    assert session_user(db, here, now=NOW) is world.admin
    assert session_user(db, there, now=NOW) is None
    assert authenticate(db, world.admin.email, TEST_PASSWORD, "127.0.0.1") is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "account.password"))


def test_a_deactivated_accounts_address_can_be_given_to_a_new_account(db, world):
    with unit_of_work(db):
        session = start_session(db, world.trainer, now=NOW)
        deactivate(db, world.trainer, world.admin)
    assert session_user(db, session, now=NOW) is None
    with unit_of_work(db):
        newcomer = create_user(db, world.org, world.trainer.email, "Nouvelle Formatrice",
                               "trainer", NEW_PASSWORD)
    assert authenticate(db, world.trainer.email, NEW_PASSWORD, "127.0.0.1") is newcomer
    with pytest.raises(ServiceError, match="already exists"), unit_of_work(db):
        reactivate(db, world.trainer, world.admin)
    with unit_of_work(db):
        deactivate(db, newcomer, world.admin)
        reactivate(db, world.trainer, world.admin)
    assert authenticate(db, world.trainer.email, TEST_PASSWORD, "127.0.0.1") is world.trainer


def test_an_admin_cannot_deactivate_themselves_or_another_organisations_account(db, world):
    from tests.helpers import make_world

    other = make_world(db, slug="barka")
    with pytest.raises(PermissionDenied), unit_of_work(db):
        deactivate(db, world.admin, world.admin)
    with pytest.raises(PermissionDenied), unit_of_work(db):
        deactivate(db, other.trainer, world.admin)
