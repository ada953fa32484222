"""Helpers the core tests share: verification against the official vectors' published keys,
signing with a did:key, and the generated corpus of credentials (hypothesis) that the fast
canonicalisation path and the schema fast path are held to."""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime
from functools import cache

from hypothesis import strategies as st

from issuer.core import jsonld, proofs
from issuer.core.did import verification_method
from issuer.core.keys import PrivateKey, PublicKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import VerificationReport, verify_credential
from tests.helpers import load_vector, rich_credential

VECTOR_KEY = PublicKey.from_multibase("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
BAKING_KEY = PublicKey.from_multibase("z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x")
OB_ISSUER = "https://example.edu/issuers/565049"
VALIDATOR_ISSUER = "https://1edtech.edu/issuers/565049"
BAKING_ISSUER = "https://example.com/issuers/876543"
STATUS_FIXTURE = load_vector("bitstring-status-list", "credential-with-status-entry.json")
STATUS_LIST_URL = STATUS_FIXTURE["credentialStatus"]["statusListCredential"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def controller_document(controller, key, method_controller=None):
    method = verification_method(controller, key)
    method["controller"] = method_controller or controller
    return {
        "@context": ["https://www.w3.org/ns/cid/v1"],
        "id": controller,
        "verificationMethod": [method],
        "assertionMethod": [method["id"]],
    }


def published(**extra):
    """fetch_json over the controller documents of the vector issuers (plus `extra` URLs)."""
    documents = {
        OB_ISSUER: controller_document(OB_ISSUER, VECTOR_KEY),
        VALIDATOR_ISSUER: controller_document(VALIDATOR_ISSUER, VECTOR_KEY),
        BAKING_ISSUER: controller_document(BAKING_ISSUER, BAKING_KEY),
    }
    documents.update(extra)
    return documents.__getitem__


def verify(source, fetch_json=None, **options):
    fetch_json = fetch_json or published()
    options.setdefault("now", NOW)
    return verify_credential(
        source, resolver=KeyResolver(fetch_json), fetch_json=fetch_json, **options
    )


def statuses(report: VerificationReport) -> dict:
    return {check.name: check.status for check in report.checks}


def sign_with_did_key(credential: dict, key: PrivateKey) -> dict:
    public = key.public_key
    credential = copy.deepcopy(credential)
    credential["issuer"]["id"] = public.did_key
    return proofs.sign(credential, key, public.did_key_vm, created="2025-03-01T10:00:00Z")


# --- a generated corpus -------------------------------------------------------------------

OB_3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_LISTS = [
    [jsonld.CREDENTIALS_V2, OB_3_0_3],
    [jsonld.CREDENTIALS_V2, OB_3_0_3, "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"],
    [jsonld.CREDENTIALS_V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"],
    [jsonld.CREDENTIALS_V2],
]


@cache
def vocabulary() -> dict[str, list[tuple[str, bool]]]:
    """Each class the bundled contexts define → its terms, each with whether it takes an IRI;
    plus a class and a term no context defines."""
    classes: dict[str, list[tuple[str, bool]]] = {}
    for url in (jsonld.CREDENTIALS_V2, OB_3_0_3):
        context = jsonld._parsed_context(jsonld.context_index()[url]["file"])["@context"]
        for name, definition in context.items():
            scoped = definition.get("@context") if isinstance(definition, dict) else None
            if name[:1].isupper() and isinstance(scoped, dict):
                classes.setdefault(name, []).extend(
                    (term, isinstance(d, dict) and d.get("@type") == "@id")
                    for term, d in scoped.items() if not term.startswith("@")
                )
    for terms in classes.values():
        terms.append(("undefinedTerm", False))
    classes["UndefinedClass"] = [("name", False)]
    return classes


iris = st.sampled_from([
    "https://example.org/a", "urn:uuid:8f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "did:key:z6Mkx",
    "mailto:a@example.org", "relative/path", "_:b0", "ext:ESCOSkill", "https://exa mple.org/",
    "http://purl.org/dc/terms/x", "https://example.org/é",
])


scalars = st.one_of(
    st.text(max_size=12), iris, st.integers(-10**22, 10**22), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(
        ["2026-11-29T10:00:00Z", "2026-11-29", "Zoë Straße — Łódź", 'quote " and \\ slash',
         "Observe:\n\n- **one**\xa0: a \\n b\r\n- two", "a\ttab", "bell\x07 and \x7f"]),
)


rare = st.sampled_from([None, {}, [], {"@value": "x"}, {"@id": "https://example.org/b"}])


@st.composite
def nodes(draw, class_name=None, depth=0):
    """A node of a class, with some of the terms its context defines (mostly)."""
    classes = vocabulary()
    class_name = class_name or draw(st.sampled_from(sorted(classes)))
    node = {"type": [class_name] if draw(st.integers(0, 3)) else class_name}
    if draw(st.integers(0, 2)) == 0:
        node["id"] = draw(iris)
    for term, takes_iri in draw(st.lists(st.sampled_from(classes[class_name]), max_size=6)):
        node[term] = draw(values(takes_iri, depth + 1))
    return node


def values(takes_iri, depth):
    leaf = iris if takes_iri else scalars
    if depth < 3:
        leaf = st.one_of(leaf, leaf, nodes(depth=depth))
    return st.one_of(leaf, st.lists(leaf, max_size=3), rare if depth else st.nothing())


@st.composite
def credentials(draw):
    """Our rich credential with generated nodes added where the OB classes have them."""
    document = rich_credential("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    document["@context"] = list(draw(st.sampled_from(CONTEXT_LISTS)))
    subject = document["credentialSubject"]
    targets = [("OpenBadgeCredential", document), ("AchievementSubject", subject),
               ("Achievement", subject["achievement"]), ("Profile", document["issuer"]),
               ("Evidence", document["evidence"][0])]
    for _ in range(draw(st.integers(0, 4))):
        class_name, target = draw(st.sampled_from(targets))
        terms = vocabulary().get(class_name) or vocabulary()["VerifiableCredential"]
        term, takes_iri = draw(st.sampled_from(terms))
        if term not in ("type", "id", "@context", "credentialSubject", "issuer", "evidence"):
            target[term] = draw(values(takes_iri, 1))
    if draw(st.integers(0, 9)) == 0:
        document["@context"].append({"extraTerm": "https://example.org/extra"})
    lists = [v for v in (document["evidence"], subject.get("identifier"))
             if isinstance(v, list) and v]
    if lists and draw(st.integers(0, 3)) == 0:  # twin blank nodes: first-degree hashes alike
        twins = draw(st.sampled_from(lists))
        twins.append(copy.deepcopy(twins[-1]))
    if draw(st.booleans()):
        document["proof"] = [{
            "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-11-29T10:00:00Z", "proofPurpose": "assertionMethod",
            "verificationMethod": "did:key:z6Mkx#z6Mkx", "proofValue": draw(st.text(max_size=8)),
        }]
    return document


EXAMPLES = int(os.environ.get("RDFC_EXAMPLES", "200"))
