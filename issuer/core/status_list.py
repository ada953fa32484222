"""W3C Bitstring Status List: the bitstring, its encoding, entries, list credentials and checks.

Bits are numbered MSB-first: bit `i` lives in byte `i // 8` under mask `0x80 >> (i % 8)`.
An entry of `statusSize` bits starts at bit `index * statusSize`, most significant bit first.
StatusList2021 (the predecessor) uses the same bitstring, so old badges are read the same way.
Verifying the list credential's proof is not done here; `verify_status.py` does it before calling
`check_status`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import StatusListError
from .jsonld import CREDENTIALS_V2
from .multibase import b64url

MIN_ENTRIES = 131072  # BSL minimum (16 KiB of bits), for herd privacy
MAX_DECODED_BYTES = 16 * 1024 * 1024  # refuse gzip bombs: 134 million one-bit entries is plenty
RANDOM_TRIES = 64  # random draws before falling back to a scan
# gzip's fastest level: a mostly-zero list compresses nearly as well (13.6 kB against 8.0 kB for
# 5,000 set bits in 1,000,000), and level 9 cost 98 % of re-signing such a list (44 ms).
GZIP_LEVEL = 1

# entry type -> (list credential type, list subject type)
ENTRY_TYPES = {
    "BitstringStatusListEntry": ("BitstringStatusListCredential", "BitstringStatusList"),
    "StatusList2021Entry": ("StatusList2021Credential", "StatusList2021"),
}
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class StatusResult:
    """The status of one credential in one list: `set` is True when revoked/suspended/flagged."""

    purpose: str
    status: int
    set: bool
    message: str


def new_bitstring(entries: int = MIN_ENTRIES, size: int = 1) -> bytearray:
    """An all-zero bitstring for `entries` statuses of `size` bits (never below the minimum)."""
    if entries < MIN_ENTRIES:
        raise StatusListError(
            f"a status list needs at least {MIN_ENTRIES} entries for herd privacy, not {entries}"
        )
    _check_size(size)
    return bytearray(-(-entries * size // 8))


def set_status(bits: bytearray, index: int, value: int = 1, size: int = 1) -> None:
    """Write `value` into the `size`-bit status at `index`."""
    _check_size(size)
    if not 0 <= value < 1 << size:
        raise StatusListError(f"status value {value} does not fit in {size} bit(s)")
    start = _start_bit(bits, index, size)
    for offset in range(size):
        bit = start + offset
        mask = 0x80 >> (bit % 8)
        if value >> (size - 1 - offset) & 1:
            bits[bit // 8] |= mask
        else:
            bits[bit // 8] &= ~mask & 0xFF


def get_status(bits: bytes | bytearray, index: int, size: int = 1) -> int:
    """Read the `size`-bit status at `index` as an integer."""
    _check_size(size)
    start = _start_bit(bits, index, size)
    value = 0
    for bit in range(start, start + size):
        value = value << 1 | (bits[bit // 8] >> (7 - bit % 8) & 1)
    return value


def encode_list(bits: bytes | bytearray) -> str:
    """`encodedList`: gzip (RFC 1952, any level decodes alike), then multibase base64url
    without padding (`u…`)."""
    return "u" + b64url(gzip.compress(bytes(bits), compresslevel=GZIP_LEVEL, mtime=0))


def decode_list(encoded: str) -> bytearray:
    """Expand an `encodedList`; accepts the `u` multibase form and legacy unprefixed `H4sI…`."""
    if not isinstance(encoded, str) or not encoded:
        raise StatusListError("MALFORMED_VALUE_ERROR: encodedList must be a non-empty string")
    text = encoded[1:] if encoded.startswith("u") else encoded
    # StatusList2021 lists were sometimes plain base64 with padding; normalise to base64url.
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    if not _BASE64URL.match(text):
        raise StatusListError("MALFORMED_VALUE_ERROR: encodedList is not base64url")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise StatusListError("MALFORMED_VALUE_ERROR: encodedList is not base64url") from None
    return bytearray(_gunzip(compressed))


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
    try:
        expanded = inflater.decompress(data, MAX_DECODED_BYTES + 1)
    except zlib.error:
        raise StatusListError("MALFORMED_VALUE_ERROR: encodedList is not gzip data") from None
    if len(expanded) > MAX_DECODED_BYTES:
        raise StatusListError(
            f"MALFORMED_VALUE_ERROR: encodedList expands beyond {MAX_DECODED_BYTES} bytes"
        )
    if not inflater.eof:
        raise StatusListError("MALFORMED_VALUE_ERROR: encodedList gzip data is truncated")
    return expanded


def random_index(
    is_taken: Callable[[int], bool], entries: int = MIN_ENTRIES, rng=secrets
) -> int:
    """A free index chosen at random, so that positions reveal nothing about issue order.

    After `RANDOM_TRIES` taken draws the list is nearly full: scan from a random start for the
    last free slots. Raises StatusListError when none is left; the caller then opens a new list.
    `rng` needs a `randbelow(n)` method (the `secrets` module by default).
    """
    if entries <= 0:
        raise StatusListError("a status list needs at least one entry")
    for _ in range(RANDOM_TRIES):
        index = rng.randbelow(entries)
        if not is_taken(index):
            return index
    start = rng.randbelow(entries)
    for offset in range(entries):
        index = (start + offset) % entries
        if not is_taken(index):
            return index
    raise StatusListError(f"the status list is full ({entries} entries): start a new list")


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict:
    """The `credentialStatus` of a credential at `index` in the list at `list_url`."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError(f"statusListIndex must be a non-negative integer, not {index!r}")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str,
    issuer: str | dict,
    encoded_list: str,
    valid_from: str,
    purpose: str | list[str] = "revocation",
    valid_until: str | None = None,
    ttl: int | None = None,
    name: str | None = None,
) -> dict:
    """An unsigned BitstringStatusListCredential, ready for `proofs.sign`.

    `ttl` is in milliseconds, per BSL; it never overrides `validUntil`.
    """
    credential = {
        "@context": [CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
    }
    if valid_until is not None:
        credential["validUntil"] = valid_until
    if name is not None:
        credential["name"] = name
    subject = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encoded_list,
    }
    if ttl is not None:
        subject["ttl"] = ttl
    credential["credentialSubject"] = subject
    return credential


def check_status(
    entry: dict, list_credential: dict, now: datetime | None = None
) -> StatusResult:
    """BSL "validate" steps 2 and 4–8 for one entry against its (already verified) list.

    Raises StatusListError whose message starts with the BSL error name.
    """
    if not isinstance(entry, dict) or entry.get("type") not in ENTRY_TYPES:
        raise StatusListError(
            "STATUS_VERIFICATION_ERROR: credentialStatus type must be "
            + " or ".join(ENTRY_TYPES)
        )
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise StatusListError("MALFORMED_VALUE_ERROR: credentialStatus has no statusPurpose")
    subject = _list_subject(entry["type"], list_credential)
    _check_list_validity(list_credential, now or datetime.now(UTC))
    listed = subject.get("statusPurpose")
    purposes = listed if isinstance(listed, list) else [listed]
    if purpose not in purposes:
        raise StatusListError(
            f"STATUS_VERIFICATION_ERROR: the entry's statusPurpose {purpose!r} is not among "
            f"the list's {purposes!r}"
        )
    size = _entry_size(entry)
    index = _entry_index(entry)
    bits = decode_list(subject.get("encodedList"))
    if len(bits) * 8 // size < MIN_ENTRIES:
        raise StatusListError(
            f"STATUS_LIST_LENGTH_ERROR: the list holds {len(bits) * 8 // size} entries, "
            f"fewer than the minimum {MIN_ENTRIES}"
        )
    status = get_status(bits, index, size)
    return StatusResult(purpose, status, status != 0, _status_message(entry, purpose, status))


def _list_subject(entry_type: str, list_credential: dict) -> dict:
    credential_type, subject_type = ENTRY_TYPES[entry_type]
    types = list_credential.get("type") if isinstance(list_credential, dict) else None
    if credential_type not in (types if isinstance(types, list) else [types]):
        raise StatusListError(
            f"STATUS_VERIFICATION_ERROR: the status list is not a {credential_type}"
        )
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != subject_type:
        raise StatusListError(
            f"STATUS_VERIFICATION_ERROR: the status list's credentialSubject is not a "
            f"{subject_type}"
        )
    return subject


def _check_list_validity(list_credential: dict, now: datetime) -> None:
    start = list_credential.get("validFrom", list_credential.get("issuanceDate"))
    end = list_credential.get("validUntil", list_credential.get("expirationDate"))
    if start is not None and _parse_time(start) > now:
        raise StatusListError(
            f"STATUS_VERIFICATION_ERROR: the status list is valid only from {start}"
        )
    if end is not None and _parse_time(end) < now:
        raise StatusListError(f"STATUS_VERIFICATION_ERROR: the status list expired at {end}")


def _parse_time(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise StatusListError(f"MALFORMED_VALUE_ERROR: {value!r} is not a dateTime") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _entry_size(entry: dict) -> int:
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise StatusListError("MALFORMED_VALUE_ERROR: statusSize must be a positive integer")
    if size > 1:
        messages = entry.get("statusMessage")
        if not isinstance(messages, list) or len(messages) != 1 << size:
            raise StatusListError(
                f"MALFORMED_VALUE_ERROR: statusSize {size} needs a statusMessage with "
                f"{1 << size} entries"
            )
    return size


def _entry_index(entry: dict) -> int:
    raw = entry.get("statusListIndex")
    # BSL says a base-10 string; the 1EdTech fixtures use a JSON number. Accept both.
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 20:
        return int(raw)
    raise StatusListError(
        f"MALFORMED_VALUE_ERROR: statusListIndex {raw!r} is not a non-negative integer"
    )


def _status_message(entry: dict, purpose: str, status: int) -> str:
    for item in entry.get("statusMessage") or []:
        try:
            if isinstance(item, dict) and int(str(item.get("status")), 16) == status:
                return str(item.get("message", ""))
        except ValueError:
            continue
    if purpose == "revocation":
        return "revoked" if status else "not revoked"
    if purpose == "suspension":
        return "suspended" if status else "not suspended"
    return "set" if status else "unset"


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise StatusListError(f"statusSize must be a positive integer, not {size!r}")


def _start_bit(bits: bytes | bytearray, index: int, size: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise StatusListError(f"a status index must be an integer, not {index!r}")
    capacity = len(bits) * 8 // size
    if not 0 <= index < capacity:
        raise StatusListError(
            f"RANGE_ERROR: index {index} is outside the status list (0 to {capacity - 1})"
        )
    return index * size
