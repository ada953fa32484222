"""Demo data: six partners, working accounts, badges valid, revoked and expired."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from issuer.services import unit_of_work
from issuer.services.accounts import authenticate
from issuer.services.base import settings_of
from issuer.services.demo import seed_demo
from issuer.services.verification import verify_stored
from issuer.store.models import Credential, Organisation

CATALOGUE = Path(__file__).resolve().parents[2] / "badge_templates"


@pytest.fixture
def demo(db):
    with unit_of_work(db):
        return seed_demo(db, settings_of(db), CATALOGUE)


def test_demo_has_the_six_sky_partners(db, demo):
    partners = db.execute(select(Organisation.slug, Organisation.country_code,
                                 Organisation.default_language).order_by(Organisation.id)).all()
    assert partners == [("cec", "BE", "fr"), ("scf", "IT", "it"), ("agfe", "FR", "fr"),
                        ("mirec", "BE", "fr"), ("trinijove", "ES", "es"), ("barka", "PL", "pl")]


def test_demo_accounts_log_in_with_the_printed_passwords(db, demo):
    assert len(demo["accounts"]) == 12
    account = demo["accounts"][1]
    assert account["role"] == "trainer"
    user = authenticate(db, account["email"], account["password"], "127.0.0.1")
    assert user is not None and user.role == "trainer"


def test_demo_badges_verify_in_their_stated_states(db, demo):
    for state in ("valid", "revoked", "expired"):
        short_ids = demo["credentials"][state]
        assert len(short_ids) >= 6
        for short_id in short_ids[:2]:
            credential = db.scalar(select(Credential).where(Credential.short_id == short_id))
            assert verify_stored(db, credential).verdict == state
