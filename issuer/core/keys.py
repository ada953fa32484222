"""Signing keys: Ed25519 (Data Integrity and JWT), P-256 and RSA (JWT).

A private key never shows its secret in `repr`, `str` or an error. It leaves the object only
through two explicit doors: `to_encrypted_pem(passphrase)` and `to_private_jwk()`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from . import pkcs8
from .errors import KeyFormatError
from .multibase import (
    ED25519_PUB,
    P256_PUB,
    b64url,
    decode_multikey,
    encode_multikey,
    unb64url,
)

ED25519 = "Ed25519"
P256 = "P-256"
RSA = "RSA"
KEY_TYPES = (ED25519, P256, RSA)


@dataclass(frozen=True)
class PublicKey:
    """A public key; knows its Multikey, did:key and JWK forms and verifies signatures."""

    kind: str
    _key: object

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        codec, raw = decode_multikey(value)
        if codec == ED25519_PUB:
            return cls(ED25519, ed25519.Ed25519PublicKey.from_public_bytes(raw))
        return cls(P256, ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw))

    @classmethod
    def from_jwk(cls, jwk: dict) -> PublicKey:
        if not isinstance(jwk, dict):
            raise KeyFormatError("a JWK must be a JSON object")
        if "d" in jwk:
            raise KeyFormatError("expected a public JWK but it contains the private member 'd'")
        return _public_from_jwk(jwk)

    @classmethod
    def from_pem(cls, data: bytes | str) -> PublicKey:
        """A public key in PEM (SubjectPublicKeyInfo): RSA, P-256 or Ed25519."""
        try:
            key = serialization.load_pem_public_key(
                data.encode("ascii") if isinstance(data, str) else data)
        except (ValueError, TypeError, UnicodeEncodeError):
            raise KeyFormatError("not a PEM public key") from None
        if isinstance(key, ed25519.Ed25519PublicKey):
            return cls(ED25519, key)
        if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            return cls(P256, key)
        if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
            return cls(RSA, key)
        raise KeyFormatError("only RSA (2048 bits or more), P-256 and Ed25519 keys are read")

    @property
    def raw(self) -> bytes:
        if self.kind == ED25519:
            return self._key.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        if self.kind == P256:
            return self._key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )
        return self._key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def multibase(self) -> str:
        """`publicKeyMultibase` (z6Mk… for Ed25519, zDn… for P-256)."""
        if self.kind == RSA:
            raise KeyFormatError("RSA keys have no Multikey form here; use the JWK")
        return encode_multikey(self.raw, ED25519_PUB if self.kind == ED25519 else P256_PUB)

    @property
    def did_key(self) -> str:
        return "did:key:" + self.multibase

    @property
    def did_key_vm(self) -> str:
        """The verification method id of this key's did:key (`did:key:X#X`)."""
        return f"{self.did_key}#{self.multibase}"

    def to_jwk(self) -> dict:
        if self.kind == ED25519:
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url(self.raw)}
        if self.kind == P256:
            numbers = self._key.public_numbers()
            return {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url(numbers.x.to_bytes(32, "big")),
                "y": b64url(numbers.y.to_bytes(32, "big")),
            }
        numbers = self._key.public_numbers()
        return {
            "kty": "RSA",
            "n": b64url(_int_bytes(numbers.n)),
            "e": b64url(_int_bytes(numbers.e)),
        }

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint, used as a stable key id."""
        jwk = self.to_jwk()
        members = {k: jwk[k] for k in sorted(jwk) if k in ("crv", "e", "kty", "n", "x", "y")}
        canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
        return b64url(hashlib.sha256(canonical).digest())

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when `signature` (raw r‖s for P-256) is valid for `data`."""
        try:
            if self.kind == ED25519:
                self._key.verify(signature, data)
            elif self.kind == P256:
                self._key.verify(_der_signature(signature), data, ec.ECDSA(hashes.SHA256()))
            else:
                self._key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    def __repr__(self) -> str:
        return f"PublicKey({self.kind}, {self.to_jwk().get('x', self.thumbprint())})"


class PrivateKey:
    """A private signing key. Its secret never appears in repr, str or exceptions."""

    __slots__ = ("kind", "_key")

    def __init__(self, kind: str, key: object):
        self.kind = kind
        self._key = key

    @classmethod
    def generate(cls, kind: str = ED25519) -> PrivateKey:
        if kind == ED25519:
            return cls(kind, ed25519.Ed25519PrivateKey.generate())
        if kind == P256:
            return cls(kind, ec.generate_private_key(ec.SECP256R1()))
        if kind == RSA:
            return cls(kind, rsa.generate_private_key(public_exponent=65537, key_size=2048))
        raise KeyFormatError(f"unknown key type {kind!r}; expected one of {', '.join(KEY_TYPES)}")

    @classmethod
    def from_ed25519_seed(cls, seed: bytes) -> PrivateKey:
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        return cls(ED25519, ed25519.Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_jwk(cls, jwk: dict) -> PrivateKey:
        if not isinstance(jwk, dict) or "d" not in jwk:
            raise KeyFormatError("expected a private JWK with a 'd' member")
        public = _public_from_jwk(jwk)
        d = unb64url(jwk["d"])
        if public.kind == ED25519:
            key = cls.from_ed25519_seed(d)
        elif public.kind == P256:
            numbers = ec.EllipticCurvePrivateNumbers(
                int.from_bytes(d, "big"), public._key.public_numbers()
            )
            key = cls(P256, numbers.private_key())
        else:
            key = cls(RSA, _rsa_private_from_jwk(jwk, public))
        if key.public_key.raw != public.raw:
            raise KeyFormatError("the JWK's private part does not match its public part")
        return key

    @classmethod
    def from_pem(cls, data: bytes, passphrase: bytes | str | None) -> PrivateKey:
        """Read a PKCS#8 PEM; an encrypted one needs the passphrase."""
        if isinstance(passphrase, str):
            passphrase = passphrase.encode()
        try:
            key = serialization.load_pem_private_key(data, password=passphrase or None)
        except TypeError:
            raise KeyFormatError("the PEM key is encrypted: a passphrase is needed") from None
        except ValueError:
            raise KeyFormatError(
                "cannot read the PEM key (wrong passphrase or not a key)"
            ) from None
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return cls(ED25519, key)
        if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
            return cls(P256, key)
        if isinstance(key, rsa.RSAPrivateKey):
            return cls(RSA, key)
        raise KeyFormatError("unsupported key type in PEM (Ed25519, P-256 or RSA expected)")

    @classmethod
    def load(cls, data: bytes, passphrase: bytes | str | None = None) -> PrivateKey:
        """Read a private key file: a private JWK (JSON) or a PKCS#8 PEM."""
        text = data.lstrip()
        if text.startswith(b"{"):
            try:
                return cls.from_jwk(json.loads(text))
            except json.JSONDecodeError as error:
                raise KeyFormatError(f"key file is not valid JSON: {error.msg}") from None
        if text.startswith(b"-----BEGIN"):
            return cls.from_pem(text, passphrase)
        raise KeyFormatError("key file is neither a JWK (JSON) nor a PEM")

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(self.kind, self._key.public_key())

    def sign(self, data: bytes) -> bytes:
        """Sign `data`: pure Ed25519, ES256 as raw r‖s, or RS256 (PKCS#1 v1.5)."""
        if self.kind == ED25519:
            return self._key.sign(data)
        if self.kind == P256:
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

            r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def to_encrypted_pem(self, passphrase: bytes | str,
                         iterations: int = pkcs8.KDF_ITERATIONS) -> bytes:
        """PKCS#8 PEM encrypted with the passphrase (PBKDF2-SHA256, `iterations` rounds, then
        AES-256); the only way to store a key."""
        if isinstance(passphrase, str):
            passphrase = passphrase.encode()
        if not passphrase:
            raise KeyFormatError("refusing to export a private key without a passphrase")
        der = self._key.private_bytes(serialization.Encoding.DER,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        return pkcs8.encrypt(der, passphrase, iterations)

    def to_private_jwk(self) -> dict:
        """The private JWK, including `d`. Handle like the key itself."""
        jwk = self.public_key.to_jwk()
        if self.kind == ED25519:
            raw = self._key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            jwk["d"] = b64url(raw)
        elif self.kind == P256:
            jwk["d"] = b64url(self._key.private_numbers().private_value.to_bytes(32, "big"))
        else:
            n = self._key.private_numbers()
            for name, value in (
                ("d", n.d),
                ("p", n.p),
                ("q", n.q),
                ("dp", n.dmp1),
                ("dq", n.dmq1),
                ("qi", n.iqmp),
            ):
                jwk[name] = b64url(_int_bytes(value))
        return jwk

    def __repr__(self) -> str:
        return f"PrivateKey({self.kind}, public={self.public_key.to_jwk().get('x', '…')})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("private keys are not picklable; export them with to_encrypted_pem()")


def _public_from_jwk(jwk: dict) -> PublicKey:
    try:
        kty, crv = jwk.get("kty"), jwk.get("crv")
        if kty == "OKP" and crv == "Ed25519":
            raw = unb64url(jwk["x"])
            return PublicKey(ED25519, ed25519.Ed25519PublicKey.from_public_bytes(raw))
        if kty == "EC" and crv == "P-256":
            x, y = (int.from_bytes(unb64url(jwk[m]), "big") for m in ("x", "y"))
            return PublicKey(P256, ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key())
        if kty == "RSA":
            n, e = (int.from_bytes(unb64url(jwk[m]), "big") for m in ("n", "e"))
            return PublicKey(RSA, rsa.RSAPublicNumbers(e, n).public_key())
    except (KeyError, ValueError, TypeError) as error:
        raise KeyFormatError(f"invalid JWK: {type(error).__name__} {error}") from None
    raise KeyFormatError(f"unsupported JWK (kty={kty!r}, crv={crv!r}); Ed25519, P-256 or RSA")


def _rsa_private_from_jwk(jwk: dict, public: PublicKey):
    try:
        ints = {
            m: int.from_bytes(unb64url(jwk[m]), "big") for m in ("d", "p", "q", "dp", "dq", "qi")
        }
    except KeyError as missing:
        raise KeyFormatError(f"RSA private JWK lacks {missing}") from None
    return rsa.RSAPrivateNumbers(
        ints["p"],
        ints["q"],
        ints["d"],
        ints["dp"],
        ints["dq"],
        ints["qi"],
        public._key.public_numbers(),
    ).private_key()


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def _der_signature(raw: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if len(raw) != 64:
        raise ValueError("ES256 signature must be 64 bytes")
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
