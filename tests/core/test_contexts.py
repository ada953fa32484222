"""The bundled JSON-LD contexts and the closed-world loader."""

import json
from importlib import resources

import pytest

from issuer.core import jsonld
from issuer.core.errors import ContextError

INDEX = jsonld.context_index()


@pytest.mark.parametrize("url", sorted(INDEX))
def test_bundled_context_bytes_match_the_index_sha256(url):
    assert jsonld.context_sha256(url) == INDEX[url]["sha256"]


def test_index_covers_every_context_needed_to_issue_and_verify():
    assert {
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    } <= set(INDEX)


def test_loader_returns_the_document_under_the_requested_url():
    url = "https://www.w3.org/ns/credentials/v2"
    loaded = jsonld.default_loader()(url, {})
    assert loaded["documentUrl"] == url
    assert "@context" in loaded["document"]


def test_loader_refuses_an_unknown_context_without_fetching():
    with pytest.raises(ContextError, match="unknown JSON-LD context"):
        jsonld.default_loader()("https://example.com/my-context.json", {})


def test_a_document_with_an_unknown_context_cannot_be_canonized():
    doc = {"@context": ["https://example.com/ctx.jsonld"], "name": "x"}
    with pytest.raises(ContextError, match="example.com/ctx.jsonld"):
        jsonld.canonize(doc)


def test_loader_hands_out_copies_so_callers_cannot_corrupt_the_cache():
    url = "https://www.w3.org/ns/credentials/v2"
    jsonld.default_loader()(url, {})["document"]["@context"]["poisoned"] = "x"
    assert "poisoned" not in jsonld.default_loader()(url, {})["document"]["@context"]


@pytest.mark.parametrize("variant", sorted(jsonld.CONTEXT_VARIANTS))
def test_variant_loader_serves_an_older_edition_of_the_ob_context(variant):
    ob = jsonld.OB_CONTEXT_3_0_3
    edition = jsonld.make_loader(variant)(ob, {})["document"]
    primary = jsonld.default_loader()(ob, {})["document"]
    assert edition != primary


def test_ob_and_clr_vectors_canonicalize_identically_under_every_variant(vector):
    for name in ("ob-v3p0-ldp", "clr-v2p0-ldp"):
        unsigned = vector(name, "unsigned-credential.json")
        expected = vector(name, "document-canon.nq")
        for variant in jsonld.CONTEXT_VARIANTS:
            assert jsonld.canonize(unsigned, jsonld.make_loader(variant)) == expected


def test_contexts_are_package_data():
    files = {p.name for p in resources.files("issuer.core").joinpath("contexts").iterdir()}
    assert {entry["file"] for entry in INDEX.values()} <= files
    assert json.loads(resources.files("issuer.core").joinpath("contexts/index.json").read_text())


def test_canonicalization_is_safe_from_many_threads_at_once(vector):
    import sys
    from concurrent.futures import ThreadPoolExecutor

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so an unguarded cache races

    documents = [vector(n, "unsigned-credential.json") for n in ("ob-v3p0-ldp", "clr-v2p0-ldp")]
    expected = [jsonld.canonize(d) for d in documents]
    loaders = [jsonld.default_loader(), *map(jsonld.make_loader, jsonld.CONTEXT_VARIANTS)]

    def work(n):
        return [jsonld.canonize(documents[i % 2], loaders[(n + i) % len(loaders)])
                for i in range(12)]

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(16)))
    finally:
        sys.setswitchinterval(previous)
    assert all(r == [expected[i % 2] for i in range(12)] for r in results)
