"""The fast path to canonical N-Quads (issuer.core.rdfc) against pyld's full algorithm.

Whenever the fast path answers, its N-Quads must be pyld's byte for byte, and pyld must find
the document safe; when it cannot tell, it must say so (None) rather than guess. Checked over
the official vectors, our credentials and a generated corpus (RDFC_EXAMPLES sets its size).
"""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.core import jsonld, proofs, rdfc
from issuer.core.errors import BadgeError
from issuer.core.keys import PrivateKey
from tests.core.helpers import CONTEXT_LISTS, EXAMPLES, credentials, iris, scalars
from tests.helpers import rich_credential

VECTORS = Path(__file__).parents[1] / "vectors"
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


def assert_less_proof_same_as_pyld(document, variant=None):
    """The walk of a secured document gives pyld's canonical form of the unsecured one."""
    walked = rdfc.walk(document, jsonld._options(jsonld.make_loader(variant)))
    answer = walked and walked.canonical(without="proof")
    if answer is not None:
        assert answer == full({k: v for k, v in document.items() if k != "proof"}, variant)
    return answer


@pytest.mark.parametrize("variant", LOADERS)
@pytest.mark.parametrize("document", list(vector_documents()))
def test_official_vectors_canonicalise_as_pyld_does(document, variant):
    assert_same_as_pyld(document, variant)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    assert_same_as_pyld(unsecured, variant)
    assert_less_proof_same_as_pyld(document, variant)


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
    assert assert_less_proof_same_as_pyld(signed) is not None
    config = proofs.proof_config(signed, signed["proof"][0])
    assert assert_same_as_pyld(config) is not None


def test_a_multi_line_criteria_narrative_takes_the_fast_path():
    """Every badge the service issues has one (the gestures as a Markdown list): before, each
    sent the whole verification of a scanned card to pyld."""
    document = rich_credential("did:example:issuer")
    document["credentialSubject"]["achievement"]["criteria"]["narrative"] = (
        "The trainer observes:\n\n- **Open the till**\xa0: \"count\" \\ check\r\n- Close it")
    assert assert_same_as_pyld(document) is not None


def test_twin_blank_nodes_are_labelled_by_the_full_algorithm():
    document = rich_credential("did:example:issuer")
    document["evidence"].append(copy.deepcopy(document["evidence"][0]))
    assert rdfc._first_degree_labels(rdfc.walk(document, jsonld._options(
        jsonld.default_loader())).quads) is None
    assert assert_same_as_pyld(document) is not None


def test_a_lone_blank_node_is_labelled_as_canonicalisation_labels_it():
    config = {"@context": rich_credential("did:example:issuer")["@context"],
              "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
              "created": "2026-11-29T10:00:00Z", "proofPurpose": "assertionMethod",
              "verificationMethod": "did:example:issuer#key-1"}
    canonical = assert_same_as_pyld(config)
    assert canonical.count("_:c14n0 ") == 5 and "_:c14n1" not in canonical


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


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(credentials(), st.sampled_from(LOADERS))
def test_generated_credentials_canonicalise_as_pyld_does(document, variant):
    before = copy.deepcopy(document)
    assert_same_as_pyld(document, variant)
    assert_less_proof_same_as_pyld(document, variant)
    assert document == before


proof_options = st.fixed_dictionaries(
    {"type": st.sampled_from(["DataIntegrityProof"] * 4 + ["Ed25519Signature2020", "Undefined"]),
     "cryptosuite": st.sampled_from(["eddsa-rdfc-2022", "eddsa-2022", 'a "quoted" \\ suite']),
     "created": st.sampled_from(["2026-11-29T10:00:00Z", "2026-11-29T10:00+01:00", "yesterday"]),
     "verificationMethod": iris,
     "proofPurpose": st.sampled_from(["assertionMethod"] * 4 + ["authentication", "undefined"])},
    optional={"challenge": st.text(max_size=8), "domain": st.one_of(scalars, st.lists(iris)),
              "id": iris, "expires": st.sampled_from(["2027-01-01T00:00:00Z", "soon", 5]),
              "previousProof": iris, "nonce": scalars},
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(proof_options, st.sampled_from(CONTEXT_LISTS), st.sampled_from(LOADERS))
def test_generated_proof_configurations_canonicalise_as_pyld_does(options, contexts, variant):
    assert_same_as_pyld({"@context": contexts, **options}, variant)
