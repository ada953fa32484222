"""Multibase and multicodec encodings used by Multikey, did:key and Data Integrity proofs."""

from __future__ import annotations

import base64

from .errors import KeyFormatError

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # Bitcoin's
_DIGITS = {char: value for value, char in enumerate(_ALPHABET)}
_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]
_CHUNK = 58**10  # ten digits per big-integer step, then five pairs of small-integer steps
ED25519_PUB = b"\xed\x01"
ED25519_PRIV = b"\x80\x26"
P256_PUB = b"\x80\x24"


def encode_base58btc(data: bytes) -> str:
    """`z` + base58btc (Bitcoin alphabet), the multibase form of proofValue and Multikey."""
    number = int.from_bytes(data, "big")
    pairs = []
    while number:
        number, chunk = divmod(number, _CHUNK)
        for _ in range(5):
            chunk, pair = divmod(chunk, 3364)
            pairs.append(_PAIRS[pair])
    text = "".join(reversed(pairs)).lstrip("1")
    zeros = len(data) - len(data.lstrip(b"\0"))  # each leading zero byte is a "1"
    return "z" + "1" * zeros + text


def decode_base58btc(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("multibase value must be a string starting with 'z' (base58btc)")
    text = value[1:]
    digits = text.lstrip("1")
    number = 0
    try:
        for char in digits:
            number = number * 58 + _DIGITS[char]
    except KeyError:
        raise KeyFormatError(
            "invalid base58btc value: a character is outside the alphabet") from None
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(digits)) + body


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise KeyFormatError(f"invalid base64url value: {error}") from None


def encode_multikey(public_key: bytes, codec: bytes = ED25519_PUB) -> str:
    """Multikey `publicKeyMultibase` for a raw public key."""
    return encode_base58btc(codec + public_key)


def decode_multikey(value: str) -> tuple[bytes, bytes]:
    """Return (codec, raw key) of a `publicKeyMultibase`; Ed25519 and P-256 are understood."""
    data = decode_base58btc(value)
    if data[:2] == ED25519_PUB and len(data) == 34:
        return ED25519_PUB, data[2:]
    if data[:2] == P256_PUB and len(data) == 35:
        return P256_PUB, data[2:]
    raise KeyFormatError("publicKeyMultibase is not an Ed25519 (0xed01) or P-256 (0x8024) key")
