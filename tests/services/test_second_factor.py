"""The second factor: RFC 6238 test vectors, drift, replay, turning it on and off."""

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from issuer.services import PermissionDenied, ServiceError, unit_of_work
from issuer.services.second_factor import (
    check_code,
    hotp,
    matching_step,
    new_secret,
    provisioning_uri,
    recovery_codes_left,
    renew_recovery_codes,
    time_step,
    turn_off,
    turn_on,
    use_recovery_code,
)

# RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the digest's size.
SEEDS = {hashlib.sha1: b"12345678901234567890",
         hashlib.sha256: b"12345678901234567890123456789012",
         hashlib.sha512: b"1234567890123456789012345678901234567890123456789012345678901234"}
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("seconds", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc_6238_appendix_b_vectors(seconds, sha1, sha256, sha512):
    step = time_step(datetime.fromtimestamp(seconds, UTC))
    for digest, expected in zip(SEEDS, (sha1, sha256, sha512), strict=True):
        assert hotp(SEEDS[digest], step, digits=8, digest=digest) == expected


def test_rfc_4226_appendix_d_first_values():
    key = b"12345678901234567890"
    assert [hotp(key, n) for n in range(3)] == ["755224", "287082", "359152"]


def _code(secret, moment):
    return hotp(base64.b32decode(secret + "=" * (-len(secret) % 8)), time_step(moment))


NOW = datetime(2026, 12, 5, 8, 0, 10, tzinfo=UTC)


def test_a_code_is_good_one_step_early_or_late_but_not_two():
    secret = new_secret()
    for drift, good in ((-30, True), (30, True), (-60, False), (60, False)):
        code = _code(secret, NOW + timedelta(seconds=drift))
        assert (matching_step(secret, code, NOW) is not None) is good


def test_a_code_is_accepted_once(db, world):
    secret = new_secret()
    with unit_of_work(db):
        turn_on(db, world.admin, secret, _code(secret, NOW), NOW)
    later = NOW + timedelta(seconds=30)
    assert check_code(world.admin, _code(secret, NOW), later) is False  # its step was used
    assert check_code(world.admin, _code(secret, later), later) is True
    assert check_code(world.admin, _code(secret, later), later) is False


def test_turning_it_on_needs_a_right_code_and_an_admin(db, world):
    secret = new_secret()
    with pytest.raises(ServiceError, match="not right"), unit_of_work(db):
        turn_on(db, world.admin, secret, _code(secret, NOW + timedelta(minutes=5)), NOW)
    with pytest.raises(PermissionDenied), unit_of_work(db):
        turn_on(db, world.trainer, secret, _code(secret, NOW), NOW)
    assert world.admin.totp_secret is None


def test_turning_it_off_needs_a_current_code(db, world):
    secret = new_secret()
    with unit_of_work(db):
        turn_on(db, world.admin, secret, _code(secret, NOW), NOW)
    later = NOW + timedelta(minutes=5)
    with pytest.raises(ServiceError), unit_of_work(db):
        turn_off(db, world.admin, "12345", later)
    with unit_of_work(db):
        turn_off(db, world.admin, _code(secret, later), later)
    assert world.admin.totp_secret is None


def test_the_provisioning_uri_names_the_service_and_the_account():
    uri = provisioning_uri("JBSWY3DPEHPK3PXP", "admin@agfe.example.org")
    assert uri == ("otpauth://totp/SKY%20Badges%3Aadmin%40agfe.example.org?secret="
                   "JBSWY3DPEHPK3PXP&issuer=SKY%20Badges&digits=6&period=30")


def test_the_secret_is_sealed_at_rest_and_bound_to_the_passphrase(db, world):
    secret = new_secret()
    with unit_of_work(db):
        turn_on(db, world.admin, secret, _code(secret, NOW), NOW)
    assert secret not in world.admin.totp_secret
    later = NOW + timedelta(seconds=30)
    settings = db.info["settings"]
    db.info["settings"] = replace(settings, key_passphrase="another passphrase")
    try:
        with pytest.raises(ServiceError, match="cannot be read"):
            check_code(world.admin, _code(secret, later), later)
    finally:
        db.info["settings"] = settings
    assert check_code(world.admin, _code(secret, later), later) is True


def test_a_secret_stored_in_the_clear_before_sealing_still_works_and_is_sealed(db, world):
    secret = new_secret()
    with unit_of_work(db):
        world.admin.totp_secret = secret  # as revision 0009 stored it
    with unit_of_work(db):
        assert check_code(world.admin, _code(secret, NOW), NOW) is True
    assert world.admin.totp_secret.startswith("v1.") and secret not in world.admin.totp_secret


def test_recovery_codes_are_single_use_and_renewing_replaces_them(db, world):
    secret = new_secret()
    with unit_of_work(db):
        codes = turn_on(db, world.admin, secret, _code(secret, NOW), NOW)
    assert len(set(codes)) == 10
    with unit_of_work(db):
        assert use_recovery_code(db, world.admin, codes[0]) is True
        assert use_recovery_code(db, world.admin, codes[0]) is False
        assert use_recovery_code(db, world.admin, "abcd-efgh-ijkl-mnop") is False
    assert recovery_codes_left(db, world.admin) == 9
    later = NOW + timedelta(seconds=30)
    with unit_of_work(db):
        fresh = renew_recovery_codes(db, world.admin, _code(secret, later), later)
    with unit_of_work(db):
        assert use_recovery_code(db, world.admin, codes[1]) is False
        assert use_recovery_code(db, world.admin, fresh[1]) is True
    with unit_of_work(db):
        turn_off(db, world.admin, _code(secret, later + timedelta(seconds=30)),
                 later + timedelta(seconds=30))
    assert recovery_codes_left(db, world.admin) == 0
    with unit_of_work(db):
        assert use_recovery_code(db, world.admin, fresh[2]) is False
