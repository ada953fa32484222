"""Verification-method dereference (W3C CID "Retrieve Verification Method", DIGEST §B.5).

did:key documents are expanded offline. did:web and https controller documents come from an
injected `fetch_json(url) -> dict`, so the core itself never touches the network; without one
the resolver is offline and understands did:key only (plus the 1EdTech layout below).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from .did import did_key_document, did_web_url
from .errors import BadgeError, ResolutionError
from .keys import PublicKey
from .messages import N_, message_of

FetchJson = Callable[[str], dict]

MULTIKEY_TYPES = ("Multikey", "Ed25519VerificationKey2020")
JWK_TYPES = ("JsonWebKey", "JsonWebKey2020")


class KeyResolver:
    """Resolve a verification method URL to `(public key, controller id)`.

    Matches `issuer.core.proofs.KeyResolver`: `resolver(vm_url, purpose)`. Results and fetched
    documents are cached for the life of the instance (one verification run, typically).
    `notes` collects things a report should mention, such as a key taken from a URL fragment.
    """

    def __init__(self, fetch_json: FetchJson | None = None, allow_http_loopback: bool = False):
        self.fetch_json = fetch_json
        self.allow_http_loopback = allow_http_loopback
        self.notes: list[str] = []
        self._documents: dict[str, dict] = {}
        self._methods: dict[tuple[str, str], tuple[PublicKey, str]] = {}

    def __call__(self, vm_url: str, purpose: str = "assertionMethod") -> tuple[PublicKey, str]:
        """The key and controller of `vm_url`, checked against `purpose` (CID steps 1–6)."""
        if (vm_url, purpose) not in self._methods:
            self._methods[(vm_url, purpose)] = self._resolve(vm_url, purpose)
        return self._methods[(vm_url, purpose)]

    def resolve_jwk(self, kid: str) -> PublicKey:
        """The public key a VC-JWT `kid` names: did:key, did:web, or an https JWK / JWKS."""
        if not isinstance(kid, str) or not kid:
            raise ResolutionError(N_("the JWT kid must be a non-empty URI"))
        if kid.startswith("did:"):
            return self(kid if "#" in kid else _did_key_vm(kid), "assertionMethod")[0]
        document_url, _, fragment = kid.partition("#")
        document = self._fetch(document_url)
        if "kty" in document:
            return _jwk_key(document, kid)
        if isinstance(document.get("keys"), list):
            return _key_from_jwks(document["keys"], kid, fragment)
        return self(kid, "assertionMethod")[0]

    def published_method(self, controller: str, key: PublicKey,
                         purpose: str = "assertionMethod") -> str | None:
        """The id under which `controller` publishes `key` for `purpose`, or None.

        Key provenance for keys a proof names only loosely (a JWT's header `jwk`, a `kid` outside
        the issuer's document): a DID or https controller document must list the key under
        `purpose`; an https controller may instead publish it in the JWK set at
        `/.well-known/jwks.json` of its authority (OB-IMPL). Raises ResolutionError when the
        controller's documents cannot be read.
        """
        if self._is_web_url(controller):
            found = self._published_in_jwks(controller, key)
            if found:
                return found
        elif not controller.startswith(("did:key:", "did:web:")):
            return None
        document = self._controller_document(controller)
        for entry in _as_list(document.get(purpose)):
            vm_url = entry.get("id") if isinstance(entry, dict) else entry
            if isinstance(vm_url, str) and vm_url.startswith("#"):
                vm_url = controller + vm_url
            try:
                candidate, _ = self(vm_url, purpose)
            except BadgeError:
                continue
            if same_key(candidate, key):
                return vm_url
        return None

    def _controller_document(self, document_url: str) -> dict:
        if document_url.startswith("did:key:"):
            return did_key_document(document_url)
        if document_url.startswith("did:web:"):
            return self._fetch(did_web_url(document_url, self.allow_http_loopback))
        return self._fetch(document_url)

    def _published_in_jwks(self, controller: str, key: PublicKey) -> str | None:
        parts = urlsplit(controller)
        jwks_url = f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"
        try:
            keys = self._fetch(jwks_url).get("keys")
        except BadgeError:
            return None
        for jwk in keys if isinstance(keys, list) else []:
            if not isinstance(jwk, dict) or jwk.get("iss", controller) != controller:
                continue
            try:
                if same_key(PublicKey.from_jwk(jwk), key):
                    return f"{jwks_url}#{jwk.get('kid', '')}".rstrip("#")
            except BadgeError:
                continue
        return None

    def _resolve(self, vm_url: str, purpose: str) -> tuple[PublicKey, str]:
        if not isinstance(vm_url, str) or not vm_url:
            raise ResolutionError(N_("the verificationMethod must be a URL string"))
        document_url, hash_, fragment = vm_url.partition("#")
        if not hash_ or not fragment:
            raise ResolutionError(N_("verification method %(vm)s has no '#fragment'",
                                     vm=repr(vm_url)))
        if document_url.startswith("did:key:"):
            return _did_key_method(document_url, vm_url, fragment, purpose)
        if document_url.startswith("did:web:"):
            document = self._controller_document(document_url)
        elif self._is_web_url(document_url):
            if self.fetch_json is None:
                return self._fragment_key(vm_url, document_url, fragment)
            document = self._fetch(document_url)
        else:
            raise ResolutionError(N_(
                "unsupported verification method %(vm)s: use did:key, did:web or an https URL",
                vm=repr(vm_url)))
        return _method_key(document, document_url, vm_url, fragment, purpose)

    def _is_web_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return True
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        return parts.scheme == "http" and self.allow_http_loopback and loopback

    def _fragment_key(self, vm_url: str, document_url: str, fragment: str):
        # The 1EdTech layout puts the Multikey itself in the fragment (DIGEST §B.5). Offline,
        # that is the only evidence there is; the report must say the document was not read.
        try:
            key = PublicKey.from_multibase(fragment)
        except BadgeError:
            raise ResolutionError(N_(
                "cannot dereference %(vm)s: no fetcher configured (offline verification)",
                vm=repr(vm_url))) from None
        self.notes.append(N_(
            "key for %(vm)s taken from its URL fragment; the controller document "
            "%(url)s was not fetched (offline)", vm=vm_url, url=document_url))
        return key, document_url

    def _fetch(self, url: str) -> dict:
        if url in self._documents:
            return self._documents[url]
        if self.fetch_json is None:
            raise ResolutionError(N_("cannot fetch %(url)s: no fetcher configured (offline)",
                                     url=url))
        try:
            document = self.fetch_json(url)
        except BadgeError:
            raise
        except Exception as error:  # an injected fetcher may fail in any way; name the URL
            raise ResolutionError(N_("could not fetch %(url)s: %(reason)s", url=url,
                                     reason=message_of(error) or str(error))) from None
        if not isinstance(document, dict):
            raise ResolutionError(N_("%(url)s did not return a JSON object", url=url))
        self._documents[url] = document
        return document


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """True when two public keys are the same key (compared by their public JWK)."""
    return a.to_jwk() == b.to_jwk()


def _did_key_vm(did: str) -> str:
    return f"{did}#{did.removeprefix('did:key:')}"


@lru_cache(maxsize=1024)
def _did_key_method(did: str, vm_url: str, fragment: str, purpose: str):
    """A did:key method's key and controller: the document is the DID itself, so the answer
    is too (a failure is raised again each time, never kept)."""
    return _method_key(did_key_document(did), did, vm_url, fragment, purpose)


def _method_key(document: dict, document_url: str, vm_url: str, fragment: str, purpose: str):
    if document.get("id") != document_url:
        raise ResolutionError(N_(
            "controller document id %(id)s does not match %(url)s",
            id=repr(document.get("id")), url=repr(document_url)))
    method = _find_method(document, vm_url, fragment)
    if method is None:
        raise ResolutionError(N_("verification method %(vm)s is not in %(url)s",
                                 vm=repr(vm_url), url=document_url))
    if method.get("controller") != document_url:
        raise ResolutionError(N_(
            "verification method %(vm)s has controller %(controller)s, not %(url)s",
            vm=repr(vm_url), controller=repr(method.get("controller")), url=repr(document_url)))
    if not _listed_for(document.get(purpose), vm_url, fragment):
        raise ResolutionError(N_("verification method %(vm)s is not listed under %(purpose)s",
                                 vm=repr(vm_url), purpose=repr(purpose)))
    return _method_public_key(method, vm_url), document_url


def _matches(candidate_id: object, vm_url: str, fragment: str) -> bool:
    return candidate_id in (vm_url, f"#{fragment}")


def _find_method(document: dict, vm_url: str, fragment: str) -> dict | None:
    places = [
        "verificationMethod",
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
        "keyAgreement",
    ]
    for place in places:
        for entry in _as_list(document.get(place)):
            if isinstance(entry, dict) and _matches(entry.get("id"), vm_url, fragment):
                return entry
    return None


def _listed_for(relationship: object, vm_url: str, fragment: str) -> bool:
    for entry in _as_list(relationship):
        entry_id = entry.get("id") if isinstance(entry, dict) else entry
        if _matches(entry_id, vm_url, fragment):
            return True
    return False


def _method_public_key(method: dict, vm_url: str) -> PublicKey:
    kind = method.get("type")
    try:
        if kind in MULTIKEY_TYPES and "publicKeyMultibase" in method:
            return PublicKey.from_multibase(method["publicKeyMultibase"])
        if kind in JWK_TYPES and "publicKeyJwk" in method:
            return PublicKey.from_jwk(method["publicKeyJwk"])
    except BadgeError as error:
        raise ResolutionError(N_("verification method %(vm)s: %(reason)s", vm=repr(vm_url),
                                 reason=message_of(error) or str(error))) from None
    raise ResolutionError(N_(
        "verification method %(vm)s has type %(type)s; expected Multikey with "
        "publicKeyMultibase (or JsonWebKey with publicKeyJwk)", vm=repr(vm_url), type=repr(kind)))


def _jwk_key(jwk: dict, kid: str) -> PublicKey:
    try:
        return PublicKey.from_jwk(jwk)
    except BadgeError as error:
        raise ResolutionError(N_("JWK at %(kid)s: %(reason)s", kid=repr(kid),
                                 reason=message_of(error) or str(error))) from None


def _key_from_jwks(keys: list, kid: str, fragment: str) -> PublicKey:
    wanted = {kid, fragment} - {""}
    matching = [k for k in keys if isinstance(k, dict) and k.get("kid") in wanted]
    if not matching and len(keys) == 1 and isinstance(keys[0], dict):
        matching = keys
    if len(matching) != 1:
        raise ResolutionError(N_("the JWK set does not hold exactly one key for kid %(kid)s",
                                 kid=repr(kid)))
    return _jwk_key(matching[0], kid)


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
