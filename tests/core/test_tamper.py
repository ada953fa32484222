"""Property tests: any change to a signed credential stops it from verifying as valid.

A rich credential (non-ASCII text, identifiers, results, rubric, evidence) is signed once with
a key generated at test time and a did:key issuer; hypothesis then changes one leaf, adds one
defined property or removes one property, anywhere, proof included.
"""

import copy
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.core import proofs
from issuer.core.keys import PrivateKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify import verify_credential
from tests.helpers import rich_credential

NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXAMPLES = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _signed() -> dict:
    key = PrivateKey.generate()
    credential = rich_credential(key.public_key.did_key)
    return proofs.sign(credential, key, key.public_key.did_key_vm, created="2025-03-01T10:00:00Z")


SIGNED = _signed()


def verdict(credential: dict) -> str:
    return verify_credential(credential, resolver=KeyResolver(), now=NOW).verdict


def leaf_paths(node, path=()):
    """Every path to a string, number or boolean in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaf_paths(value, (*path, index))
    else:
        yield path


def property_paths(node, path=()):
    """Every (object path, key) pair: each property that could be removed."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key
            yield from property_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from property_paths(value, (*path, index))


def at(document, path):
    for step in path:
        document = document[step]
    return document


LEAVES = list(leaf_paths(SIGNED))
PROPERTIES = list(property_paths(SIGNED))
# Terms the OB 3.0.3 context defines where they are added, each absent from the credential.
DEFINED_ADDITIONS = [
    ((), "awardedDate", "2025-03-01T10:00:00Z"),
    (("issuer",), "phone", "+32 2 555 01 23"),
    (("issuer",), "description", "Association sans but lucratif"),
    (("credentialSubject",), "role", "Apprentie"),
    (("credentialSubject",), "term", "Printemps 2025"),
    (("credentialSubject",), "narrative", "Très bon travail d'équipe."),
    (("credentialSubject", "achievement"), "humanCode", "TRI-1"),
    (("credentialSubject", "achievement"), "fieldOfStudy", "Environnement"),
    (("credentialSubject", "achievement"), "version", "2"),
    (("credentialSubject", "achievement", "criteria"), "id", "https://issuer.example/c/1"),
]


def changed(value, suffix: str, bump: int):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + bump
    return value + suffix


def test_the_untouched_credential_is_valid():
    assert verdict(SIGNED) == "valid"


@pytest.mark.parametrize("addition", DEFINED_ADDITIONS)
def test_every_addition_is_to_an_absent_property(addition):
    path, key, _ = addition
    assert key not in at(SIGNED, path)


@EXAMPLES
@given(
    path=st.sampled_from(LEAVES),
    suffix=st.text(min_size=1, max_size=3),
    bump=st.integers(min_value=1, max_value=1000),
)
def test_changing_any_leaf_value_breaks_validity(path, suffix, bump):
    tampered = copy.deepcopy(SIGNED)
    parent = at(tampered, path[:-1])
    parent[path[-1]] = changed(parent[path[-1]], suffix, bump)
    assert verdict(tampered) != "valid"


@EXAMPLES
@given(addition=st.sampled_from(DEFINED_ADDITIONS))
def test_adding_a_defined_property_breaks_validity(addition):
    path, key, value = addition
    tampered = copy.deepcopy(SIGNED)
    at(tampered, path)[key] = value
    report = verify_credential(tampered, resolver=KeyResolver(), now=NOW)
    assert report.check("safe-mode").status == "passed"
    assert report.verdict == "invalid"
    assert report.check("proof").message == "the signature does not match the document"


@EXAMPLES
@given(target=st.sampled_from(PROPERTIES))
def test_removing_any_property_breaks_validity(target):
    path, key = target
    tampered = copy.deepcopy(SIGNED)
    del at(tampered, path)[key]
    assert verdict(tampered) != "valid"
