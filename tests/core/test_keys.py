"""Keys: Multikey, JWK, encrypted PEM, did:key, and secrets that never show."""

import json
import pickle

import pytest

from issuer.core import did, multibase
from issuer.core.errors import KeyFormatError, ResolutionError
from issuer.core.keys import ED25519, P256, RSA, PrivateKey, PublicKey
from tests.helpers import load_vector

VECTOR_KEY = load_vector("ob-v3p0-ldp", "key.json")


def vector_private_key():
    return PrivateKey.from_ed25519_seed(bytes.fromhex(VECTOR_KEY["privateKeySeedHex"]))


def test_multikey_of_the_vector_key_is_the_published_one():
    assert vector_private_key().public_key.multibase == VECTOR_KEY["publicKeyMultibase"]


def test_multikey_decodes_back_to_the_same_public_key():
    key = PublicKey.from_multibase(VECTOR_KEY["publicKeyMultibase"])
    assert key.raw.hex() == VECTOR_KEY["publicKeyHex"]


def test_multikey_with_a_wrong_codec_is_refused():
    value = multibase.encode_base58btc(b"\x12\x00" + bytes(32))
    with pytest.raises(KeyFormatError, match="not an Ed25519"):
        PublicKey.from_multibase(value)


def test_multibase_without_z_prefix_is_refused():
    with pytest.raises(KeyFormatError, match="starting with 'z'"):
        multibase.decode_base58btc("6MkjZRZ")


@pytest.mark.parametrize("data, text", [
    (b"", "z"), (b"\0\0\x01", "z112"), (b"hello world", "zStV1DL6CwTryKyV"),
    (bytes(range(64)), "z1GMkH3brNXiNNs1tiFZHu4yZSRrzJwxi5wB9bHFtMinfCXNnR1adh8Vo8NTheK4evneedH4q"
                       "mvjeqcBBNAefgS"),
])
def test_base58btc_is_bitcoins_alphabet_with_a_one_per_leading_zero_byte(data, text):
    assert multibase.encode_base58btc(data) == text
    assert multibase.decode_base58btc(text) == data


@pytest.mark.parametrize("text", ["z0OIl", "zab ", "zab\n", "z+"])
def test_base58btc_outside_the_alphabet_is_refused(text):
    with pytest.raises(KeyFormatError, match="outside the alphabet"):
        multibase.decode_base58btc(text)


@pytest.mark.parametrize("kind", [ED25519, P256, RSA])
def test_private_jwk_round_trip_keeps_the_key(kind):
    key = PrivateKey.generate(kind)
    again = PrivateKey.from_jwk(key.to_private_jwk())
    assert again.public_key.to_jwk() == key.public_key.to_jwk()
    assert again.public_key.verify(key.sign(b"data"), b"data")


@pytest.mark.parametrize("kind", [ED25519, P256, RSA])
def test_encrypted_pem_round_trip_needs_the_passphrase(kind):
    key = PrivateKey.generate(kind)
    pem = key.to_encrypted_pem("correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert PrivateKey.from_pem(pem, "correct horse").public_key.raw == key.public_key.raw
    with pytest.raises(KeyFormatError, match="wrong passphrase"):
        PrivateKey.from_pem(pem, "wrong")
    with pytest.raises(KeyFormatError, match="passphrase is needed"):
        PrivateKey.from_pem(pem, None)


def test_export_without_passphrase_is_refused():
    with pytest.raises(KeyFormatError, match="without a passphrase"):
        PrivateKey.generate().to_encrypted_pem("")


def test_encrypted_pem_resists_a_passphrase_search_and_stays_standard_pkcs8():
    import subprocess

    key = PrivateKey.generate()
    pem = key.to_encrypted_pem("correct horse")
    structure = subprocess.run(["openssl", "asn1parse"], input=pem, capture_output=True,
                               check=True).stdout.decode()
    assert ":PBES2" in structure and ":PBKDF2" in structure
    assert ":hmacWithSHA256" in structure and ":aes-256-cbc" in structure
    assert "INTEGER           :0927C0" in structure  # 600,000 rounds (cryptography's: 2,048)
    opened = subprocess.run(["openssl", "pkey", "-passin", "pass:correct horse", "-pubout"],
                            input=pem, capture_output=True, check=True).stdout
    assert PrivateKey.from_pem(pem, "correct horse").public_key.raw == key.public_key.raw
    assert opened.startswith(b"-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize("kind", [ED25519, P256, RSA])
def test_public_jwk_round_trip(kind):
    public = PrivateKey.generate(kind).public_key
    assert PublicKey.from_jwk(public.to_jwk()).raw == public.raw


def test_public_jwk_with_private_member_is_refused():
    with pytest.raises(KeyFormatError, match="private member"):
        PublicKey.from_jwk(PrivateKey.generate().to_private_jwk())


def test_private_jwk_whose_parts_do_not_match_is_refused():
    jwk = PrivateKey.generate().to_private_jwk()
    jwk["x"] = PrivateKey.generate().public_key.to_jwk()["x"]
    with pytest.raises(KeyFormatError, match="does not match"):
        PrivateKey.from_jwk(jwk)


def test_the_secret_never_appears_in_repr_str_or_pickle():
    key = vector_private_key()
    seed_b64 = key.to_private_jwk()["d"]
    for text in (repr(key), str(key), f"{key}", repr([key])):
        assert VECTOR_KEY["privateKeySeedHex"] not in text
        assert seed_b64 not in text
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(key)


@pytest.mark.parametrize("kind", [ED25519, P256])
def test_tampered_data_does_not_verify(kind):
    key = PrivateKey.generate(kind)
    assert not key.public_key.verify(key.sign(b"data"), b"date")


def test_load_reads_a_jwk_file_and_a_pem_file():
    key = PrivateKey.generate()
    assert PrivateKey.load(json.dumps(key.to_private_jwk()).encode()).public_key.raw == (
        key.public_key.raw
    )
    pem = key.to_encrypted_pem("pw")
    assert PrivateKey.load(pem, "pw").public_key.raw == key.public_key.raw
    with pytest.raises(KeyFormatError, match="neither a JWK"):
        PrivateKey.load(b"hello")


def test_did_key_document_lists_the_key_for_assertion():
    public = vector_private_key().public_key
    document = did.did_key_document(public.did_key)
    vm = document["verificationMethod"][0]
    assert vm == {
        "id": f"{public.did_key}#{public.multibase}",
        "type": "Multikey",
        "controller": public.did_key,
        "publicKeyMultibase": public.multibase,
    }
    assert document["assertionMethod"] == [vm["id"]]


def test_did_web_document_keeps_every_key_version():
    keys = [PrivateKey.generate().public_key for _ in range(3)]
    document = did.did_web_document("did:web:example.org:issuers:cec", keys)
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    methods = document["verificationMethod"]
    assert [m["publicKeyMultibase"] for m in methods if m["type"] == "Multikey"] == [
        k.multibase for k in keys
    ]
    assert document["assertionMethod"] == [m["id"] for m in document["verificationMethod"]]
    assert all(m["controller"] == document["id"] for m in document["verificationMethod"])


def test_did_web_document_publishes_each_key_as_a_jwk_for_vc_jwt_verifiers():
    keys = [PrivateKey.generate().public_key for _ in range(2)]
    did_web = "did:web:example.org:issuers:cec"
    document = did.did_web_document(did_web, keys)
    jwks = [m for m in document["verificationMethod"] if m["type"] == "JsonWebKey"]
    assert jwks == [
        {"id": f"{did_web}#{k.thumbprint()}", "type": "JsonWebKey", "controller": did_web,
         "publicKeyJwk": k.to_jwk()} for k in keys
    ]
    assert all("publicKeyMultibase" not in m for m in jwks)
    assert {m["id"] for m in jwks} <= set(document["assertionMethod"])


@pytest.mark.parametrize(
    ("did_web", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:issuers:123", "https://example.com/issuers/123/did.json"),
        ("did:web:example.com%3A3000:u:a", "https://example.com:3000/u/a/did.json"),
    ],
)
def test_did_web_url_follows_the_method_spec(did_web, url):
    assert did.did_web_url(did_web) == url


def test_did_web_for_encodes_the_port_and_path():
    assert did.did_web_for("http://127.0.0.1:5000", "issuers", "cec") == (
        "did:web:127.0.0.1%3A5000:issuers:cec"
    )
    assert did.did_web_for("https://badges.example.org/sky/") == "did:web:badges.example.org:sky"


def test_did_web_url_of_loopback_may_use_http_only_when_allowed():
    d = "did:web:127.0.0.1%3A5000:issuers:cec"
    assert did.did_web_url(d).startswith("https://")
    assert did.did_web_url(d, allow_http_loopback=True) == (
        "http://127.0.0.1:5000/issuers/cec/did.json"
    )


def test_not_a_did_web_is_refused():
    with pytest.raises(ResolutionError):
        did.did_web_url("did:key:z6Mk")


@pytest.mark.parametrize("junk", ["\r", " ", "\n", "0", "O", "l", "I"])
def test_base58_refuses_characters_outside_the_alphabet(junk):
    value = multibase.encode_base58btc(b"\x01\x02\x03")
    with pytest.raises(KeyFormatError, match="outside the alphabet"):
        multibase.decode_base58btc(value + junk)
