"""Bitstring Status List against the 1EdTech fixtures and the BSL validate algorithm."""

import base64
import copy
import gzip
import random
from datetime import UTC, datetime

import pytest

from issuer.core import status_list as sl
from issuer.core.errors import StatusListError
from tests.helpers import load_vector

NOW = datetime(2025, 6, 1, tzinfo=UTC)
LIST_URL = "https://badges.example/status/1"


def fixture_list():
    return load_vector("bitstring-status-list", "status-list-credential.json")


def fixture_entry():
    return load_vector("bitstring-status-list", "credential-with-status-entry.json")[
        "credentialStatus"
    ]


def list_with(bits, purpose="revocation", **extra):
    return sl.status_list_credential(
        LIST_URL, "did:web:badges.example", sl.encode_list(bits), "2025-01-01T00:00:00Z",
        purpose=purpose, **extra,
    )


class SeededRng:
    """A reproducible stand-in for `secrets` (same `randbelow` method)."""

    def __init__(self, seed):
        self._random = random.Random(seed)

    def randbelow(self, n):
        return self._random.randrange(n)


def test_fixture_encoded_list_decodes_to_16384_bytes_with_only_bit_23_set():
    bits = sl.decode_list(fixture_list()["credentialSubject"]["encodedList"])
    assert len(bits) == 16384
    assert [i for i in range(len(bits) * 8) if sl.get_status(bits, i)] == [23]
    assert bits[2] == 0x01


def test_fixture_credential_is_revoked():
    result = sl.check_status(fixture_entry(), fixture_list(), now=NOW)
    assert result == sl.StatusResult("revocation", 1, True, "revoked")


def test_unset_entry_is_not_revoked():
    entry = {**fixture_entry(), "statusListIndex": "22"}
    result = sl.check_status(entry, fixture_list(), now=NOW)
    assert result == sl.StatusResult("revocation", 0, False, "not revoked")


def test_bits_are_numbered_most_significant_first():
    bits = sl.new_bitstring()
    sl.set_status(bits, 0)
    sl.set_status(bits, 9)
    assert bits[0] == 0x80
    assert bits[1] == 0x40


def test_multi_bit_status_is_written_and_read_back():
    bits = sl.new_bitstring(size=2)
    sl.set_status(bits, 1, value=2, size=2)
    assert bits[0] == 0b0010_0000
    assert sl.get_status(bits, 1, size=2) == 2
    assert sl.get_status(bits, 0, size=2) == 0


def test_clearing_a_status_resets_the_bit():
    bits = sl.new_bitstring()
    sl.set_status(bits, 5)
    sl.set_status(bits, 5, value=0)
    assert sl.get_status(bits, 5) == 0
    assert bits == sl.new_bitstring()


def test_encode_decode_round_trip():
    bits = sl.new_bitstring()
    for index in (0, 7, 8, 94567, sl.MIN_ENTRIES - 1):
        sl.set_status(bits, index)
    encoded = sl.encode_list(bits)
    assert encoded.startswith("uH4sI")
    assert "=" not in encoded
    assert sl.decode_list(encoded) == bits


def test_a_large_list_is_gzip_that_any_inflater_reads():
    # Level 1 for speed: still RFC 1952 gzip, read back by the standard library as by ours.
    bits = sl.new_bitstring(1_000_000)
    for index in range(0, 1_000_000, 997):
        sl.set_status(bits, index)
    encoded = sl.encode_list(bits)
    data = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert gzip.decompress(data) == bits
    assert sl.decode_list(encoded) == bits


def test_encoding_is_deterministic():
    assert sl.encode_list(sl.new_bitstring()) == sl.encode_list(sl.new_bitstring())


def test_legacy_unprefixed_base64_is_accepted():
    bits = sl.new_bitstring()
    sl.set_status(bits, 42)
    legacy = base64.b64encode(gzip.compress(bytes(bits))).decode()
    assert legacy.startswith("H4sI")
    assert sl.decode_list(legacy) == bits


@pytest.mark.parametrize("garbage", ["", "u!!!", "uAAAA", "hello world", "u" + "A" * 5])
def test_garbage_encoded_list_is_refused(garbage):
    with pytest.raises(StatusListError, match="MALFORMED_VALUE_ERROR"):
        sl.decode_list(garbage)


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(bytes(sl.MAX_DECODED_BYTES + 1))
    encoded = "u" + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(StatusListError, match="expands beyond"):
        sl.decode_list(encoded)


def test_truncated_gzip_is_refused():
    encoded = sl.encode_list(sl.new_bitstring())
    with pytest.raises(StatusListError, match="truncated"):
        sl.decode_list(encoded[:-8])


def test_index_outside_the_list_is_a_range_error():
    bits = sl.new_bitstring()
    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        sl.get_status(bits, sl.MIN_ENTRIES)
    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        sl.set_status(bits, -1)


def test_value_too_wide_for_status_size_is_refused():
    with pytest.raises(StatusListError, match="does not fit"):
        sl.set_status(sl.new_bitstring(), 0, value=2)


def test_new_bitstring_refuses_fewer_than_the_minimum_entries():
    with pytest.raises(StatusListError, match="herd privacy"):
        sl.new_bitstring(1000)


def test_random_index_never_returns_a_taken_slot():
    taken = set(range(0, 1000, 2))
    rng = SeededRng(1)
    for _ in range(300):
        index = sl.random_index(taken.__contains__, entries=1000, rng=rng)
        assert index not in taken
        taken.add(index)


def test_random_index_finds_the_last_free_slot_by_scanning():
    entries = 1000
    assert sl.random_index(lambda i: i != 617, entries=entries, rng=SeededRng(2)) == 617


def test_random_index_on_a_full_list_asks_for_a_new_list():
    with pytest.raises(StatusListError, match="start a new list"):
        sl.random_index(lambda i: True, entries=1000, rng=SeededRng(3))


def test_random_index_uses_the_whole_range_by_default():
    index = sl.random_index(lambda i: False)
    assert 0 <= index < sl.MIN_ENTRIES


def test_status_entry_has_string_index_and_fragment_id():
    assert sl.status_entry(LIST_URL, 94567) == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }


def test_status_list_credential_shape():
    credential = sl.status_list_credential(
        LIST_URL, "did:web:badges.example", "uH4sI", "2025-01-01T00:00:00Z",
        valid_until="2026-01-01T00:00:00Z", ttl=300000, name="Revocations",
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:badges.example",
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2026-01-01T00:00:00Z",
        "name": "Revocations",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uH4sI",
            "ttl": 300000,
        },
    }


def test_built_list_and_entry_check_round_trip():
    bits = sl.new_bitstring()
    sl.set_status(bits, 77)
    credential = list_with(bits)
    assert sl.check_status(sl.status_entry(LIST_URL, 77), credential, now=NOW).set is True
    assert sl.check_status(sl.status_entry(LIST_URL, 78), credential, now=NOW).set is False


def test_short_list_is_a_length_error():
    credential = list_with(bytearray(1024))
    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR"):
        sl.check_status(sl.status_entry(LIST_URL, 3), credential, now=NOW)


def test_index_beyond_the_list_is_a_range_error_in_check():
    credential = list_with(sl.new_bitstring())
    entry = sl.status_entry(LIST_URL, sl.MIN_ENTRIES)
    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        sl.check_status(entry, credential, now=NOW)


def test_purpose_mismatch_is_a_verification_error():
    credential = list_with(sl.new_bitstring(), purpose="revocation")
    entry = sl.status_entry(LIST_URL, 3, purpose="suspension")
    with pytest.raises(StatusListError, match="STATUS_VERIFICATION_ERROR.*suspension"):
        sl.check_status(entry, credential, now=NOW)


def test_list_with_several_purposes_accepts_each():
    bits = sl.new_bitstring()
    sl.set_status(bits, 3)
    credential = list_with(bits, purpose=["revocation", "suspension"])
    entry = sl.status_entry(LIST_URL, 3, purpose="suspension")
    assert sl.check_status(entry, credential, now=NOW) == sl.StatusResult(
        "suspension", 1, True, "suspended"
    )


def test_numeric_and_string_index_give_the_same_status():
    entry = fixture_entry()
    as_string = {**entry, "statusListIndex": "23"}
    assert sl.check_status(entry, fixture_list(), now=NOW) == sl.check_status(
        as_string, fixture_list(), now=NOW
    )


@pytest.mark.parametrize("index", ["-1", "1.5", "", "٣", None, True, -4])
def test_malformed_index_is_refused(index):
    entry = {**fixture_entry(), "statusListIndex": index}
    with pytest.raises(StatusListError, match="MALFORMED_VALUE_ERROR"):
        sl.check_status(entry, fixture_list(), now=NOW)


def test_status_size_two_reports_the_status_message():
    bits = sl.new_bitstring(size=2)
    sl.set_status(bits, 10, value=3, size=2)
    credential = list_with(bits, purpose="message")
    entry = {
        **sl.status_entry(LIST_URL, 10, purpose="message"),
        "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "valid"},
            {"status": "0x1", "message": "pending review"},
            {"status": "0x2", "message": "under investigation"},
            {"status": "0x3", "message": "withdrawn by the trainer"},
        ],
    }
    assert sl.check_status(entry, credential, now=NOW) == sl.StatusResult(
        "message", 3, True, "withdrawn by the trainer"
    )


def test_status_size_without_status_message_is_refused():
    credential = list_with(sl.new_bitstring(size=2), purpose="message")
    entry = {**sl.status_entry(LIST_URL, 1, purpose="message"), "statusSize": 2}
    with pytest.raises(StatusListError, match="statusMessage with 4 entries"):
        sl.check_status(entry, credential, now=NOW)


def test_expired_list_is_refused():
    credential = list_with(sl.new_bitstring(), valid_until="2025-05-31T23:59:59Z")
    with pytest.raises(StatusListError, match="STATUS_VERIFICATION_ERROR.*expired"):
        sl.check_status(sl.status_entry(LIST_URL, 1), credential, now=NOW)


def test_list_not_yet_valid_is_refused():
    credential = list_with(sl.new_bitstring())
    early = datetime(2024, 12, 31, tzinfo=UTC)
    with pytest.raises(StatusListError, match="valid only from"):
        sl.check_status(sl.status_entry(LIST_URL, 1), credential, now=early)


def test_entry_type_must_match_the_list_type():
    entry = {**fixture_entry(), "type": "StatusList2021Entry"}
    with pytest.raises(StatusListError, match="not a StatusList2021Credential"):
        sl.check_status(entry, fixture_list(), now=NOW)


def test_unknown_entry_type_is_refused():
    entry = {**fixture_entry(), "type": "1EdTechRevocationList"}
    with pytest.raises(StatusListError, match="STATUS_VERIFICATION_ERROR"):
        sl.check_status(entry, fixture_list(), now=NOW)


def test_status_list_2021_badge_is_read():
    bits = sl.new_bitstring()
    sl.set_status(bits, 1234)
    legacy_list = {
        "@context": ["https://www.w3.org/2018/credentials/v1",
                     "https://w3id.org/vc/status-list/2021/v1"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": "did:web:badges.example",
        "issuanceDate": "2022-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            "encodedList": base64.b64encode(gzip.compress(bytes(bits))).decode(),
        },
    }
    entry = {
        "id": f"{LIST_URL}#1234",
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": "1234",
        "statusListCredential": LIST_URL,
    }
    assert sl.check_status(entry, legacy_list, now=NOW).set is True


def test_check_status_does_not_modify_its_inputs():
    entry, credential = fixture_entry(), fixture_list()
    before = copy.deepcopy((entry, credential))
    sl.check_status(entry, credential, now=NOW)
    assert (entry, credential) == before


def test_absurdly_long_index_is_refused_as_malformed():
    entry = {**fixture_entry(), "statusListIndex": "9" * 5000}
    with pytest.raises(StatusListError, match="MALFORMED_VALUE_ERROR"):
        sl.check_status(entry, fixture_list(), now=NOW)
