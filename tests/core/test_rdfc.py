"""The fast path to canonical N-Quads (issuer.core.rdfc) against pyld's full algorithm.

Whenever the fast path answers, its N-Quads must be pyld's byte for byte, and pyld must find
the document safe; when it cannot tell, it must say so (None) rather than guess. Checked over
the official vectors, our credentials and a generated corpus (RDFC_EXAMPLES sets its size).
"""

import copy
import json
import os
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.core import jsonld, proofs, rdfc
from issuer.core.errors import BadgeError
from issuer.core.keys import PrivateKey
from tests.core.test_verify import rich_credential

VECTORS = Path(__file__).parents[1] / "vectors"
OB_3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_LISTS = [
    [jsonld.CREDENTIALS_V2, OB_3_0_3],
    [jsonld.CREDENTIALS_V2, OB_3_0_3, "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"],
    [jsonld.CREDENTIALS_V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"],
    [jsonld.CREDENTIALS_V2],
]
LOADERS = [None, *jsonld.CONTEXT_VARIANTS]


def fast(document, variant=None):
    return rdfc.canonical_nquads(document, jsonld._options(jsonld.make_loader(variant)))


def full(document, variant=None):
    """pyld's answer, or the error it raises, as a string."""
    try:
        return jsonld.canonize_with_pyld(document, jsonld.make_loader(variant))
    except BadgeError as error:
        return f"error: {error}"


def assert_same_as_pyld(document, variant=None):
    answer = fast(document, variant)
    if answer is not None:
        assert answer == full(document, variant)
    return answer


def vector_documents():
    for path in sorted(VECTORS.rglob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        if isinstance(document, dict) and "@context" in document:
            yield pytest.param(document, id=str(path.relative_to(VECTORS)))


@pytest.mark.parametrize("variant", LOADERS)
@pytest.mark.parametrize("document", list(vector_documents()))
def test_official_vectors_canonicalise_as_pyld_does(document, variant):
    assert_same_as_pyld(document, variant)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    assert_same_as_pyld(unsecured, variant)


@pytest.mark.parametrize("name", ["ob-v3p0-ldp", "clr-v2p0-ldp"])
def test_official_vector_hashes_come_from_the_fast_path(name):
    expected = json.loads((VECTORS / name / "expected.json").read_text("utf-8"))
    config = json.loads((VECTORS / name / "proof-config.json").read_text("utf-8"))
    canonical = fast(config)
    assert canonical is not None
    assert proofs.hashlib.sha256(canonical.encode()).hexdigest() == expected["proofConfigHashHex"]
    if name == "ob-v3p0-ldp":  # the CLR nests credentials in @graph containers with ids
        document = json.loads((VECTORS / name / "unsigned-credential.json").read_text("utf-8"))
        digest = proofs.hashlib.sha256(fast(document).encode()).hexdigest()
        assert digest == expected["documentHashHex"]


def test_a_signed_credential_and_its_proof_take_the_fast_path():
    key = PrivateKey.generate()
    signed = proofs.sign(rich_credential(key.public_key.did_key), key, key.public_key.did_key_vm)
    assert assert_same_as_pyld(signed) is not None
    assert assert_same_as_pyld({k: v for k, v in signed.items() if k != "proof"}) is not None


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(favouriteColour="vert"),
        lambda d: d["credentialSubject"]["achievement"].update(type=["Achievement", "Micro"]),
        lambda d: d.update(id="relative/credential"),
        lambda d: d["credentialSubject"].update(id="_:learner"),
        lambda d: d.update(name=None),
        lambda d: d.update(description="a\ttab"),
        lambda d: d["@context"].append({"colour": "https://example.org/colour"}),
        lambda d: d.update(name={"@value": "Tri", "@language": "fr"}),
        lambda d: d.update(evidence=[[{"type": ["Evidence"]}]]),
    ],
    ids=["undefined-term", "undefined-type", "relative-id", "blank-node-id", "null",
         "control-character", "inline-context", "value-object", "nested-array"],
)
def test_what_the_fast_path_does_not_handle_goes_to_pyld(change):
    document = rich_credential("did:example:issuer")
    change(document)
    assert fast(document) is None
    expected = full(document)
    if expected.startswith("error"):
        with pytest.raises(BadgeError):
            jsonld.canonize(document)
    else:
        assert jsonld.canonize(document) == expected


# --- a generated corpus -------------------------------------------------------------------


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
        ["2026-11-29T10:00:00Z", "2026-11-29", "Zoë Straße — Łódź", 'quote " and \\ slash']),
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
    if draw(st.booleans()):
        document["proof"] = [{
            "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-11-29T10:00:00Z", "proofPurpose": "assertionMethod",
            "verificationMethod": "did:key:z6Mkx#z6Mkx", "proofValue": draw(st.text(max_size=8)),
        }]
    return document


EXAMPLES = int(os.environ.get("RDFC_EXAMPLES", "200"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(credentials(), st.sampled_from(LOADERS))
def test_generated_credentials_canonicalise_as_pyld_does(document, variant):
    before = copy.deepcopy(document)
    assert_same_as_pyld(document, variant)
    assert document == before
