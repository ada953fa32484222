"""Multibase and multicodec encodings used by Multikey, did:key and Data Integrity proofs."""

from __future__ import annotations

import base64

import base58

from .errors import KeyFormatError

_BASE58_ALPHABET = frozenset(base58.BITCOIN_ALPHABET.decode("ascii"))
ED25519_PUB = b"\xed\x01"
ED25519_PRIV = b"\x80\x26"
P256_PUB = b"\x80\x24"


def encode_base58btc(data: bytes) -> str:
    """`z` + base58btc (Bitcoin alphabet), the multibase form of proofValue and Multikey."""
    return "z" + base58.b58encode(data).decode("ascii")


def decode_base58btc(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("multibase value must be a string starting with 'z' (base58btc)")
    # The base58 library strips whitespace; a signature with trailing junk must not verify.
    if not set(value[1:]) <= _BASE58_ALPHABET:
        raise KeyFormatError("invalid base58btc value: a character is outside the alphabet")
    try:
        return base58.b58decode(value[1:])
    except ValueError as error:
        raise KeyFormatError(f"invalid base58btc value: {error}") from None


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
