"""IETF Token Status List (draft-ietf-oauth-status-list), the status an SD-JWT VC points at.

An SD-JWT VC says `"status": {"status_list": {"idx": i, "uri": u}}`; `u` serves a Status List
Token, a JWT typed `statuslist+jwt` whose `sub` is `u` and whose `status_list` is
`{"bits": 1, "lst": base64url(zlib(bytes))}`. We publish it from the same bits as our W3C
Bitstring Status List, so one revocation flips both. The two orders differ: the W3C list
puts index 0 in the most significant bit of byte 0, the token list in the least significant.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime

from .errors import BadgeError, StatusListError
from .keys import PrivateKey, PublicKey
from .multibase import b64url, unb64url
from .sd_jwt import SdJwtError, check_signature, decode_jws, sign_compact

TOKEN_TYPE = "statuslist+jwt"
MEDIA_TYPE = "application/statuslist+jwt"
MAX_LIST_BYTES = 1024 * 1024  # decompressed: 8 million one-bit statuses
VALID = 0


def _reversed_bits(data: bytes | bytearray) -> bytes:
    table = bytes(int(f"{n:08b}"[::-1], 2) for n in range(256))
    return bytes(data).translate(table)


def token_payload(uri: str, bitstring_msb_first: bytes | bytearray, issued: datetime,
                  expires: datetime, ttl: int) -> dict:
    """The Status List Token's claims for a W3C bitstring (index 0 = most significant bit)."""
    lst = b64url(zlib.compress(_reversed_bits(bitstring_msb_first), 9))
    return {"sub": uri, "iat": int(issued.timestamp()), "exp": int(expires.timestamp()),
            "ttl": ttl, "status_list": {"bits": 1, "lst": lst}}


def sign_token(payload: dict, key: PrivateKey, kid: str) -> str:
    """The compact Status List Token (`typ` statuslist+jwt)."""
    return sign_compact({"typ": TOKEN_TYPE, "kid": kid}, payload, key)


def read_status(token: str, uri: str, index: int, key_for: Callable[[dict, dict], PublicKey],
                now: datetime | None = None) -> int:
    """The status at `index` of the list `token` fetched from `uri` (0 = valid).

    Checks the typ, the signature (by the key `key_for(header, payload)` trusts), that `sub`
    is `uri`, and `exp`. Raises StatusListError when the list cannot be trusted or read.
    """
    try:
        header, payload, signing_input, signature = decode_jws(token.strip(), "status list")
        if header.get("typ") != TOKEN_TYPE:
            raise StatusListError(f"the status list token's typ must be {TOKEN_TYPE}")
        check_signature(header, signing_input, signature, key_for(header, payload),
                        "status list")
    except SdJwtError as error:
        raise StatusListError(str(error)) from None
    except BadgeError as error:
        raise StatusListError(f"the status list's signer cannot be established: {error}") \
            from None
    if payload.get("sub") != uri:
        raise StatusListError("the status list token's sub is not the URI the credential names")
    expires = payload.get("exp")
    if isinstance(expires, int | float) and not isinstance(expires, bool) \
            and expires <= (now or datetime.now(UTC)).timestamp():
        raise StatusListError("the status list token has expired")
    status_list = payload.get("status_list")
    if not isinstance(status_list, dict) or status_list.get("bits") not in (1, 2, 4, 8) \
            or not isinstance(status_list.get("lst"), str):
        raise StatusListError("the status list token has no valid status_list {bits, lst}")
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(unb64url(status_list["lst"]), MAX_LIST_BYTES + 1)
    except (zlib.error, ValueError):
        raise StatusListError("the status list's lst is not base64url zlib data") from None
    if len(data) > MAX_LIST_BYTES:
        raise StatusListError("the status list is too large")
    bits = status_list["bits"]
    if not isinstance(index, int) or isinstance(index, bool) or index < 0 \
            or (index + 1) * bits > len(data) * 8:
        raise StatusListError("the credential's status index is outside the list")
    start = index * bits
    return (data[start // 8] >> (start % 8)) & ((1 << bits) - 1)
