"""Verification-method dereference: did:key offline, did:web and https through fetch_json."""

import pytest

from issuer.core.did import did_web_document, verification_method
from issuer.core.errors import ResolutionError
from issuer.core.keys import P256, RSA, PrivateKey
from issuer.core.resolver import KeyResolver

ISSUER = "https://issuer.example/issuers/cec"
DID_WEB = "did:web:issuer.example:issuers:cec"
DID_WEB_URL = "https://issuer.example/issuers/cec/did.json"


@pytest.fixture(scope="module")
def key():
    return PrivateKey.generate().public_key


def controller_document(key, controller=ISSUER, **overrides):
    method = verification_method(controller, key)
    document = {
        "@context": ["https://www.w3.org/ns/cid/v1"],
        "id": controller,
        "verificationMethod": [method],
        "assertionMethod": [method["id"]],
    }
    document.update(overrides)
    return document


def serving(documents):
    """The fetch_json injection point: an in-memory lookup that records what was asked."""
    asked = []

    def fetch_json(url):
        asked.append(url)
        if url not in documents:
            raise ResolutionError(f"{url} answered HTTP 404")
        return documents[url]

    fetch_json.asked = asked
    return fetch_json


def test_did_key_resolves_offline(key):
    assert KeyResolver()(key.did_key_vm) == (key, key.did_key)


def test_did_key_with_a_foreign_fragment_is_not_found(key):
    other = PrivateKey.generate().public_key
    with pytest.raises(ResolutionError, match="is not in did:key:"):
        KeyResolver()(f"{key.did_key}#{other.multibase}")


def test_did_key_is_not_listed_for_key_agreement(key):
    with pytest.raises(ResolutionError, match="is not listed under 'keyAgreement'"):
        KeyResolver()(key.did_key_vm, "keyAgreement")


def test_https_controller_document_gives_the_key_and_controller(key):
    fetch = serving({ISSUER: controller_document(key)})
    assert KeyResolver(fetch)(f"{ISSUER}#{key.multibase}") == (key, ISSUER)
    assert fetch.asked == [ISSUER]


def test_did_web_document_is_fetched_from_its_https_url(key):
    fetch = serving({DID_WEB_URL: did_web_document(DID_WEB, [key])})
    assert KeyResolver(fetch)(f"{DID_WEB}#{key.multibase}") == (key, DID_WEB)
    assert fetch.asked == [DID_WEB_URL]


def test_rotated_did_web_keeps_the_old_key_resolvable(key):
    new = PrivateKey.generate().public_key
    fetch = serving({DID_WEB_URL: did_web_document(DID_WEB, [key, new])})
    resolver = KeyResolver(fetch)
    assert resolver(f"{DID_WEB}#{key.multibase}")[0] == key
    assert resolver(f"{DID_WEB}#{new.multibase}")[0] == new


def test_documents_and_methods_are_cached_per_resolver(key):
    fetch = serving({ISSUER: controller_document(key)})
    resolver = KeyResolver(fetch)
    resolver(f"{ISSUER}#{key.multibase}")
    resolver(f"{ISSUER}#{key.multibase}")
    assert fetch.asked == [ISSUER]


def test_document_id_must_equal_the_document_url(key):
    fetch = serving({ISSUER: controller_document(key, id="https://elsewhere.example/x")})
    with pytest.raises(ResolutionError, match="controller document id 'https://elsewhere"):
        KeyResolver(fetch)(f"{ISSUER}#{key.multibase}")


def test_method_controller_must_equal_the_document_id(key):
    document = controller_document(key)
    document["verificationMethod"][0]["controller"] = "https://elsewhere.example/x"
    with pytest.raises(ResolutionError, match="has controller 'https://elsewhere.example/x'"):
        KeyResolver(serving({ISSUER: document}))(f"{ISSUER}#{key.multibase}")


def test_method_must_be_listed_under_the_proof_purpose(key):
    document = controller_document(key, assertionMethod=[], authentication=[f"{ISSUER}#x"])
    with pytest.raises(ResolutionError, match="is not listed under 'assertionMethod'"):
        KeyResolver(serving({ISSUER: document}))(f"{ISSUER}#{key.multibase}")


def test_method_embedded_in_assertion_method_is_accepted(key):
    method = verification_method(ISSUER, key)
    document = {"id": ISSUER, "assertionMethod": [method]}
    assert KeyResolver(serving({ISSUER: document}))(method["id"]) == (key, ISSUER)


def test_relative_fragment_ids_are_matched(key):
    method = {**verification_method(ISSUER, key, "key-1"), "id": "#key-1"}
    document = {"id": ISSUER, "verificationMethod": [method], "assertionMethod": ["#key-1"]}
    assert KeyResolver(serving({ISSUER: document}))(f"{ISSUER}#key-1") == (key, ISSUER)


def test_missing_method_is_named(key):
    fetch = serving({ISSUER: controller_document(key)})
    with pytest.raises(ResolutionError, match=f"'{ISSUER}#key-9' is not in {ISSUER}"):
        KeyResolver(fetch)(f"{ISSUER}#key-9")


def test_legacy_ed25519_2020_method_is_accepted(key):
    document = controller_document(key)
    document["verificationMethod"][0]["type"] = "Ed25519VerificationKey2020"
    assert KeyResolver(serving({ISSUER: document}))(f"{ISSUER}#{key.multibase}")[0] == key


def test_json_web_key_method_is_accepted():
    key = PrivateKey.generate(P256).public_key
    method = {
        "id": f"{ISSUER}#k",
        "type": "JsonWebKey2020",
        "controller": ISSUER,
        "publicKeyJwk": key.to_jwk(),
    }
    document = {"id": ISSUER, "verificationMethod": [method], "assertionMethod": [method["id"]]}
    assert KeyResolver(serving({ISSUER: document}))(f"{ISSUER}#k") == (key, ISSUER)


def test_unknown_method_type_is_refused(key):
    document = controller_document(key)
    document["verificationMethod"][0]["type"] = "MultiKey"
    with pytest.raises(ResolutionError, match="has type 'MultiKey'; expected Multikey"):
        KeyResolver(serving({ISSUER: document}))(f"{ISSUER}#{key.multibase}")


def test_offline_https_layout_falls_back_to_the_fragment_key_and_says_so(key):
    resolver = KeyResolver()
    assert resolver(f"{ISSUER}#{key.multibase}") == (key, ISSUER)
    assert resolver.notes == [
        f"key for {ISSUER}#{key.multibase} taken from its URL fragment; the controller document "
        f"{ISSUER} was not fetched (offline)"
    ]


def test_offline_https_without_a_key_fragment_cannot_be_resolved():
    with pytest.raises(ResolutionError, match="no fetcher configured"):
        KeyResolver()(f"{ISSUER}#key-1")


def test_with_a_fetcher_the_fragment_key_is_not_trusted_without_the_document(key):
    resolver = KeyResolver(serving({}))
    with pytest.raises(ResolutionError, match="HTTP 404"):
        resolver(f"{ISSUER}#{key.multibase}")
    assert resolver.notes == []


def test_fetcher_failures_become_resolution_errors(key):
    def broken(url):
        raise KeyError(url)

    with pytest.raises(ResolutionError, match=f"could not fetch {ISSUER}"):
        KeyResolver(broken)(f"{ISSUER}#{key.multibase}")


@pytest.mark.parametrize(
    "vm",
    ["http://issuer.example/x#k", "urn:uuid:1234#k", "did:example:123#k", "https://a.example/x"],
)
def test_unsupported_or_malformed_methods_are_refused(vm, key):
    with pytest.raises(ResolutionError):
        KeyResolver(serving({}))(vm)


def test_http_loopback_is_fetched_only_when_allowed(key):
    url = "http://127.0.0.1:8000/issuers/cec"
    fetch = serving({url: controller_document(key, controller=url)})
    assert KeyResolver(fetch, allow_http_loopback=True)(f"{url}#{key.multibase}") == (key, url)
    with pytest.raises(ResolutionError, match="unsupported verification method"):
        KeyResolver(fetch)(f"{url}#{key.multibase}")


def test_jwt_kid_did_key_resolves_offline(key):
    assert KeyResolver().resolve_jwk(key.did_key_vm) == key
    assert KeyResolver().resolve_jwk(key.did_key) == key


def test_jwt_kid_https_jwk_set_selects_by_kid():
    first, second = PrivateKey.generate(RSA).public_key, PrivateKey.generate(P256).public_key
    jwks = {"keys": [{**first.to_jwk(), "kid": "a"}, {**second.to_jwk(), "kid": "b"}]}
    fetch = serving({"https://issuer.example/.well-known/jwks.json": jwks})
    kid = "https://issuer.example/.well-known/jwks.json#b"
    assert KeyResolver(fetch).resolve_jwk(kid) == second


def test_jwt_kid_https_single_jwk():
    key = PrivateKey.generate(RSA).public_key
    fetch = serving({"https://issuer.example/keys/1": key.to_jwk()})
    assert KeyResolver(fetch).resolve_jwk("https://issuer.example/keys/1") == key


def test_jwt_kid_pointing_at_a_private_jwk_is_refused():
    private = PrivateKey.generate(P256).to_private_jwk()
    fetch = serving({"https://issuer.example/keys/1": private})
    with pytest.raises(ResolutionError, match="private member 'd'"):
        KeyResolver(fetch).resolve_jwk("https://issuer.example/keys/1")


def test_jwt_kid_did_web_resolves_through_the_did_document(key):
    fetch = serving({DID_WEB_URL: did_web_document(DID_WEB, [key])})
    assert KeyResolver(fetch).resolve_jwk(f"{DID_WEB}#{key.multibase}") == key


def test_offline_did_web_error_carries_a_translatable_message(key):
    from issuer.core.messages import Message, message_of
    from issuer.languages import catalogue

    with pytest.raises(ResolutionError) as raised:
        KeyResolver()(f"{DID_WEB}#{key.multibase}")
    message = message_of(raised.value)
    english = f"cannot fetch {DID_WEB_URL}: no fetcher configured (offline)"
    assert isinstance(message, Message) and str(raised.value) == message == english
    french = message.translate(catalogue("fr").gettext, "fr")
    assert french != english and DID_WEB_URL in french and "hors ligne" in french


def test_nested_fetch_error_keeps_its_message_inside_the_resolver_error(key):
    from issuer.core.messages import N_, message_of
    from issuer.languages import catalogue

    def refusing(url):
        raise ValueError(N_("refusing to fetch %(url)s: only https URLs are fetched",
                            url=repr(url)))

    with pytest.raises(ResolutionError) as raised:
        KeyResolver(refusing)(f"{ISSUER}#{key.multibase}")
    message = message_of(raised.value)
    assert str(message) == (f"could not fetch {ISSUER}: refusing to fetch {ISSUER!r}: "
                            "only https URLs are fetched")
    dutch = message.translate(catalogue("nl").gettext, "nl")
    assert dutch.count("opgehaald") == 2 and "fetch" not in dutch


def test_proof_result_keeps_the_resolver_message(key):
    from issuer.core import proofs
    from issuer.core.messages import Message
    from issuer.languages import catalogue
    from tests.helpers import rich_credential

    signer = PrivateKey.generate()
    vm = f"{DID_WEB}#{signer.public_key.multibase}"
    signed = proofs.sign(rich_credential(ISSUER), signer, vm, created="2025-03-01T12:00:00Z")
    result = proofs.verify_proof(signed, signed["proof"][0], KeyResolver())
    assert not result.valid and isinstance(result.message, Message)
    spanish = result.message.translate(catalogue("es").gettext, "es")
    assert spanish != result.message and "sin conexión" in spanish
